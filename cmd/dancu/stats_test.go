package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

func TestStats_RebuildAndExport(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, int) {
		var out bytes.Buffer
		code := Main(context.Background(), args, &out, &out)
		return out.String(), code
	}
	if out, code := run("generate", "--citizens", "300", "--seed", "3", "--data", dir); code != 0 {
		t.Fatalf("generate: %d %s", code, out)
	}
	out, code := run("export", "--format", "parquet", "--dir", filepath.Join(dir, "out"), "--data", dir)
	if code == 0 || !strings.Contains(out, "stats rebuild") {
		t.Errorf("export before any rebuild = %d %q, want a pointer to dancu stats rebuild", code, out)
	}
	out, code = run("stats", "rebuild", "--data", dir)
	if code != 0 || !strings.Contains(out, "300 people") {
		t.Fatalf("stats rebuild = %d %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "stats.duckdb")); err != nil {
		t.Errorf("the analytics store is not in the data folder: %v", err)
	}
	for _, format := range []string{"parquet", "csv"} {
		out, code = run("export", "--format", format, "--dir", filepath.Join(dir, format), "--data", dir)
		if code != 0 {
			t.Fatalf("export %s = %d %q", format, code, out)
		}
		files, _ := filepath.Glob(filepath.Join(dir, format, "people", "province=*", "*."+format))
		if len(files) < 2 {
			t.Errorf("export %s wrote %d people partitions, want one per province", format, len(files))
		}
	}
	// The export is pseudonymised: no PIN of the registry appears in it.
	st, err := openData(context.Background(), filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	people, err := st.SearchPersons(context.Background(), store.PersonQuery{Limit: 300})
	st.Close()
	if err != nil || len(people) != 300 {
		t.Fatalf("%d people, %v", len(people), err)
	}
	csvs, _ := filepath.Glob(filepath.Join(dir, "csv", "*", "province=*", "*.csv"))
	var all bytes.Buffer
	for _, f := range csvs {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	for _, p := range people {
		if strings.Contains(all.String(), p.PIN) {
			t.Fatal("a PIN appears in the export")
		}
	}
	if h := strings.SplitN(all.String(), "\n", 2)[0]; strings.Contains(h, "pin") || strings.Contains(h, "name") {
		t.Errorf("an exported header names a PIN or a name: %q", h)
	}
	for _, bad := range [][]string{
		{"export", "--format", "xlsx", "--dir", dir},
		{"export", "--format", "csv"},
		{"stats", "frobnicate"},
	} {
		if _, code := run(bad...); code != 2 {
			t.Errorf("%v exited %d, want 2 (usage)", bad, code)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/audit"
)

// TestDatasetUploadIsRecorded uploads records from the command line and
// finds every write in the access log, attributed to the operator acting
// for the owning agency, in a log that still verifies.
func TestDatasetUploadIsRecorded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	main := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Main(ctx, append(args, "--data", dir), &out, &errOut); code != 0 {
			t.Fatalf("dancu %v: exit %d\n%s%s", args, code, out.String(), errOut.String())
		}
		return out.String()
	}
	main("generate", "--citizens", "20", "--seed", "3")
	main("agency", "add", "--id", "vss", "--name", "Bảo hiểm xã hội", "--kind", "insurer")
	main("dataset", "add", "--name", "vss-si", "--kind", "social-insurance", "--agency", "vss")

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	var pins []string
	rows, err := db.Query("SELECT pin FROM persons ORDER BY pin LIMIT 3")
	for err == nil && rows.Next() {
		var pin string
		err = rows.Scan(&pin)
		pins = append(pins, pin)
	}
	db.Close()
	if err != nil || len(pins) != 3 {
		t.Fatalf("read PINs: %d, %v", len(pins), err)
	}
	var lines strings.Builder
	for i, pin := range pins {
		fmt.Fprintf(&lines, `{"key":"si-%d","pin":%q,"attributes":{"insurance_code":"%010d","status":"active"}}`+"\n", i, pin, 7900000000+i)
	}
	file := filepath.Join(t.TempDir(), "si.ndjson")
	if err := os.WriteFile(file, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("USER", "operator1")
	main("dataset", "upload", "--name", "vss-si", "--file", file)

	st, err := openData(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, pin := range pins {
		tr, err := l.Accesses(ctx, pin, 0, 10, audit.OfficerView)
		if err != nil || len(tr.Entries) != 1 {
			t.Fatalf("accesses of a person written: %d, %v; want 1", len(tr.Entries), err)
		}
		a := tr.Entries[0].Access
		if a.Action != "write" || a.Actor != "cli:operator1" || a.ActorKind != "operator" || a.Agency != "vss" {
			t.Errorf("entry = %+v, want a write by cli:operator1 for vss", a)
		}
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := l.Verify(ctx); err != nil || rep.Size != int64(len(pins)) {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

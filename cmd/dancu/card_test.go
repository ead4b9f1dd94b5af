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

// TestCard_issueExportVerify runs generate, card issue, card export and
// card verify as an operator and a bank would, then tampers with a file.
func TestCard_issueExportVerify(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	run := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := Main(ctx, args, &out, &errb)
		return out.String() + errb.String(), code
	}
	if out, code := run("generate", "--citizens", "200", "--data", data); code != 0 {
		t.Fatalf("generate: %s", out)
	}
	out, code := run("card", "issue", "--data", data)
	if code != 0 || !strings.Contains(out, "issued") {
		t.Fatalf("card issue: %d %s", code, out)
	}
	// A person with a chip card.
	st, err := openData(ctx, filepath.Join(data, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, store.EventQuery{Type: "id_card_issued", Limit: 1000})
	if err != nil || len(evs) == 0 {
		t.Fatalf("events: %v", err)
	}
	var pin string
	for _, e := range evs {
		if cs, _ := st.CardsByPIN(ctx, e.Subjects[0]); len(cs) > 0 && cs[len(cs)-1].Chip {
			pin = e.Subjects[0]
		}
	}
	st.Close()
	dir := t.TempDir()
	if out, code := run("card", "export", "--pin", pin, "--dir", dir, "--data", data); code != 0 {
		t.Fatalf("card export: %s", out)
	}
	// The export is in the access log.
	st, err = openData(ctx, filepath.Join(data, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.AccessLogSize(ctx); err != nil || n != 1 {
		t.Errorf("access log size after export = %d, %v; want 1", n, err)
	}
	st.Close()
	for _, f := range []string{fileDG1, fileDG2, fileDG13, fileSOD, fileCSCA, fileCRL} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("export wrote no %s", f)
		}
	}
	out, code = run("card", "verify", "--dir", dir)
	if code != 0 || !strings.Contains(out, "valid: passive authentication passed") || !strings.Contains(out, pin) {
		t.Fatalf("card verify: %d %s", code, out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, fileDG13))
	b[len(b)-1] ^= 1
	os.WriteFile(filepath.Join(dir, fileDG13), b, 0o600)
	out, code = run("card", "verify", "--dir", dir)
	if code != 1 || !strings.Contains(out, "data_group_tampered (DG13)") {
		t.Errorf("verify of a tampered DG13: %d %s", code, out)
	}
	if out, code := run("card", "export", "--dir", dir, "--data", data); code != 2 {
		t.Errorf("export without --pin: %d %s", code, out)
	}
	if out, code := run("card", "pki", "--data", data); code != 0 || !strings.Contains(out, "csca") || !strings.Contains(out, "ds ") {
		t.Errorf("card pki: %s", out)
	}
}

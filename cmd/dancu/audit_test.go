package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// fillAccessLog records n accesses in a new store under dir and signs a
// checkpoint.
func fillAccessLog(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := openData(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range n {
		err := l.Record(ctx, audit.Access{ActorKind: "admin", Actor: "admin", Purpose: "registry.administration",
			PIN: fmt.Sprintf("07919000%04d", i%4), Fields: []string{"full_name"}, Action: "read"})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerify(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stmts     []string
		wantCode  int
		wantIndex string
	}{
		{"intact", nil, 0, ""},
		{"changed", []string{"UPDATE access_log SET data = CAST(replace(CAST(data AS TEXT), 'full_name', 'full_nam3') AS BLOB) WHERE idx = 4"}, 1, "entry 4"},
		{"deleted", []string{"DELETE FROM access_log WHERE idx = 6"}, 1, "entry 6"},
		{"swapped", []string{
			"UPDATE access_log SET idx = -1 WHERE idx = 2",
			"UPDATE access_log SET idx = 2 WHERE idx = 8",
			"UPDATE access_log SET idx = 8 WHERE idx = -1",
		}, 1, "entry 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fillAccessLog(t, dir, 12)
			if len(tc.stmts) > 0 {
				db, err := sql.Open("sqlite", "file:"+sqlite.AccessLogPath(filepath.Join(dir, "dancu.db")))
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range tc.stmts {
					if _, err := db.Exec(s); err != nil {
						t.Fatalf("%s: %v", s, err)
					}
				}
				db.Close()
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"audit", "verify", "--data", dir}, &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stdout %s stderr %s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			out := stdout.String()
			if tc.wantCode == 0 {
				if !strings.Contains(out, "size: 12") || !strings.Contains(out, "checkpoints checked: 1") {
					t.Errorf("output %q, want size 12 and 1 checkpoint", out)
				}
				return
			}
			if !strings.Contains(out, "FAILED at "+tc.wantIndex) {
				t.Errorf("output %q does not name %s", out, tc.wantIndex)
			}
		})
	}
}

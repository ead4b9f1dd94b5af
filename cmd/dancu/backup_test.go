package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dancu/dancu/internal/audit"
)

// registryDigest hashes every version of every person and household in a
// data folder's database, in key order.
func registryDigest(t *testing.T, dir string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "dancu.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := sha256.New()
	for _, q := range []string{
		"SELECT pin, version, data FROM person_versions ORDER BY pin, version",
		"SELECT id, version, data FROM household_versions ORDER BY id, version",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var key string
			var version int64
			var data []byte
			if err := rows.Scan(&key, &version, &data); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s/%d/%x\n", key, version, data)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

var rootLine = regexp.MustCompile(`root:? ([A-Za-z0-9+/=]+)`)

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	run := func(args ...string) (string, int) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := Main(ctx, args, &out, &errOut)
		return out.String() + errOut.String(), code
	}
	must := func(args ...string) string {
		t.Helper()
		out, code := run(args...)
		if code != 0 {
			t.Fatalf("dancu %v: exit %d\n%s", args, code, out)
		}
		return out
	}
	src := t.TempDir()
	must("generate", "--citizens", "300", "--seed", "5", "--data", src)
	fillAccessLog(t, src, 40)

	snap := filepath.Join(t.TempDir(), "snap.db")
	must("backup", "--to", snap, "--data", src)
	if out, code := run("backup", "--to", snap, "--data", src); code == 0 {
		t.Errorf("a second backup over the same file succeeded:\n%s", out)
	}

	dst := filepath.Join(t.TempDir(), "restored")
	// The snapshot holds sealed documents: they open with the source's key file.
	out := must("restore", "--from", snap, "--data", dst, "--key-file", filepath.Join(src, "dancu.keys"))
	if !strings.Contains(out, "people: 300") || !strings.Contains(out, "access log: OK, 40 entries") {
		t.Errorf("restore said:\n%s", out)
	}
	if got, want := registryDigest(t, dst), registryDigest(t, src); got != want {
		t.Errorf("restored registry differs from the original")
	}
	wantRoot := rootLine.FindStringSubmatch(must("audit", "verify", "--data", src))
	gotRoot := rootLine.FindStringSubmatch(out)
	if wantRoot == nil || gotRoot == nil || wantRoot[1] != gotRoot[1] {
		t.Errorf("access-log root: restored %v, original %v", gotRoot, wantRoot)
	}

	// Never over an existing database, and never from something that is not
	// an intact dancu database.
	if out, code := run("restore", "--from", snap, "--data", filepath.Join(t.TempDir(), "nokeys")); code == 0 || !strings.Contains(out, "key file") {
		t.Errorf("restore without the key file: exit %d\n%s", code, out)
	}
	if out, code := run("restore", "--from", snap, "--data", dst); code == 0 || !strings.Contains(out, "new data folder") {
		t.Errorf("restore into a used folder: exit %d\n%s", code, out)
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 1000), 0o600)
	if out, code := run("restore", "--from", junk, "--data", filepath.Join(t.TempDir(), "x")); code == 0 || !strings.Contains(out, "not a SQLite database") {
		t.Errorf("restore of junk: exit %d\n%s", code, out)
	}
	if _, code := run("backup", "--to", filepath.Join(t.TempDir(), "pg.db"), "--db", "postgres://u@127.0.0.1:1/x"); code == 0 {
		t.Errorf("backup of a PostgreSQL store succeeded")
	}
}

// TestBackupWhileWriting takes a snapshot while the access log is being
// appended to: the snapshot is a consistent point, so its log verifies.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	fillAccessLog(t, src, 10)
	st, err := openData(ctx, filepath.Join(src, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				err := l.Record(ctx, audit.Access{ActorKind: "admin", Actor: "admin", Purpose: "registry.administration",
					PIN: fmt.Sprintf("0791900%05d", w*1000+i%1000), Fields: []string{"full_name"}, Action: "read"})
				if err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					l.Checkpoint(ctx)
				}
			}
		})
	}
	snap := filepath.Join(t.TempDir(), "snap.db")
	var out, errOut bytes.Buffer
	code := Main(ctx, []string{"backup", "--to", snap, "--data", src}, &out, &errOut)
	stop.Store(true)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := Main(ctx, []string{"restore", "--from", snap, "--data", filepath.Join(t.TempDir(), "r"),
		"--key-file", filepath.Join(src, "dancu.keys")}, &out, &errOut); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "access log: OK") {
		t.Errorf("restore said:\n%s", out.String())
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sealed"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// TestKeys_RotateWhileServing rotates the key-encryption key and adds a
// data key while a store stays open (a running process): it keeps reading
// and writing, and a process started afterwards, whose key file holds only
// the new KEK, reads what was written before, during and after.
func TestKeys_RotateWhileServing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "dancu.db")
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Main(ctx, args, &out, &errOut); code != 0 {
			t.Fatalf("dancu %v: exit %d\n%s%s", args, code, &out, &errOut)
		}
		return out.String()
	}
	run("keys", "init", "--data", dir)
	if info, err := os.Stat(filepath.Join(dir, "dancu.keys")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", info, err)
	}
	var out, errOut bytes.Buffer
	if code := Main(ctx, []string{"keys", "init", "--data", dir}, &out, &errOut); code == 0 {
		t.Errorf("a second keys init succeeded:\n%s", &out)
	}

	live, err := openData(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	put := func(st store.Store, key, value string) {
		t.Helper()
		if _, err := st.UpsertDatasetRecords(ctx, []store.DatasetRecord{{Dataset: "d", Key: key, PIN: "079190000001",
			Source: "s", Hash: []byte(value), Data: []byte(`{"v":"` + value + `"}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(st store.Store, key string) string {
		t.Helper()
		r, err := st.DatasetRecord(ctx, "d", key)
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		return string(r.Data)
	}
	put(live, "before", "b")

	status := run("keys", "status", "--data", dir)
	oldKEK := strings.Fields(status[strings.Index(status, "key-encryption key ")+len("key-encryption key "):])[0]
	rot := run("keys", "rotate", "--new-data-key", "--data", dir)
	if !strings.Contains(rot, "2 data keys re-wrapped") || !strings.Contains(rot, "data key 3 seals new writes") || !strings.Contains(rot, "removed from the key file: "+oldKEK) {
		t.Errorf("rotate said:\n%s", rot)
	}
	keyFile, _ := os.ReadFile(filepath.Join(dir, "dancu.keys"))
	if bytes.Contains(keyFile, []byte(oldKEK)) {
		t.Error("the old KEK is still in the key file")
	}
	if strings.Contains(rot+status, `"keys"`) {
		t.Error("a command printed the key file")
	}

	// The running process carries on.
	put(live, "during", "d")
	if got := get(live, "before"); got != `{"v":"b"}` {
		t.Errorf("live read after rotation = %s", got)
	}

	// A process started now knows only the new KEK and data key 3.
	fresh, err := openData(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	put(fresh, "after", "a")
	for key, want := range map[string]string{"before": `{"v":"b"}`, "during": `{"v":"d"}`, "after": `{"v":"a"}`} {
		if got := get(fresh, key); got != want {
			t.Errorf("new process reads %s = %s, want %s", key, got, want)
		}
		if got := get(live, key); got != want {
			t.Errorf("old process reads %s = %s, want %s", key, got, want)
		}
	}
	if s := run("keys", "status", "--data", dir); !strings.Contains(s, "3 data ") || !strings.Contains(s, "(seals new writes)") {
		t.Errorf("status after rotation:\n%s", s)
	}
}

// TestKeys_ResealAndRetire takes a store written before encryption to
// every document sealed under the newest data key: status counts the
// documents in clear, strict mode refuses them, reseal seals them (and the
// old data key's) while a process keeps the store open, retire refuses a
// key still needed, and the database file holds no value in clear after.
func TestKeys_ResealAndRetire(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "dancu.db")
	run := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Main(ctx, args, &out, &errOut); code != 0 {
			return out.String(), fmt.Errorf("dancu %v: exit %d: %s", args, code, &errOut)
		}
		return out.String(), nil
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return out
	}
	record := func(key, value string) store.DatasetRecord {
		data := []byte(`{"phone":"` + value + `"}`)
		sum := sha256.Sum256(data)
		return store.DatasetRecord{Dataset: "d", Key: key, PIN: "079190000001", Source: "s", Hash: sum[:], Data: data}
	}
	// Written before encryption existed.
	plain, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var recs []store.DatasetRecord
	for i := range 5 {
		recs = append(recs, record(fmt.Sprintf("old-%d", i), fmt.Sprintf("ZQXW-OLD-%d", i)))
	}
	if _, err := plain.UpsertDatasetRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	plain.Close()

	must("keys", "init", "--data", dir)
	if s := must("keys", "status", "--data", dir); !strings.Contains(s, "documents in clear: 5") || !strings.Contains(s, "dataset_records.data: 5") ||
		!strings.Contains(s, "dataset record keys in clear: some") {
		t.Errorf("status before reseal:\n%s", s)
	}
	live, err := openData(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if _, err := live.UpsertDatasetRecords(ctx, []store.DatasetRecord{record("new-1", "ZQXW-NEW-1")}); err != nil {
		t.Fatal(err)
	}

	// Strict mode refuses the clear ones, and says nothing of them.
	cfg := config.Default()
	cfg.Data, cfg.Encryption.Strict = dir, true
	strict, _, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	_, err = strict.DatasetRecord(ctx, "d", "old-1")
	if !errors.Is(err, sealed.ErrClear) || strings.Contains(err.Error(), "ZQXW") || strings.Contains(err.Error(), "old-1") {
		t.Errorf("strict read of a clear record = %v, want ErrClear naming neither value nor key", err)
	}
	if _, err := strict.DatasetRecord(ctx, "d", "new-1"); err != nil {
		t.Errorf("strict read of a sealed record: %v", err)
	}

	must("keys", "rotate", "--new-data-key", "--data", dir)
	if _, err := run("keys", "retire", "2", "--data", dir); err == nil || !strings.Contains(err.Error(), "1 documents are sealed under it") {
		t.Errorf("retire of a key a document uses: %v", err)
	}
	out := must("keys", "reseal", "--batch", "2", "--rewrite", "--data", dir)
	// The five records under their key in clear move to its blind index,
	// which seals them under key 3; then the one written sealed under key 2.
	for _, want := range []string{"under data key 3", "dataset_records.key: 2 moved to their blind index so far",
		"dataset_records.data: 1/1 (100%)", "6 documents re-sealed", "5 of them dataset records whose key is now blind-indexed",
		"no document is sealed under data keys 2 any more"} {
		if !strings.Contains(out, want) {
			t.Errorf("reseal said:\n%s\nwant %q in it", out, want)
		}
	}
	if s := must("keys", "status", "--data", dir); !strings.Contains(s, "documents in clear: 0") || !strings.Contains(s, "seals 0 documents") || !strings.Contains(s, "seals 6 documents") ||
		!strings.Contains(s, "dataset record keys in clear: none") {
		t.Errorf("status after reseal:\n%s", s)
	}
	again := must("keys", "reseal", "--data", dir)
	if !strings.Contains(again, "0 documents re-sealed") {
		t.Errorf("a second reseal said:\n%s", again)
	}
	// Processes may still seal with key 2 for a while after key 3 came.
	if _, err := run("keys", "retire", "2", "--data", dir); err == nil || !strings.Contains(err.Error(), "was added") {
		t.Errorf("retire within the grace period: %v", err)
	}

	for _, st := range []store.Store{strict, live} {
		for _, key := range []string{"old-1", "old-4", "new-1"} {
			if _, err := st.DatasetRecord(ctx, "d", key); err != nil {
				t.Errorf("read %s after reseal: %v", key, err)
			}
		}
	}
	// The records from before sealing had a bare content hash: now the
	// blind index, so the same upload again changes nothing.
	if c, err := live.UpsertDatasetRecords(ctx, recs); err != nil || c.Unchanged != len(recs) {
		t.Errorf("the same upload after reseal = %+v, %v; want all %d unchanged", c, err, len(recs))
	}
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(db + "-wal")
	if bytes.Contains(append(b, wal...), []byte("ZQXW")) {
		t.Errorf("a value is still in clear in the database files after reseal --rewrite: db %d wal %d (%d bytes)",
			bytes.Count(b, []byte("ZQXW")), bytes.Count(wal, []byte("ZQXW")), len(wal))
	}
}

// TestServe_SQLiteBeyondLoopbackNeedsKeyFile: serving past the loopback
// interface on SQLite without a key file is a configuration error, found
// before anything is created; --demo keeps the default key file.
func TestServe_SQLiteBeyondLoopbackNeedsKeyFile(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"serve", "--addr", "0.0.0.0:0", "--data", dir}, &out, &errOut); code == 0 {
		t.Fatal("serve on 0.0.0.0 without a key file started")
	}
	if !strings.Contains(errOut.String(), "encryption.key_file: must be set to serve beyond this machine") {
		t.Errorf("serve said:\n%s", &errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("the refused start left %d files in the data folder", len(entries))
	}
}

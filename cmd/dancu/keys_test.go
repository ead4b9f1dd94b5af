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

package seal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
)

// memKeys is a store.DataKeys in memory.
type memKeys struct {
	mu   sync.Mutex
	rows []store.DataKey
}

func (m *memKeys) DataKeys(context.Context) ([]store.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.rows), nil
}

func (m *memKeys) AddDataKey(_ context.Context, k store.DataKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rows {
		if r.ID == k.ID {
			return store.ErrExists
		}
	}
	m.rows = append(m.rows, k)
	return nil
}

func (m *memKeys) RewrapDataKey(_ context.Context, oldKEK string, k store.DataKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, r := range m.rows {
		if r.ID == k.ID {
			if r.KEKID != oldKEK {
				return store.ErrConflict
			}
			m.rows[i].KEKID, m.rows[i].Wrapped = k.KEKID, k.Wrapped
			return nil
		}
	}
	return store.ErrNotFound
}

func newKeyring(t *testing.T) (*seal.Keyring, *seal.KeyFile, *memKeys) {
	t.Helper()
	kf, err := seal.CreateKeyFile(filepath.Join(t.TempDir(), "dancu.keys"))
	if err != nil {
		t.Fatal(err)
	}
	ks := &memKeys{}
	kr, err := seal.NewKeyring(context.Background(), kf, ks)
	if err != nil {
		t.Fatal(err)
	}
	return kr, kf, ks
}

func TestKeyring_SealOpen(t *testing.T) {
	ctx := context.Background()
	kr, _, _ := newKeyring(t)
	doc := []byte(`{"religion":"Phật giáo Hòa Hảo","blood_type":"AB-"}`)
	aad := []byte("person_versions\x00001090000001")
	sealed, err := kr.Seal(ctx, doc, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !seal.IsSealed(sealed) || bytes.Contains(sealed, []byte("Hòa Hảo")) || len(sealed) != len(doc)+seal.Overhead {
		t.Fatalf("sealed document looks wrong: %q", sealed)
	}
	again, _ := kr.Seal(ctx, doc, aad)
	if bytes.Equal(again, sealed) {
		t.Error("sealing twice gave the same bytes: the nonce is not fresh")
	}
	got, err := kr.Open(ctx, sealed, aad)
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("Open = %q, %v; want the document", got, err)
	}

	t.Run("wrong aad", func(t *testing.T) {
		if _, err := kr.Open(ctx, sealed, []byte("person_versions\x00001090000002")); !errors.Is(err, seal.ErrCorrupt) {
			t.Errorf("Open with another row's aad = %v, want ErrCorrupt", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		for _, i := range []int{5, 10, len(sealed) / 2, len(sealed) - 1} {
			bad := bytes.Clone(sealed)
			bad[i] ^= 1
			if _, err := kr.Open(ctx, bad, aad); err == nil {
				t.Errorf("Open of a document with byte %d flipped succeeded", i)
			}
		}
		if _, err := kr.Open(ctx, sealed[:seal.Overhead-1], aad); !errors.Is(err, seal.ErrCorrupt) {
			t.Errorf("Open of a truncated document = %v, want ErrCorrupt", err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		other, _, _ := newKeyring(t)
		if _, err := other.Open(ctx, sealed, aad); !errors.Is(err, seal.ErrCorrupt) {
			t.Errorf("Open under another store's keys = %v, want ErrCorrupt", err)
		}
	})
	t.Run("legacy plaintext", func(t *testing.T) {
		for _, legacy := range [][]byte{doc, []byte("[1,2]"), {0x61, 0x5b, 0x5f}, nil} {
			got, err := kr.Open(ctx, legacy, aad)
			if err != nil || !bytes.Equal(got, legacy) {
				t.Errorf("Open(%q) = %q, %v; want it unchanged", legacy, got, err)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		if got, err := kr.Seal(ctx, nil, aad); err != nil || got != nil {
			t.Errorf("Seal(nil) = %q, %v", got, err)
		}
	})
}

func TestKeyring_Index(t *testing.T) {
	kr, _, _ := newKeyring(t)
	a, b := kr.Index("phone", []byte("0912345678")), kr.Index("phone", []byte("0912345678"))
	if !bytes.Equal(a, b) || len(a) != 32 {
		t.Fatalf("Index is not a stable 32-byte value")
	}
	if bytes.Equal(a, kr.Index("email", []byte("0912345678"))) {
		t.Error("the same value in two domains gives the same index")
	}
	other, _, _ := newKeyring(t)
	if bytes.Equal(a, other.Index("phone", []byte("0912345678"))) {
		t.Error("two stores' index keys agree")
	}
}

// TestKeyring_Rotate rotates the KEK and adds a data key while a second
// keyring (another process) keeps sealing and opening, then checks that
// every document either process wrote opens in a third one started after
// the old KEK is gone.
func TestKeyring_Rotate(t *testing.T) {
	ctx := context.Background()
	kr, kf, ks := newKeyring(t)
	aad := []byte("t")
	before, _ := kr.Seal(ctx, []byte("before"), aad)
	_, oldKEK := kf.IDs()

	// Another process, with its own copy of the key file loaded.
	kf2, err := seal.OpenKeyFile(kf.Path())
	if err != nil {
		t.Fatal(err)
	}
	kr2, err := seal.NewKeyring(ctx, kf2, ks)
	if err != nil {
		t.Fatal(err)
	}

	newKEK, err := kf.AddKEK()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := kr.Rewrap(ctx); err != nil || n != 2 {
		t.Fatalf("Rewrap = %d, %v; want the data key and the index key", n, err)
	}
	if n, err := kr.Rewrap(ctx); err != nil || n != 0 {
		t.Fatalf("second Rewrap = %d, %v; want nothing to do", n, err)
	}
	for _, r := range ks.rows {
		if r.KEKID != newKEK {
			t.Errorf("key %d still wrapped under %s", r.ID, r.KEKID)
		}
	}
	dek, err := kr.NewDataKey(ctx)
	if err != nil || dek != 3 || kr.ActiveKey() != 3 {
		t.Fatalf("NewDataKey = %d, %v (active %d); want 3", dek, err, kr.ActiveKey())
	}
	if gone, err := kf.Prune(nil); err != nil || !slices.Equal(gone, []string{oldKEK}) {
		t.Fatalf("Prune = %v, %v; want the old KEK", gone, err)
	}

	// The running process still seals under its key and opens the new one.
	during, err := kr2.Seal(ctx, []byte("during"), aad)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := kr.Seal(ctx, []byte("after"), aad)
	if got, err := kr2.Open(ctx, after, aad); err != nil || string(got) != "after" {
		t.Fatalf("the running process opens a document under the new data key: %q, %v", got, err)
	}

	// A process started now knows only the new KEK.
	kf3, err := seal.OpenKeyFile(kf.Path())
	if err != nil {
		t.Fatal(err)
	}
	if ids, cur := kf3.IDs(); !slices.Equal(ids, []string{newKEK}) || cur != newKEK {
		t.Fatalf("key file holds %v (current %s), want only %s", ids, cur, newKEK)
	}
	kr3, err := seal.NewKeyring(ctx, kf3, ks)
	if err != nil {
		t.Fatal(err)
	}
	for want, b := range map[string][]byte{"before": before, "during": during, "after": after} {
		if got, err := kr3.Open(ctx, b, aad); err != nil || string(got) != want {
			t.Errorf("Open(%s) = %q, %v", want, got, err)
		}
	}
	if !bytes.Equal(kr.Index("x", []byte("v")), kr3.Index("x", []byte("v"))) {
		t.Error("the blind index changed across the rotation")
	}
}

// TestKeyFile_UnknownKEKRereads shows that a process whose key file copy
// predates a rotation picks up the new KEK from the file when it meets it.
func TestKeyFile_UnknownKEKRereads(t *testing.T) {
	ctx := context.Background()
	kr, kf, ks := newKeyring(t)
	stale, err := seal.OpenKeyFile(kf.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kf.AddKEK(); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Rewrap(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := kf.Prune(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := seal.NewKeyring(ctx, stale, ks); err != nil {
		t.Fatalf("a keyring over a stale key file: %v", err)
	}
}

func TestKeyFile_Checks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k")
	kf, err := seal.CreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	if _, err := seal.CreateKeyFile(path); err == nil {
		t.Error("CreateKeyFile over an existing file succeeded")
	}
	if _, created, err := seal.OpenOrCreateKeyFile(path); err != nil || created {
		t.Errorf("OpenOrCreateKeyFile of an existing file: created %t, %v", created, err)
	}
	os.Chmod(path, 0o644)
	if _, err := seal.OpenKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key file others can read: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(filepath.Join(dir, "bad"), []byte(`{"format":"dancu-kek-1","current":"a","keys":{"a":"c2VjcmV0"}}`), 0o600)
	if _, err := seal.OpenKeyFile(filepath.Join(dir, "bad")); err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("a key of the wrong length: %v", err)
	}
	// Wrong key file: the keys of a store unwrap only with their own KEK.
	ctx := context.Background()
	ks := &memKeys{}
	if _, err := seal.NewKeyring(ctx, kf, ks); err != nil {
		t.Fatal(err)
	}
	other, _ := seal.CreateKeyFile(filepath.Join(dir, "other"))
	if _, err := seal.NewKeyring(ctx, other, ks); !errors.Is(err, seal.ErrUnknownKEK) {
		t.Errorf("a keyring with another key file = %v, want ErrUnknownKEK", err)
	}
}

// BenchmarkKeyring seals and opens a 1 KB document, the size of a person's
// version.
func BenchmarkKeyring(b *testing.B) {
	ctx := context.Background()
	kf, err := seal.CreateKeyFile(filepath.Join(b.TempDir(), "k"))
	if err != nil {
		b.Fatal(err)
	}
	kr, err := seal.NewKeyring(ctx, kf, &memKeys{})
	if err != nil {
		b.Fatal(err)
	}
	doc, aad := bytes.Repeat([]byte("x"), 1024), []byte("person_versions\x00079190000001")
	sealed, _ := kr.Seal(ctx, doc, aad)
	b.Run("seal_1KB", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if _, err := kr.Seal(ctx, doc, aad); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open_1KB", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if _, err := kr.Open(ctx, sealed, aad); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzKeyring_Open feeds Open any bytes: it never panics, passes a document
// that is not sealed through unchanged, and opens only what it sealed.
func FuzzKeyring_Open(f *testing.F) {
	ctx := context.Background()
	kf, err := seal.CreateKeyFile(filepath.Join(f.TempDir(), "k"))
	if err != nil {
		f.Fatal(err)
	}
	kr, err := seal.NewKeyring(ctx, kf, &memKeys{})
	if err != nil {
		f.Fatal(err)
	}
	good, _ := kr.Seal(ctx, []byte(`{"phone":"0987123456"}`), []byte("a"))
	f.Add(good)
	f.Add([]byte(`{"a":1}`))
	f.Add([]byte{0, 'D', 'S', 1, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := kr.Open(ctx, b, []byte("a"))
		if !seal.IsSealed(b) {
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("a document that is not sealed: %q, %v", got, err)
			}
			return
		}
		if err == nil && !bytes.Equal(b, good) {
			// Only a real sealing (a fresh one of the same input) may open.
			again, serr := kr.Seal(ctx, got, []byte("a"))
			if serr != nil || len(again) != len(b) {
				t.Fatalf("opened a forged document: %q", b)
			}
		}
	})
}

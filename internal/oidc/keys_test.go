package oidc

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store/sqlite"
)

func TestKeyRing_Rotation(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const rotation = time.Hour
	now := time.Now().Truncate(rotation).Add(10 * time.Minute)
	clock := func() time.Time { return now }
	kr := &keyRing{st: st, alg: "ES256", rotation: rotation, keepAfter: 15 * time.Minute, now: clock}
	// A second process sharing the store.
	kr2 := &keyRing{st: st, alg: "ES256", rotation: rotation, keepAfter: 15 * time.Minute, now: clock}

	ids := func(kr *keyRing) []string {
		ks, err := kr.keySet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range ks {
			out = append(out, k.ID())
		}
		return out
	}
	first, err := kr.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := kr2.current(ctx)
	if err != nil || other.ID() != first.ID() {
		t.Fatalf("two processes sign with %s and %v (%v); want one key", first.ID(), other, err)
	}
	if got := ids(kr); len(got) != 2 {
		t.Fatalf("published %v, want the current key and the next", got)
	}

	// Next period: the next key signs, the old one stays published while
	// tokens it signed may live.
	now = now.Add(rotation)
	second, err := kr.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID() == first.ID() {
		t.Fatal("the key did not rotate")
	}
	if got := ids(kr); !contains(got, first.ID()) || !contains(got, second.ID()) || len(got) != 3 {
		t.Errorf("after rotation published %v, want old, current and next", got)
	}
	// Past the old key's last token: it is gone.
	now = now.Add(20 * time.Minute)
	if _, err := kr.current(ctx); err != nil {
		t.Fatal(err)
	}
	kr.refreshAt = time.Time{} // as after the cache period
	if got := ids(kr); contains(got, first.ID()) {
		t.Errorf("retired key still published: %v", got)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/storetest"
)

func TestConformanceShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "dancu.db")
		var ss [2]store.Store
		for i := range ss {
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			ss[i] = s
		}
		return ss[0], ss[1]
	})
}

func TestUseNonce_purgesExpired(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	past := time.Now().Add(-time.Minute)
	for _, v := range []string{"a", "b", "c"} {
		if err := s.UseNonce(ctx, "sc", v, past); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UseNonce(ctx, "sc", "live", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM nonces").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d nonces left, want only the live one", n)
	}
}

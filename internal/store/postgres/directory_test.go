package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/storetest"
)

func TestConformanceShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := pgtest.NewDSN(t)
		var ss [2]store.Store
		for i := range ss {
			s, err := postgres.Open(context.Background(), dsn)
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
	t.Parallel()
	s, dsn := open(t)
	ctx := t.Context()
	past := time.Now().Add(-time.Minute)
	for _, v := range []string{"a", "b", "c"} {
		if err := s.UseNonce(ctx, "sc", v, past); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UseNonce(ctx, "sc", "live", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := query[int64](t, dsn, "SELECT count(*) FROM nonces"); n != 1 {
		t.Errorf("%d nonces left, want only the live one", n)
	}
}

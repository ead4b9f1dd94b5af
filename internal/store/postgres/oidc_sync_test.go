package postgres

import (
	"context"
	"testing"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
)

// TestOIDCWriteWithoutSync checks what store.WithoutSync rests on: the
// batch runs as one transaction, so the setting applies to its statement,
// and it does not outlive it on the pooled connection.
func TestOIDCWriteWithoutSync(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	setting := func(ctx context.Context) string {
		var v string
		if err := s.oidcWrite(ctx, func(q oidcQuerier) error {
			return q.QueryRow(ctx, `SELECT current_setting('synchronous_commit')`).Scan(&v)
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := setting(store.WithoutSync(ctx)); got != "off" {
		t.Errorf("synchronous_commit inside an unsynced write = %q, want off", got)
	}
	if got := setting(ctx); got != "on" {
		t.Errorf("synchronous_commit after it = %q, want on", got)
	}
	var tag string
	if err := s.oidcWrite(store.WithoutSync(ctx), func(q oidcQuerier) error {
		ct, err := q.Exec(ctx, `SELECT 1`)
		tag = ct.String()
		return err
	}); err != nil || tag != "SELECT 1" {
		t.Errorf("Exec = %q, %v", tag, err)
	}
	for range 4 { // every connection the pool may hand out
		if got := setting(ctx); got != "on" {
			t.Errorf("synchronous_commit on a pooled connection = %q, want on", got)
		}
	}
}

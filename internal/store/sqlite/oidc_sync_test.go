package sqlite

import (
	"context"
	"database/sql"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

// TestOIDCWriteWithoutSync checks that an unsynced write runs at
// synchronous=NORMAL and leaves the writer at FULL for every other commit.
func TestOIDCWriteWithoutSync(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	level := func(ctx context.Context) (in int) {
		if err := inOIDCWriteTx(ctx, s.w, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&in)
		}); err != nil {
			t.Fatal(err)
		}
		return in
	}
	const normal, full = 1, 2
	if got := level(store.WithoutSync(ctx)); got != normal {
		t.Errorf("synchronous inside an unsynced write = %d, want %d (NORMAL)", got, normal)
	}
	if got := level(ctx); got != full {
		t.Errorf("synchronous after it = %d, want %d (FULL)", got, full)
	}
	// A cancelled context still restores the writer.
	cctx, cancel := context.WithCancel(store.WithoutSync(ctx))
	_ = inOIDCWriteTx(cctx, s.w, func(tx *sql.Tx) error { cancel(); return nil })
	var after int
	if err := s.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&after); err != nil || after != full {
		t.Errorf("synchronous after a cancelled unsynced write = %d, %v; want %d", after, err, full)
	}
}

package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
)

// TestStore_AccessLeavesStopAtGap deletes rows from the middle of the log,
// as only tampering does, and checks that AccessLeaves stops before the
// first missing one.
func TestStore_AccessLeavesStopAtGap(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := store.AccessBatch{}
	for i := range int64(10) {
		b.Entries = append(b.Entries, store.AccessEntry{Index: i, Person: []byte("p"), Data: fmt.Appendf(nil, "entry %d", i)})
	}
	if err := s.AppendAccess(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM access_log WHERE idx IN (4, 7)"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to, want int64 }{{0, 10, 4}, {3, 10, 1}, {4, 10, 0}, {5, 10, 2}, {8, 20, 2}, {0, 4, 4}} {
		l, err := s.AccessLeaves(ctx, c.from, c.to)
		if err != nil {
			t.Fatalf("AccessLeaves(%d, %d): %v", c.from, c.to, err)
		}
		if int64(l.Len()) != c.want {
			t.Errorf("AccessLeaves(%d, %d) = %d leaves, want %d", c.from, c.to, l.Len(), c.want)
		}
		for i := range l.Len() {
			if got, want := string(l.Leaf(i)), fmt.Sprintf("entry %d", c.from+int64(i)); got != want {
				t.Errorf("AccessLeaves(%d, %d) leaf %d = %q, want %q", c.from, c.to, i, got, want)
			}
		}
	}
}

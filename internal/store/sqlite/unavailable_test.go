package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/dancu/dancu/internal/store"
)

// TestUnavailable_FullDatabase fills the database to its page limit, which
// SQLite answers with SQLITE_FULL as it does a full disk, and checks that
// the write fails with store.ErrUnavailable while the SQLite error is still
// there for the code that inspects it; that errors of the request or of the
// program are not marked; and that writes succeed again once there is room.
func TestUnavailable_FullDatabase(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	pages := pragmaOf(t, s.w, "page_count")
	if _, err := s.w.ExecContext(ctx, "PRAGMA max_page_count = "+pages); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	big := strings.Repeat("x", 256<<10)
	put := func(pin string) error {
		return s.Update(ctx, func(tx store.Tx) error {
			p := testPerson(pin, 1)
			p.Data = []byte(`{"note":"` + big + `"}`)
			return tx.PutPerson(ctx, p)
		})
	}
	err := put("P1")
	if !errors.Is(err, store.ErrUnavailable) || sqliteCode(err) != sqlite3.SQLITE_FULL {
		t.Fatalf("a write to a full database: %v; want ErrUnavailable over SQLITE_FULL", err)
	}
	if store.LastUnavailable().Before(before) {
		t.Errorf("LastUnavailable = %v, not updated by the failure", store.LastUnavailable())
	}
	if _, err := s.Person(ctx, "P1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused write left something: %v", err)
	}

	// A refusal that is the request's fault or the program's is no outage.
	if _, err := s.r.ExecContext(ctx, "DELETE FROM leases"); err == nil || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("a write on the read pool: %v; want the query_only refusal, not ErrUnavailable", err)
	}
	if _, err := s.w.ExecContext(ctx, "INSERT INTO leases (name, holder, expires) VALUES (NULL, 'h', 0)"); err == nil || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("a constraint failure: %v; want it unmarked", err)
	}

	if _, err := s.w.ExecContext(ctx, "PRAGMA max_page_count = 1000000"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := put(fmt.Sprint("P", i+1)); err != nil {
			t.Fatalf("a write once there is room again: %v", err)
		}
	}
}

// BenchmarkUnavailableWrapper is the cost of the connection wrapper that
// marks outages, on the cheapest statement there is (a point read by
// primary key on a prepared statement), against the driver's own
// connections on the same file.
func BenchmarkUnavailableWrapper(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	if _, err := s.TryLease(ctx, "bench", "h", time.Hour); err != nil {
		b.Fatal(err)
	}
	raw, err := sql.Open("sqlite", dsn(s.path, s.cfg, true))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, c := range []struct {
		name string
		db   *sql.DB
	}{{"driver", raw}, {"wrapped", s.r}} {
		b.Run(c.name, func(b *testing.B) {
			st, err := c.db.PrepareContext(ctx, "SELECT holder FROM leases WHERE name = ?")
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			var h string
			for b.Loop() {
				if err := st.QueryRowContext(ctx, "bench").Scan(&h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHeartbeat is the cost of one membership heartbeat, the write
// each serve process makes every two seconds (and readiness at most once a
// second): a committed, synced transaction.
func BenchmarkHeartbeat(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	for i := range 2 {
		s.Heartbeat(ctx, "serve", fmt.Sprint("other-", i), time.Hour)
	}
	for b.Loop() {
		if _, err := s.Heartbeat(ctx, "serve", "me", time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
)

// sqlStateOf returns the SQLSTATE under err, or "".
func sqlStateOf(err error) string {
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		return pe.SQLState()
	}
	return ""
}

// TestUnavailable_ReadOnlyDatabase turns the database read-only under a
// running store (default_transaction_read_only, as after a failover to a
// server that accepts no writes) and ends its sessions so that new ones
// pick the setting up: writes and heartbeats fail with
// store.ErrUnavailable over SQLSTATE 25006, reads are served.
func TestUnavailable_ReadOnlyDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, dsn := open(t)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	for _, q := range []string{
		`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$`,
		terminateOthers,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	write := func() error {
		return s.Update(ctx, func(tx store.Tx) error {
			return tx.PutPerson(ctx, person("079190000001", 1, "le van a", "1990-01-01"))
		})
	}
	err = write()
	for i := 0; i < 5 && sqlStateOf(err) != "25006"; i++ {
		err = write() // first the pool's old connections fail, terminated
	}
	if !errors.Is(err, store.ErrUnavailable) || sqlStateOf(err) != "25006" {
		t.Errorf("a write on a read-only database: %v; want ErrUnavailable over 25006", err)
	}
	if _, err := s.Heartbeat(ctx, "serve", "a", time.Minute); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("a heartbeat on a read-only database: %v; want ErrUnavailable", err)
	}
	if _, err := s.Person(ctx, "079190000001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a read on a read-only database: %v; want it served (ErrNotFound)", err)
	}
}

// terminateOthers ends every other session of the current database.
const terminateOthers = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE datname = current_database() AND pid <> pg_backend_pid()`

// TestUnavailable_ConnectionsTerminated ends every connection of the
// store's database from outside, as an administrator's shutdown or a
// failover does: the next use of a pooled connection fails with
// store.ErrUnavailable, and the pool serves again with new connections.
func TestUnavailable_ConnectionsTerminated(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, dsn := open(t)
	if _, err := s.Heartbeat(ctx, "serve", "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, terminateOthers); err != nil {
		t.Fatal(err)
	}
	var failed error
	for range 5 { // the pool may hand out a connection it already knows is gone
		if _, err := s.Heartbeat(ctx, "serve", "a", time.Minute); err != nil {
			failed = err
			break
		}
	}
	if !errors.Is(failed, store.ErrUnavailable) {
		t.Errorf("a heartbeat on a terminated connection: %v; want ErrUnavailable", failed)
	}
	if _, err := s.Heartbeat(ctx, "serve", "a", time.Minute); err != nil {
		t.Errorf("a heartbeat after the pool reconnects: %v", err)
	}
}

// BenchmarkHeartbeat is the cost of one membership heartbeat, the write
// each serve process makes every two seconds (and readiness at most once a
// second): one statement, one round trip.
func BenchmarkHeartbeat(b *testing.B) {
	s, _ := open(b)
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

// TestOpen_ReadOnlyDatabase opens a store on a database that accepts no
// writes (default_transaction_read_only, as a hot standby): with every
// migration applied it opens without migrating and serves reads; with one
// missing it refuses with ErrReadOnlySchema, naming the migration.
func TestOpen_ReadOnlyDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, dsn := open(t)
	s.Close()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	readOnly := func(on bool) {
		t.Helper()
		if _, err := admin.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %%I SET default_transaction_read_only = %t', current_database()); END $$`, on)); err != nil {
			t.Fatal(err)
		}
	}
	readOnly(true)
	ro, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open a read-only database with a current schema: %v", err)
	}
	if _, err := ro.Person(ctx, "079190000001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a read: %v; want it served (ErrNotFound)", err)
	}
	if _, err := ro.Heartbeat(ctx, "serve", "a", time.Minute); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("a write: %v; want ErrUnavailable", err)
	}
	ro.Close()

	var last string
	if err := admin.QueryRow(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)
		RETURNING lpad(version::text, 4, '0') || '_' || name`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	readOnly(true)
	_, err = postgres.Open(ctx, dsn)
	if !errors.Is(err, postgres.ErrReadOnlySchema) || !strings.Contains(err.Error(), last) || !strings.Contains(err.Error(), "primary") {
		t.Fatalf("open a read-only database missing %s: %v; want ErrReadOnlySchema naming it", last, err)
	}
}

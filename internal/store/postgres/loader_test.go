package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
)

// secondaryIndexes counts the deferrable indexes (and the version tables'
// primary keys) present and recorded as deferred.
func secondaryIndexes(t *testing.T, dsn string) (present, deferred int64) {
	t.Helper()
	present = query[int64](t, dsn, `SELECT count(*) FROM pg_indexes
		WHERE indexname IN ('persons_name_key', 'persons_place', 'persons_household', 'events_subjects', 'events_type',
			'person_versions_pkey', 'household_versions_pkey', 'persons_verify', 'persons_birth_date')`)
	deferred = query[int64](t, dsn, `SELECT count(*) FROM deferred_indexes`)
	return present, deferred
}

func batch(from, n int) store.Batch {
	var b store.Batch
	for i := from; i < from+n; i++ {
		pin := fmt.Sprintf("079190%06d", i)
		v1 := person(pin, 1, fmt.Sprintf("nguyen van %d", i), "1990-01-01")
		v2 := person(pin, 2, fmt.Sprintf("nguyen van %d", i), "2021-01-01")
		b.Persons = append(b.Persons, v2, v1) // order within a batch does not matter
		b.Events = append(b.Events, store.EventRow{ID: "birth-" + pin, Type: "birth", RecordedAt: t0, Subjects: []string{pin}})
	}
	return b
}

func TestLoader_defersIndexesOnEmptyRegistry(t *testing.T) {
	t.Parallel()
	s, dsn := open(t)
	ctx := t.Context()
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p, d := secondaryIndexes(t, dsn); p != 0 || d != 9 {
		t.Errorf("while loading: %d indexes present, %d deferred; want 0, 9", p, d)
	}
	if err := l.Load(ctx, batch(0, 50)); err != nil {
		t.Fatal(err)
	}
	if err := l.Load(ctx, batch(40, 20)); !errors.Is(err, store.ErrExists) || strings.Contains(err.Error(), "079190") {
		t.Errorf("Load of used PINs = %v, want ErrExists without a PIN", err)
	}
	dup := batch(200, 2)
	dup.Persons = append(dup.Persons, dup.Persons[0])
	if err := l.Load(ctx, dup); !errors.Is(err, store.ErrExists) {
		t.Errorf("Load of a batch repeating a version = %v, want ErrExists", err)
	}
	// Searches work, only slower, before Close.
	if rows, err := s.SearchPersons(ctx, store.PersonQuery{NameKey: "nguyen van 7", Limit: 5}); err != nil || len(rows) != 1 {
		t.Errorf("search during load = %d rows, %v; want 1", len(rows), err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(ctx); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := l.Load(ctx, batch(100, 1)); err == nil {
		t.Error("Load after Close: want an error")
	}
	if p, d := secondaryIndexes(t, dsn); p != 9 || d != 0 {
		t.Errorf("after Close: %d indexes present, %d deferred; want 9, 0", p, d)
	}
	if n, err := s.CountPersons(ctx); n != 50 || err != nil {
		t.Errorf("CountPersons = %d, %v; want 50", n, err)
	}
	evs, err := s.Events(ctx, store.EventQuery{})
	if err != nil || len(evs) != 50 {
		t.Fatalf("Events = %d, %v; want 50", len(evs), err)
	}
	// Loaded events take Seqs like any others, and later ones follow them.
	var seq int64
	if err := s.Update(ctx, func(tx store.Tx) error {
		seq, err = tx.PutEvent(ctx, store.EventRow{ID: "after", Type: "t", RecordedAt: t0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1].Seq; seq <= last {
		t.Errorf("Seq after load = %d, want > %d", seq, last)
	}
}

func TestLoader_keepsIndexesOnNonEmptyRegistry(t *testing.T) {
	t.Parallel()
	s, dsn := open(t)
	ctx := t.Context()
	put(t, s, person("001190000001", 1, "a", "2000-01-01"))
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	if p, d := secondaryIndexes(t, dsn); p != 9 || d != 0 {
		t.Errorf("%d indexes present, %d deferred; want 9, 0", p, d)
	}
	if err := l.Load(ctx, batch(0, 10)); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountPersons(ctx); n != 11 {
		t.Errorf("CountPersons = %d, want 11", n)
	}
}

// TestLoader_lastCloseRebuilds opens two loaders, as a generator loading in
// parallel would: the indexes come back when the last one closes.
func TestLoader_lastCloseRebuilds(t *testing.T) {
	t.Parallel()
	s, dsn := open(t)
	ctx := t.Context()
	l1, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- l1.Load(ctx, batch(0, 30)) }()
	go func() { done <- l2.Load(ctx, batch(30, 30)) }()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := l1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if p, d := secondaryIndexes(t, dsn); p != 0 || d != 9 {
		t.Errorf("one loader still open: %d indexes present, %d deferred; want 0, 9", p, d)
	}
	// Another process starting now must leave the indexes to the loader.
	s2, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if p, _ := secondaryIndexes(t, dsn); p != 0 {
		t.Errorf("Open during a load rebuilt %d indexes", p)
	}
	if err := l2.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if p, d := secondaryIndexes(t, dsn); p != 9 || d != 0 {
		t.Errorf("after the last Close: %d indexes present, %d deferred; want 9, 0", p, d)
	}
	if n, _ := s.CountPersons(ctx); n != 60 {
		t.Errorf("CountPersons = %d, want 60", n)
	}
}

// TestLoader_openRepairsAfterCrash abandons a load, as a process killed
// mid-way would, and checks that the next Open rebuilds the indexes.
func TestLoader_openRepairsAfterCrash(t *testing.T) {
	t.Parallel()
	s, dsn := open(t)
	ctx := t.Context()
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(ctx, batch(0, 20)); err != nil {
		t.Fatal(err)
	}
	// The process dies: every connection it has to the database drops, the
	// loader's own with its lock among them. The test's database is its own,
	// so the other backends on it are exactly this process's; terminating
	// them, rather than hunting the lock in pg_locks (which a loaded server
	// has been seen to list late), does not depend on timing. The timeout
	// makes each termination wait until the backend has exited and so
	// released its locks, which the Open below needs.
	pids := query[[]int32](t, dsn, `SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if len(pids) == 0 {
		t.Fatal("the store has no connection to the database, not even the loader's")
	}
	for _, pid := range pids {
		// False means it had already gone, or did not exit in time, which
		// the count below tells apart.
		query[bool](t, dsn, `SELECT pg_terminate_backend($1, 10000)`, pid)
	}
	if n := query[int64](t, dsn, `SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)`, pids); n != 0 {
		t.Fatalf("%d backends still running 10s after termination", n)
	}
	if n := query[int64](t, dsn, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`); n != 0 {
		t.Fatalf("%d advisory locks left after the crash, want 0", n)
	}
	s.Close()
	if p, d := secondaryIndexes(t, dsn); p != 0 || d != 9 {
		t.Fatalf("after the crash: %d indexes present, %d deferred; want 0, 9", p, d)
	}
	s2, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if p, d := secondaryIndexes(t, dsn); p != 9 || d != 0 {
		t.Errorf("after Open: %d indexes present, %d deferred; want 9, 0", p, d)
	}
	if n, _ := s2.CountPersons(ctx); n != 20 {
		t.Errorf("CountPersons = %d, want 20", n)
	}
}

// TestRecordedAt_roundTrip checks times the caller supplies come back equal,
// nanoseconds included, before and after 1970, and the zero time too.
func TestRecordedAt_roundTrip(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := context.Background()
	for i, at := range []time.Time{
		time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.UTC),
		time.Date(1965, 7, 4, 1, 2, 3, 999999999, time.FixedZone("ICT", 7*3600)),
		{},
	} {
		pin := fmt.Sprintf("00119000000%d", i)
		v := person(pin, 1, "a", "2000-01-01")
		v.RecordedAt = at
		put(t, s, v)
		got, err := s.Person(ctx, pin)
		if err != nil {
			t.Fatal(err)
		}
		if !got.RecordedAt.Equal(at) || got.RecordedAt.Location() != time.UTC {
			t.Errorf("RecordedAt = %v, want %v in UTC", got.RecordedAt, at)
		}
		if at.IsZero() && !got.RecordedAt.IsZero() {
			t.Errorf("zero RecordedAt read back as %v", got.RecordedAt)
		}
	}
}

package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

var testTime = time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.UTC)

func testPerson(pin string, version int64) store.PersonVersion {
	return store.PersonVersion{
		PersonRow: store.PersonRow{
			PIN: pin, Version: version, NameKey: "tran thi mai", NameFold: "trần thị mai",
			BirthYear: 1990, BirthDate: "1990-05-17", Sex: "female", Province: "79",
			Commune: "26734", State: "alive", HouseholdID: "H1", Data: []byte(`{"v":` + strconv.FormatInt(version, 10) + `}`),
		},
		Change: store.Change{EventID: fmt.Sprint("e-", pin, "-", version), EventType: "test", Actor: "tester",
			Reason: "unit test", ValidFrom: "2000-01-01", RecordedAt: testTime},
	}
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func pragmaOf(t *testing.T, db querier, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpen_Pragmas(t *testing.T) {
	s := openTest(t)
	for _, tc := range []struct {
		name string
		db   querier
		want string
	}{
		{"journal_mode", s.w, "wal"},
		{"synchronous", s.w, "2"}, // FULL
		{"foreign_keys", s.w, "1"},
		{"page_size", s.w, strconv.Itoa(pageSize)},
		{"busy_timeout", s.w, "5000"},
		{"query_only", s.r, "1"},
		{"foreign_keys", s.r, "1"},
	} {
		if got := pragmaOf(t, tc.db, tc.name); got != tc.want {
			t.Errorf("PRAGMA %s = %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := s.r.ExecContext(context.Background(), "INSERT INTO settings (key, value) VALUES ('a', 'b')"); err == nil {
		t.Error("a write through the read pool succeeded")
	}
}

func TestOpen_RejectsMemory(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file::memory:"} {
		if s, err := Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestOpen_ReopenAppliesNothingTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dancu.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutPerson(ctx, testPerson("001190000001", 1)) }); err != nil {
		t.Fatal(err)
	}
	applied := migrationRows(t, s)
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := migrationRows(t, s); !reflect.DeepEqual(got, applied) {
		t.Errorf("after reopen schema_migrations = %v, want %v", got, applied)
	}
	ms, err := registrySchema.migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(ms) {
		t.Errorf("%d migrations recorded, %d embedded", len(applied), len(ms))
	}
	for i, m := range ms {
		if i < len(applied) && applied[i] != fmt.Sprintf("%d %s", m.Version, m.Name) {
			t.Errorf("migration %d recorded as %q", m.Version, applied[i])
		}
	}
	if _, err := s.Person(ctx, "001190000001"); err != nil {
		t.Errorf("Person after reopen: %v", err)
	}
}

func migrationRows(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v int
		var name, at string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
			t.Errorf("applied_at %q: %v", at, err)
		}
		out = append(out, fmt.Sprintf("%d %s", v, name))
	}
	return out
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dancu.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, "INSERT INTO schema_migrations VALUES (9999, 'future', '2099-01-01T00:00:00Z')"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, path); err == nil {
		s.Close()
		t.Fatal("Open of a database migrated by a newer program succeeded")
	}
}

// indexes returns the names of the explicitly created indexes.
func indexes(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.w.QueryContext(context.Background(), "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func deferred(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.w.QueryRowContext(context.Background(), "SELECT count(*) FROM deferred_indexes").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func smallBatch(from, n int) store.Batch {
	var b store.Batch
	for i := from; i < from+n; i++ {
		pin := fmt.Sprintf("0791900%05d", i)
		b.Persons = append(b.Persons, testPerson(pin, 1), testPerson(pin, 2))
		b.Events = append(b.Events, store.EventRow{ID: "load-" + pin, Type: "birth_registration", RecordedAt: testTime, Subjects: []string{pin, pin}})
	}
	b.Households = append(b.Households, store.HouseholdVersion{
		HouseholdRow: store.HouseholdRow{ID: fmt.Sprint("H", from), Version: 1, HeadPIN: b.Persons[0].PIN, Data: []byte(`{}`)},
		Change:       b.Persons[0].Change,
	})
	return b
}

func TestLoader_DefersIndexesOnEmptyRegistry(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	all := indexes(t, s)
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	during := indexes(t, s)
	for _, name := range []string{"persons_name", "person_versions_pin", "event_subjects_pin"} {
		if slices.Contains(during, name) {
			t.Errorf("index %s still there during a load into an empty registry", name)
		}
	}
	if n := deferred(t, s); n != len(all)-len(during) {
		t.Errorf("deferred_indexes has %d rows, %d indexes were dropped", n, len(all)-len(during))
	}
	if err := l.Load(ctx, smallBatch(0, 50)); err != nil {
		t.Fatal(err)
	}
	// Reads work during the load, if slowly.
	if rows, err := s.SearchPersons(ctx, store.PersonQuery{NameKey: "tran", Limit: 100}); err != nil || len(rows) != 50 {
		t.Errorf("search during load = %d rows, %v", len(rows), err)
	}
	// Verification names its covering index, which the load has dropped.
	for _, pins := range [][]string{{"079190000007"}, {"079190000007", "079190000008"}} {
		if rows, err := s.VerifyRows(store.ShareSnapshot(ctx), pins, false); err != nil || len(rows) != len(pins) {
			t.Errorf("verify rows during load = %d rows, %v", len(rows), err)
		}
	}
	if got := pragmaOf(t, s.w, "synchronous"); got != "2" {
		t.Errorf("writer synchronous after a Load = %s, want 2 (FULL)", got)
	}
	// Nothing else had the file open: the load left WAL for a rollback
	// journal, and Close goes back.
	if got := pragmaOf(t, s.w, "journal_mode"); got != "delete" {
		t.Errorf("journal mode during a load into an empty registry = %s, want delete", got)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pragmaOf(t, s.w, "journal_mode"); got != "wal" {
		t.Errorf("journal mode after Close = %s, want wal", got)
	}
	if got := indexes(t, s); !reflect.DeepEqual(got, all) {
		t.Errorf("indexes after Close = %v, want %v", got, all)
	}
	if n := deferred(t, s); n != 0 {
		t.Errorf("deferred_indexes has %d rows after Close", n)
	}
	if err := l.Load(ctx, smallBatch(100, 1)); err == nil {
		t.Error("Load after Close succeeded")
	}
	if err := l.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Subjects listed twice in an event are indexed once.
	evs, err := s.Events(ctx, store.EventQuery{Subject: "079190000007"})
	if err != nil || len(evs) != 1 || !reflect.DeepEqual(evs[0].Subjects, []string{"079190000007", "079190000007"}) {
		t.Errorf("events of a subject = %+v, %v", evs, err)
	}
}

// Another connection to the file (here another process's, as far as SQLite
// can tell) keeps a load in WAL mode, without waiting for the busy timeout.
func TestLoader_StaysInWALWhileAnotherConnectionIsOpen(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, WithBusyTimeout(time.Minute))
	other, err := sql.Open("sqlite", s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("NewLoader waited %v for the other connection", d)
	}
	if got := pragmaOf(t, s.w, "journal_mode"); got != "wal" {
		t.Errorf("journal mode with another connection open = %s, want wal", got)
	}
	if err := l.Load(ctx, smallBatch(0, 30)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := other.QueryRowContext(ctx, "SELECT count(*) FROM persons").Scan(&n); err != nil || n != 30 {
		t.Errorf("the other connection sees %d people, %v; want 30", n, err)
	}
}

func TestLoader_KeepsIndexesOnNonEmptyRegistry(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutPerson(ctx, testPerson("001190000001", 1)) }); err != nil {
		t.Fatal(err)
	}
	all := indexes(t, s)
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := indexes(t, s); !reflect.DeepEqual(got, all) {
		t.Errorf("indexes during a load into a non-empty registry = %v, want %v", got, all)
	}
	if err := l.Load(ctx, smallBatch(0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountPersons(ctx); err != nil || n != 11 {
		t.Errorf("CountPersons = %d, %v; want 11", n, err)
	}
}

// A process that dies during a load leaves the indexes dropped; the next Open
// builds them.
func TestLoader_CrashDuringLoadLeavesAnOpenableDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dancu.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	all := indexes(t, s)
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(ctx, smallBatch(0, 20)); err != nil {
		t.Fatal(err)
	}
	s.Close() // without l.Close

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := indexes(t, s); !reflect.DeepEqual(got, all) {
		t.Errorf("indexes after reopen = %v, want %v", got, all)
	}
	if n := deferred(t, s); n != 0 {
		t.Errorf("deferred_indexes has %d rows after reopen", n)
	}
	if rows, err := s.SearchPersons(ctx, store.PersonQuery{NameKey: "tran thi", Limit: 100}); err != nil || len(rows) != 20 {
		t.Errorf("search after reopen = %d rows, %v", len(rows), err)
	}
}

func TestLoader_RejectsBadBatches(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		batch func() store.Batch
		want  error
	}{
		{"version twice", func() store.Batch {
			return store.Batch{Persons: []store.PersonVersion{testPerson("001190000001", 1), testPerson("001190000001", 1)}}
		}, store.ErrExists},
		{"version gap", func() store.Batch {
			return store.Batch{Persons: []store.PersonVersion{testPerson("001190000001", 1), testPerson("001190000001", 3)}}
		}, store.ErrConflict},
		{"no version 1", func() store.Batch {
			return store.Batch{Persons: []store.PersonVersion{testPerson("001190000001", 2)}}
		}, store.ErrConflict},
		{"event id twice", func() store.Batch {
			b := smallBatch(0, 3)
			b.Events[2].ID = b.Events[0].ID
			return b
		}, store.ErrExists},
		{"household twice", func() store.Batch {
			b := smallBatch(0, 3)
			b.Households = append(b.Households, smallBatch(0, 1).Households...)
			return b
		}, store.ErrExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			l, err := s.NewLoader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Load(ctx, tc.batch()); !errors.Is(err, tc.want) {
				t.Errorf("Load: err = %v, want %v", err, tc.want)
			}
			// The loader is still usable, and nothing of the batch remains.
			if err := l.Load(ctx, smallBatch(0, 3)); err != nil {
				t.Errorf("Load after a rejected batch: %v", err)
			}
			if err := l.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := s.CountPersons(ctx); err != nil || n != 3 {
				t.Errorf("CountPersons = %d, %v; want 3", n, err)
			}
		})
	}
}

// Values that are easy to lose on the way through SQL come back as they were
// given: nil documents, the zero time, nil and empty subjects, times in other
// zones (as the same instant in UTC). Empty documents come back nil: the
// driver reads a zero-length blob as NULL.
func TestRoundTrip_EdgeValues(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	pNil := testPerson("001190000001", 1)
	pNil.Data, pNil.RecordedAt = nil, time.Time{}
	pEmpty := testPerson("001190000002", 1)
	pEmpty.Data = []byte{}
	pZone := testPerson("001190000003", 1)
	pZone.RecordedAt = time.Date(2026, 3, 1, 16, 30, 15, 1, time.FixedZone("ICT", 7*3600))
	eNil := store.EventRow{ID: "a", Type: "t"}
	eEmpty := store.EventRow{ID: "b", Type: "t", Subjects: []string{}, Request: []byte{}, Result: []byte{}, RecordedAt: testTime}
	var seqs []int64
	err := s.Update(ctx, func(tx store.Tx) error {
		seqs = seqs[:0]
		for _, p := range []store.PersonVersion{pNil, pEmpty, pZone} {
			if err := tx.PutPerson(ctx, p); err != nil {
				return err
			}
		}
		for _, e := range []store.EventRow{eNil, eEmpty} {
			seq, err := tx.PutEvent(ctx, e)
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pEmpty.Data = nil
	eEmpty.Request, eEmpty.Result = nil, nil
	for _, want := range []store.PersonVersion{pNil, pEmpty} {
		got, err := s.Person(ctx, want.PIN)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %#v\nwant %#v", got, want)
		}
	}
	got, err := s.Person(ctx, pZone.PIN)
	if err != nil {
		t.Fatal(err)
	}
	if !got.RecordedAt.Equal(pZone.RecordedAt) || got.RecordedAt.Location() != time.UTC {
		t.Errorf("RecordedAt = %v, want %v in UTC", got.RecordedAt, pZone.RecordedAt)
	}
	for i, want := range []store.EventRow{eNil, eEmpty} {
		want.Seq = seqs[i]
		got, err := s.Event(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %#v\nwant %#v", got, want)
		}
	}
	bad := testPerson("001190000004", 1)
	bad.RecordedAt = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutPerson(ctx, bad) }); err == nil {
		t.Error("a time before 1678 was accepted")
	}
}

// Errors never carry a PIN or a name.
func TestErrors_CarryNoPersonalData(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	p := testPerson("079190012345", 1)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutPerson(ctx, p) }); err != nil {
		t.Fatal(err)
	}
	var errs []error
	errs = append(errs, s.Update(ctx, func(tx store.Tx) error { return tx.PutPerson(ctx, p) }))
	errs = append(errs, s.Update(ctx, func(tx store.Tx) error { return tx.PutPerson(ctx, testPerson(p.PIN, 5)) }))
	_, err := s.Person(ctx, "079190099999")
	errs = append(errs, err)
	_, err = s.PersonHistory(ctx, "079190099999")
	errs = append(errs, err)
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	errs = append(errs, l.Load(ctx, store.Batch{Persons: []store.PersonVersion{p}}))
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, err := range errs {
		if err == nil {
			t.Error("expected an error")
			continue
		}
		for _, secret := range []string{p.PIN, "079190099999", p.NameKey, p.NameFold} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains personal data", err)
			}
		}
	}
}

// Names that continue the searched key with a character other than a space
// are not word-boundary matches, even those that sort inside the index range.
func TestSearchPersons_WordBoundary(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	keys := map[string]string{"001190000001": "le an", "001190000002": "le an\x01x", "001190000003": "le an b", "001190000004": "le anh"}
	err := s.Update(ctx, func(tx store.Tx) error {
		for pin, key := range keys {
			p := testPerson(pin, 1)
			p.NameKey = key
			if err := tx.PutPerson(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.SearchPersons(ctx, store.PersonQuery{NameKey: "le an", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pinsOf(rows), []string{"001190000001", "001190000003"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := s.SearchPersons(ctx, store.PersonQuery{NameKey: "le"}); err == nil {
		t.Error("a search without a limit succeeded")
	}
	// A cursor before the name range excludes nothing.
	rows, err = s.SearchPersons(ctx, store.PersonQuery{NameKey: "le an", AfterKey: "a", AfterPIN: "9", Limit: 10})
	if err != nil || len(rows) != 2 {
		t.Errorf("search with an earlier cursor = %v, %v", pinsOf(rows), err)
	}
}

func pinsOf(rows []store.PersonRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.PIN)
	}
	return out
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutPerson(ctx, testPerson("001190000001", 1)) }); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, dest); err == nil {
		t.Error("Backup over an existing file succeeded")
	}
	b, err := Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, err := b.Person(ctx, "001190000001"); err != nil || got.Version != 1 {
		t.Errorf("Person in the backup = %+v, %v", got, err)
	}
}

// Two handles on one file stand for two processes: every increment of both
// lands, through the file lock, the busy timeout and Update's retries.
func TestTwoHandlesOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dancu.db")
	var handles []*Store
	for range 2 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		handles = append(handles, s)
	}
	pin := "001190000001"
	if err := handles[0].Update(ctx, func(tx store.Tx) error { return tx.PutPerson(ctx, testPerson(pin, 1)) }); err != nil {
		t.Fatal(err)
	}
	const each = 20
	var wg sync.WaitGroup
	for _, s := range handles {
		for range 2 {
			wg.Go(func() {
				for range each {
					err := s.Update(ctx, func(tx store.Tx) error {
						cur, err := tx.Person(ctx, pin)
						if err != nil {
							return err
						}
						return tx.PutPerson(ctx, testPerson(pin, cur.Version+1))
					})
					if err != nil {
						t.Errorf("Update: %v", err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	got, err := handles[1].Person(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + 4*each); got.Version != want {
		t.Errorf("version = %d, want %d", got.Version, want)
	}
}

// TestKillDuringWrites runs a child process that writes versions and reports
// each one Update acknowledged, kills it with SIGKILL mid-stream, and checks
// that every acknowledged version is in the file.
func TestKillDuringWrites(t *testing.T) {
	if path := os.Getenv("DANCU_SQLITE_KILL_CHILD"); path != "" {
		killChild(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "dancu.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringWrites$")
	cmd.Env = append(os.Environ(), "DANCU_SQLITE_KILL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var acked int64
	for sc.Scan() {
		if v, err := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "acked "), 10, 64); err == nil {
			acked = v
		}
		if acked >= 30 {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	// Versions acknowledged while we were stopping the child count too.
	for sc.Scan() {
		if v, err := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "acked "), 10, 64); err == nil {
			acked = v
		}
	}
	cmd.Wait()
	if acked < 30 {
		t.Fatalf("child acknowledged %d versions", acked)
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Person(context.Background(), "001190000001")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version < acked {
		t.Errorf("version after kill = %d, child acknowledged %d", got.Version, acked)
	}
}

func killChild(path string) {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for v := int64(1); ; v++ {
		err := s.Update(ctx, func(tx store.Tx) error { return tx.PutPerson(ctx, testPerson("001190000001", v)) })
		if err != nil {
			fmt.Println("update:", err)
			os.Exit(1)
		}
		fmt.Printf("acked %d\n", v)
	}
}

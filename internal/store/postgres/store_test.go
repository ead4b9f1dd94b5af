package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
)

// open returns a store on a fresh database, with the DSN for side connections.
func open(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	dsn := pgtest.NewDSN(t)
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

var t0 = time.Date(2024, 5, 1, 8, 30, 0, 123456000, time.UTC)

func person(pin string, version int64, nameKey, validFrom string) store.PersonVersion {
	return store.PersonVersion{
		PersonRow: store.PersonRow{
			PIN: pin, Version: version, NameKey: nameKey, NameFold: nameKey,
			BirthYear: 1985, BirthDate: "1985-03-02", Sex: "male", Province: "79", Commune: "26734",
			State: "alive", HouseholdID: "H1", Data: []byte(fmt.Sprintf(`{"v":%d}`, version)),
		},
		Change: store.Change{
			EventID: fmt.Sprintf("ev-%s-%d", pin, version), EventType: "birth", Actor: "admin",
			Reason: "test", ValidFrom: validFrom, RecordedAt: t0,
		},
	}
}

func put(t *testing.T, s store.Store, vs ...store.PersonVersion) {
	t.Helper()
	err := s.Update(t.Context(), func(tx store.Tx) error {
		for _, v := range vs {
			if err := tx.PutPerson(t.Context(), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
}

// query runs a scalar query on a side connection.
func query[T any](t *testing.T, dsn, sql string, args ...any) T {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v T
	if err := conn.QueryRow(t.Context(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func TestOpen_concurrentProcessesMigrateOnce(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDSN(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), dsn)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
	}
	if got := query[int64](t, dsn, `SELECT count(*) FROM schema_migrations WHERE version = 1 AND name = 'registry'`); got != 1 {
		t.Errorf("schema_migrations rows for 0001 = %d, want 1", got)
	}
	// Opening an up-to-date database changes nothing.
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestOpen_badDSNHidesPassword(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(t.Context(), "postgres://u:s3cret@host:notaport/db")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Open error = %v, want an error without the password", err)
	}
}

func TestTx_PutPerson(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	const pin = "079085000001"
	put(t, s, person(pin, 1, "nguyen van an", "1985-03-02"))

	cases := []struct {
		name    string
		v       store.PersonVersion
		wantErr error
	}{
		{"version 1 again", person(pin, 1, "x", "2000-01-01"), store.ErrExists},
		{"skips a version", person(pin, 3, "x", "2000-01-01"), store.ErrConflict},
		{"stale version", person(pin, 1, "x", "2000-01-01"), store.ErrExists},
		{"version 0", person(pin, 0, "x", "2000-01-01"), store.ErrConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Update(ctx, func(tx store.Tx) error {
				err := tx.PutPerson(ctx, tc.v)
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("PutPerson = %v, want %v", err, tc.wantErr)
				}
				if err != nil && strings.Contains(err.Error(), pin) {
					t.Errorf("error %q contains the PIN", err)
				}
				// The failed write must not have aborted the transaction.
				_, err = tx.PersonExists(ctx, pin)
				return err
			})
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
		})
	}

	put(t, s, person(pin, 2, "nguyen van binh", "2010-06-01"))
	got, err := s.Person(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	if want := person(pin, 2, "nguyen van binh", "2010-06-01"); !equalPV(got, want) {
		t.Errorf("Person = %+v, want %+v", got, want)
	}
	hist, err := s.PersonHistory(ctx, pin)
	if err != nil || len(hist) != 2 || hist[0].Version != 1 || hist[1].Version != 2 {
		t.Errorf("PersonHistory = %v, %v; want versions 1, 2", hist, err)
	}
	for _, tc := range []struct {
		date    string
		version int64
	}{{"1985-03-02", 1}, {"2010-05-31", 1}, {"2010-06-01", 2}, {"2030-01-01", 2}} {
		got, err := s.PersonAsOf(ctx, pin, tc.date)
		if err != nil || got.Version != tc.version {
			t.Errorf("PersonAsOf(%s) = version %d, %v; want %d", tc.date, got.Version, err, tc.version)
		}
	}
	if _, err := s.PersonAsOf(ctx, pin, "1985-03-01"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PersonAsOf before birth = %v, want ErrNotFound", err)
	}
	if _, err := s.Person(ctx, "000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Person(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.PersonHistory(ctx, "000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PersonHistory(missing) = %v, want ErrNotFound", err)
	}
	if n, err := s.CountPersons(ctx); n != 1 || err != nil {
		t.Errorf("CountPersons = %d, %v; want 1", n, err)
	}
}

func equalPV(a, b store.PersonVersion) bool {
	return a.PersonRow.PIN == b.PersonRow.PIN && a.Version == b.Version && a.NameKey == b.NameKey &&
		a.NameFold == b.NameFold && a.BirthYear == b.BirthYear && a.BirthDate == b.BirthDate &&
		a.Sex == b.Sex && a.Province == b.Province && a.Commune == b.Commune && a.State == b.State &&
		a.HouseholdID == b.HouseholdID && string(a.Data) == string(b.Data) &&
		a.EventID == b.EventID && a.EventType == b.EventType && a.Actor == b.Actor && a.Reason == b.Reason &&
		a.ValidFrom == b.ValidFrom && a.RecordedAt.Equal(b.RecordedAt)
}

func TestTx_Household(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	hv := func(v int64, head string) store.HouseholdVersion {
		return store.HouseholdVersion{
			HouseholdRow: store.HouseholdRow{ID: "H1", Version: v, HeadPIN: head, Province: "79", Commune: "26734", Data: []byte("{}")},
			Change:       store.Change{EventID: "e", EventType: "residence", ValidFrom: "2020-01-01", RecordedAt: t0},
		}
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutHousehold(ctx, hv(1, "A")); err != nil {
			return err
		}
		if err := tx.PutHousehold(ctx, hv(1, "A")); !errors.Is(err, store.ErrExists) {
			t.Errorf("PutHousehold(1) again = %v, want ErrExists", err)
		}
		if err := tx.PutHousehold(ctx, hv(3, "A")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("PutHousehold(3) = %v, want ErrConflict", err)
		}
		cur, err := tx.Household(ctx, "H1")
		if err != nil {
			return err
		}
		return tx.PutHousehold(ctx, hv(cur.Version+1, "B"))
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Household(ctx, "H1")
	if err != nil || got.Version != 2 || got.HeadPIN != "B" {
		t.Errorf("Household = %+v, %v; want version 2 head B", got, err)
	}
	hist, err := s.HouseholdHistory(ctx, "H1")
	if err != nil || len(hist) != 2 {
		t.Errorf("HouseholdHistory = %d versions, %v; want 2", len(hist), err)
	}
	if _, err := s.Household(ctx, "H2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Household(missing) = %v, want ErrNotFound", err)
	}
}

// TestUpdate_concurrentWriters has writers race to add versions to one person:
// the row lock of Tx.Person and the retries of Update must let every one of
// them land exactly once.
func TestUpdate_concurrentWriters(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	const pin = "001090000002"
	put(t, s, person(pin, 1, "tran thi mai", "1990-01-01"))
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				errs <- s.Update(ctx, func(tx store.Tx) error {
					cur, err := tx.Person(ctx, pin)
					if err != nil {
						return err
					}
					next := cur
					next.Version++
					next.EventID = fmt.Sprintf("ev-%d", next.Version)
					return tx.PutPerson(ctx, next)
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	got, err := s.Person(ctx, pin)
	if err != nil || got.Version != 1+writers*each {
		t.Errorf("Person version = %d, %v; want %d", got.Version, err, 1+writers*each)
	}
}

// TestUpdate_retriesConflict checks that a writer that loses the version race
// without holding the row lock gets ErrConflict, and Update runs it again.
func TestUpdate_retriesConflict(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	const pin = "001090000003"
	put(t, s, person(pin, 1, "le van c", "1990-01-01"))
	calls := 0
	err := s.Update(ctx, func(tx store.Tx) error {
		calls++
		if calls == 1 {
			// Someone else writes version 2 first.
			put(t, s, person(pin, 2, "le van c", "2000-01-01"))
			return tx.PutPerson(ctx, person(pin, 2, "x", "2000-01-01"))
		}
		cur, err := tx.Person(ctx, pin)
		if err != nil {
			return err
		}
		return tx.PutPerson(ctx, person(pin, cur.Version+1, "le van c", "2001-01-01"))
	})
	if err != nil || calls != 2 {
		t.Fatalf("Update = %v after %d calls; want nil after 2", err, calls)
	}
	if got, _ := s.Person(ctx, pin); got.Version != 3 {
		t.Errorf("version = %d, want 3", got.Version)
	}
	// A function that always conflicts gives up with ErrConflict.
	err = s.Update(ctx, func(tx store.Tx) error {
		return tx.PutPerson(ctx, person(pin, 9, "x", "2000-01-01"))
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("Update(always conflicting) = %v, want ErrConflict", err)
	}
}

func TestTx_PersonReadsOwnWrites(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	const pin = "001090000004"
	err := s.Update(ctx, func(tx store.Tx) error {
		if ok, err := tx.PersonExists(ctx, pin); ok || err != nil {
			t.Errorf("PersonExists before = %v, %v", ok, err)
		}
		if _, err := tx.Person(ctx, pin); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("tx.Person(missing) = %v, want ErrNotFound", err)
		}
		if err := tx.PutPerson(ctx, person(pin, 1, "a", "2000-01-01")); err != nil {
			return err
		}
		if err := tx.PutPerson(ctx, person(pin, 2, "b", "2001-01-01")); err != nil {
			return err
		}
		got, err := tx.Person(ctx, pin)
		if err != nil || got.Version != 2 || got.NameKey != "b" {
			t.Errorf("tx.Person = %+v, %v; want version 2", got, err)
		}
		return errors.New("roll back")
	})
	if err == nil || err.Error() != "roll back" {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	if _, err := s.Person(ctx, pin); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Person after rollback = %v, want ErrNotFound", err)
	}
	if n, _ := s.CountPersons(ctx); n != 0 {
		t.Errorf("CountPersons after rollback = %d, want 0", n)
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	ev := func(id, typ string, subjects ...string) store.EventRow {
		return store.EventRow{ID: id, Type: typ, Actor: "admin", Reason: "r", EffectiveDate: "2024-01-02",
			RecordedAt: t0, Subjects: subjects, Request: []byte(`{"a":1}`), Result: []byte(`{}`)}
	}
	var seqs []int64
	err := s.Update(ctx, func(tx store.Tx) error {
		seqs = seqs[:0]
		for _, e := range []store.EventRow{ev("e1", "birth", "P1"), ev("e2", "death", "P2"), ev("e3", "birth", "P2", "P1")} {
			seq, err := tx.PutEvent(ctx, e)
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		if _, err := tx.PutEvent(ctx, ev("e1", "birth")); !errors.Is(err, store.ErrExists) {
			t.Errorf("PutEvent(dup) = %v, want ErrExists", err)
		}
		got, err := tx.Event(ctx, "e2")
		if err != nil || got.Seq != seqs[1] {
			t.Errorf("tx.Event = %+v, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(seqs) || seqs[0] < 1 {
		t.Errorf("seqs = %v, want increasing from 1", seqs)
	}
	got, err := s.Event(ctx, "e3")
	if err != nil || !slices.Equal(got.Subjects, []string{"P2", "P1"}) || string(got.Request) != `{"a":1}` ||
		!got.RecordedAt.Equal(t0) || got.EffectiveDate != "2024-01-02" {
		t.Errorf("Event = %+v, %v", got, err)
	}
	if _, err := s.Event(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Event(missing) = %v, want ErrNotFound", err)
	}
	ids := func(q store.EventQuery) []string {
		es, err := s.Events(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	for _, tc := range []struct {
		q    store.EventQuery
		want []string
	}{
		{store.EventQuery{Limit: 10}, []string{"e1", "e2", "e3"}},
		{store.EventQuery{Limit: 2}, []string{"e1", "e2"}},
		{store.EventQuery{AfterSeq: seqs[0], Limit: 10}, []string{"e2", "e3"}},
		{store.EventQuery{Type: "birth", Limit: 10}, []string{"e1", "e3"}},
		{store.EventQuery{Subject: "P1", Limit: 10}, []string{"e1", "e3"}},
		{store.EventQuery{Subject: "P2", Type: "death", Limit: 10}, []string{"e2"}},
	} {
		if got := ids(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("Events(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

// TestOutbox_commitOrder has writers hold their transaction open after taking
// a Seq while a consumer follows the outbox by "after the last Seq seen": the
// consumer must still see every row.
func TestOutbox_commitOrder(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	const writers, each = 6, 15
	done := make(chan struct{})
	seen := make(map[int64]bool)
	var consumerErr error
	var cwg sync.WaitGroup
	cwg.Go(func() {
		var last int64
		finished := false
		for {
			rows, err := s.Outbox(ctx, last, 1000)
			if err != nil {
				consumerErr = err
				return
			}
			for _, r := range rows {
				seen[r.Seq] = true
				last = r.Seq
			}
			if finished && len(rows) == 0 {
				return
			}
			select {
			case <-done:
				finished = true
			default:
			}
		}
	})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := s.Update(ctx, func(tx store.Tx) error {
					if err := tx.AppendOutbox(ctx, store.OutboxRow{EventID: fmt.Sprint(w, "-", i), EventType: "t", PIN: "P", Data: []byte("{}")}); err != nil {
						return err
					}
					time.Sleep(time.Duration(i%3) * time.Millisecond)
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	cwg.Wait()
	if consumerErr != nil {
		t.Fatal(consumerErr)
	}
	rows, err := s.Outbox(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != writers*each {
		t.Fatalf("outbox has %d rows, want %d", len(rows), writers*each)
	}
	for _, r := range rows {
		if !seen[r.Seq] {
			t.Errorf("consumer skipped seq %d: it became visible after a higher one", r.Seq)
		}
		if r.CreatedAt.IsZero() || r.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v, want a UTC time", r.CreatedAt)
		}
	}
	if got, _ := s.Outbox(ctx, rows[0].Seq, 0); len(got) != 0 {
		t.Errorf("Outbox(limit 0) returned %d rows", len(got))
	}
}

func TestSearchPersons(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	mk := func(pin, key, fold string, year int, province string) store.PersonVersion {
		v := person(pin, 1, key, "2000-01-01")
		v.NameFold, v.BirthYear, v.Province = fold, year, province
		return v
	}
	put(t, s,
		mk("000000000005", "nguyen van an", "nguyễn văn an", 1985, "79"),
		mk("000000000003", "nguyen van an", "nguyễn vân an", 1990, "79"),
		mk("000000000004", "nguyen van", "nguyễn văn", 1985, "01"),
		mk("000000000001", "nguyen vanh", "nguyễn vanh", 1985, "79"),
		mk("000000000002", "nguyen van binh", "nguyễn văn bình", 1985, "01"),
		mk("000000000006", "tran van an", "trần văn an", 1985, "79"),
	)
	pins := func(q store.PersonQuery) []string {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 100
		}
		rows, err := s.SearchPersons(ctx, q)
		if err != nil {
			t.Fatalf("SearchPersons(%+v): %v", q, err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.PIN[len(r.PIN)-1:])
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    store.PersonQuery
		want []string
	}{
		{"all by pin", store.PersonQuery{}, []string{"1", "2", "3", "4", "5", "6"}},
		{"word prefix", store.PersonQuery{NameKey: "nguyen van"}, []string{"4", "3", "5", "2"}},
		{"exact", store.PersonQuery{NameKey: "nguyen van an"}, []string{"3", "5"}},
		{"partial word does not match", store.PersonQuery{NameKey: "nguyen va"}, nil},
		{"fold too", store.PersonQuery{NameKey: "nguyen van", NameFold: "nguyễn văn"}, []string{"4", "5", "2"}},
		{"birth year", store.PersonQuery{NameKey: "nguyen", BirthYear: 1985}, []string{"4", "5", "2", "1"}},
		{"province by pin", store.PersonQuery{Province: "01"}, []string{"2", "4"}},
		{"limit", store.PersonQuery{NameKey: "nguyen", Limit: 2}, []string{"4", "3"}},
		{"name cursor", store.PersonQuery{NameKey: "nguyen", AfterKey: "nguyen van an", AfterPIN: "000000000003"}, []string{"5", "2", "1"}},
		{"pin cursor", store.PersonQuery{AfterPIN: "000000000004"}, []string{"5", "6"}},
		{"cursor before the name range", store.PersonQuery{NameKey: "nguyen van", AfterKey: "a", AfterPIN: "9"}, []string{"4", "3", "5", "2"}},
		{"cursor after the name range", store.PersonQuery{NameKey: "nguyen van", AfterKey: "nguyen vanh", AfterPIN: ""}, nil},
		{"cursor at the exact name", store.PersonQuery{NameKey: "nguyen van", AfterKey: "nguyen van", AfterPIN: "000000000004"}, []string{"3", "5", "2"}},
	} {
		if got := pins(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := s.SearchPersons(ctx, store.PersonQuery{}); err == nil {
		t.Error("SearchPersons with Limit 0: want an error")
	}
	rows, _ := s.SearchPersons(ctx, store.PersonQuery{NameKey: "tran van an", Limit: 1})
	if len(rows) != 1 || string(rows[0].Data) != `{"v":1}` {
		t.Errorf("SearchPersons row = %+v, want the document too", rows)
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	if _, err := s.Setting(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Setting(missing) = %v, want ErrNotFound", err)
	}
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Go(func() {
			v, err := s.SetSettingIfAbsent(ctx, "k", fmt.Sprint("v", i))
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	for _, v := range got {
		if v != got[0] {
			t.Fatalf("SetSettingIfAbsent values disagree: %v", got)
		}
	}
	if err := s.PutSetting(ctx, "k", "new"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Setting(ctx, "k"); v != "new" || err != nil {
		t.Errorf("Setting = %q, %v; want new", v, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// Package storetest is the conformance suite every store backend passes. A
// backend's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Opener returns a new, empty store for one test; the backend's test arranges
// for it to be closed and removed when the test ends.
type Opener func(t *testing.T) store.Store

// conformanceTest is one named case of the suite.
type conformanceTest struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs every conformance test against the backend that open returns.
func Run(t *testing.T, open Opener) {
	tests := append(append(append(registryTests(), directoryTests...), accessLogTests...), datasetTests...)
	tests = append(append(tests, deliveryTests...), dossierTests...)
	tests = append(tests, oidcTests...)
	tests = append(tests, eidTests...)
	tests = append(append(tests, cardTests...), healthTests...)
	tests = append(tests, leaseTests...)
	tests = append(tests, verifyTests...)
	tests = append(tests, duplicateTests...)
	tests = append(tests, statsTests...)
	tests = append(tests, keyTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// directoryTests and accessLogTests are the cases for the Directory and
// AccessLog interfaces, in their own files.
var directoryTests, accessLogTests, datasetTests, cardTests, healthTests []conformanceTest

func registryTests() []conformanceTest {
	return []conformanceTest{
		{"PersonNotFound", testPersonNotFound},
		{"PutPersonRoundTrip", testPutPersonRoundTrip},
		{"PutPersonExists", testPutPersonExists},
		{"PutPersonConflict", testPutPersonConflict},
		{"UpdateIsAtomic", testUpdateIsAtomic},
		{"TxSeesOwnWrites", testTxSeesOwnWrites},
		{"HistoryAndAsOf", testHistoryAndAsOf},
		{"SearchByName", testSearchByName},
		{"SearchFiltersAndCursor", testSearchFiltersAndCursor},
		{"Households", testHouseholds},
		{"Events", testEvents},
		{"Outbox", testOutbox},
		{"Loader", testLoader},
		{"LoaderRejectsExisting", testLoaderRejectsExisting},
		{"Settings", testSettings},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdates},
	}
}

var t0 = time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.UTC)

func change(event string, validFrom string, at time.Time) store.Change {
	return store.Change{
		EventID: event, EventType: "test", Actor: "tester", Reason: "conformance",
		ValidFrom: validFrom, RecordedAt: at,
	}
}

func person(pin string, version int64, nameKey string, c store.Change) store.PersonVersion {
	return store.PersonVersion{
		PersonRow: store.PersonRow{
			PIN: pin, Version: version, NameKey: nameKey, NameFold: nameKey,
			BirthYear: 1990, BirthDate: "1990-05-17", Sex: "female",
			Province: "79", Commune: "26734", State: "alive", HouseholdID: "H1",
			Data: []byte(fmt.Sprintf(`{"pin":%q,"v":%d}`, pin, version)),
		},
		Change: c,
	}
}

func put(t *testing.T, s store.Store, vs ...store.PersonVersion) {
	t.Helper()
	err := s.Update(context.Background(), func(tx store.Tx) error {
		for _, v := range vs {
			if err := tx.PutPerson(context.Background(), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func testPersonNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Person(ctx, "079190000001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Person: err = %v, want ErrNotFound", err)
	}
	if _, err := s.PersonHistory(ctx, "079190000001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PersonHistory: err = %v, want ErrNotFound", err)
	}
	if _, err := s.PersonAsOf(ctx, "079190000001", "2026-01-01"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PersonAsOf: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Household(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Household: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Event(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Event: err = %v, want ErrNotFound", err)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Person(ctx, "079190000001")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Tx.Person: err = %v, want ErrNotFound", err)
	}
	if n, err := s.CountPersons(ctx); err != nil || n != 0 {
		t.Errorf("CountPersons = %d, %v; want 0", n, err)
	}
}

func testPutPersonRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := person("079190000001", 1, "nguyen thi thuy", change("e1", "1990-05-17", t0))
	want.NameFold = "nguyễn thị thuỷ"
	put(t, s, want)

	got, err := s.Person(ctx, want.PIN)
	if err != nil {
		t.Fatalf("Person: %v", err)
	}
	assertVersion(t, got, want)
	if n, err := s.CountPersons(ctx); err != nil || n != 1 {
		t.Errorf("CountPersons = %d, %v; want 1", n, err)
	}
}

func assertVersion(t *testing.T, got, want store.PersonVersion) {
	t.Helper()
	if !got.RecordedAt.Equal(want.RecordedAt) {
		t.Errorf("RecordedAt = %v, want %v", got.RecordedAt, want.RecordedAt)
	}
	got.RecordedAt, want.RecordedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func testPutPersonExists(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := person("079190000002", 1, "le van an", change("e1", "1990-05-17", t0))
	put(t, s, p)
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.PutPerson(ctx, p)
	})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second version 1: err = %v, want ErrExists", err)
	}
	// A PIN stays taken after later versions too (a dead person's number is
	// never reused).
	dead := person(p.PIN, 2, "le van an", change("e2", "2020-01-01", t0))
	dead.State = "dead"
	put(t, s, dead)
	err = s.Update(ctx, func(tx store.Tx) error {
		ok, err := tx.PersonExists(ctx, p.PIN)
		if err != nil {
			return err
		}
		if !ok {
			t.Errorf("PersonExists = false for a used PIN")
		}
		return tx.PutPerson(ctx, p)
	})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("reuse of a dead person's PIN: err = %v, want ErrExists", err)
	}
}

func testPutPersonConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := person("079190000003", 1, "tran van binh", change("e1", "1990-05-17", t0))
	put(t, s, p)
	for _, v := range []int64{1, 3, 0} {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.PutPerson(ctx, person(p.PIN, v, "x", change("e2", "2020-01-01", t0)))
		})
		if v == 1 {
			if !errors.Is(err, store.ErrExists) {
				t.Errorf("version %d: err = %v, want ErrExists", v, err)
			}
			continue
		}
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("version %d: err = %v, want ErrConflict", v, err)
		}
	}
	if got, _ := s.Person(ctx, p.PIN); got.Version != 1 {
		t.Errorf("after conflicts version = %d, want 1", got.Version)
	}
	// A new person at version 2 is a conflict too: there is no version 1.
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.PutPerson(ctx, person("079190000004", 2, "x", change("e3", "2020-01-01", t0)))
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("new person at version 2: err = %v, want ErrConflict", err)
	}
}

func testUpdateIsAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutPerson(ctx, person("079190000005", 1, "a", change("e1", "1990-01-01", t0))); err != nil {
			return err
		}
		if _, err := tx.PutEvent(ctx, store.EventRow{ID: "e1", Type: "test", RecordedAt: t0}); err != nil {
			return err
		}
		if err := tx.AppendOutbox(ctx, store.OutboxRow{EventID: "e1", EventType: "test", PIN: "079190000005", Data: []byte("{}")}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update err = %v, want the callback's error", err)
	}
	if _, err := s.Person(ctx, "079190000005"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("person of a failed update: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Event(ctx, "e1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event of a failed update: err = %v, want ErrNotFound", err)
	}
	if rows, err := s.Outbox(ctx, 0, 10); err != nil || len(rows) != 0 {
		t.Errorf("outbox after a failed update = %d rows, %v; want none", len(rows), err)
	}
}

func testTxSeesOwnWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		p := person("079190000006", 1, "a", change("e1", "1990-01-01", t0))
		if err := tx.PutPerson(ctx, p); err != nil {
			return err
		}
		got, err := tx.Person(ctx, p.PIN)
		if err != nil {
			return err
		}
		if got.Version != 1 || string(got.Data) != string(p.Data) {
			t.Errorf("Tx.Person after PutPerson = v%d %s", got.Version, got.Data)
		}
		h := store.HouseholdVersion{HouseholdRow: store.HouseholdRow{ID: "H9", Version: 1, HeadPIN: p.PIN, Province: "01", Commune: "00004", Data: []byte(`{}`)}, Change: p.Change}
		if err := tx.PutHousehold(ctx, h); err != nil {
			return err
		}
		if got, err := tx.Household(ctx, "H9"); err != nil || got.HeadPIN != p.PIN {
			t.Errorf("Tx.Household after PutHousehold = %+v, %v", got, err)
		}
		if _, err := tx.PutEvent(ctx, store.EventRow{ID: "e1", Type: "test", RecordedAt: t0}); err != nil {
			return err
		}
		if got, err := tx.Event(ctx, "e1"); err != nil || got.ID != "e1" {
			t.Errorf("Tx.Event after PutEvent = %+v, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testHistoryAndAsOf(t *testing.T, s store.Store) {
	ctx := context.Background()
	pin := "079190000007"
	v1 := person(pin, 1, "pham thi hoa", change("e1", "1990-05-17", t0))
	v2 := person(pin, 2, "pham thi hoa", change("e2", "2010-03-01", t0.Add(time.Hour)))
	v2.Province, v2.Commune = "01", "00004"
	v3 := person(pin, 3, "pham thu hoa", change("e3", "2024-12-31", t0.Add(2*time.Hour)))
	v3.Reason = "name change"
	put(t, s, v1)
	put(t, s, v2)
	put(t, s, v3)

	hist, err := s.PersonHistory(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 {
		t.Fatalf("history has %d versions, want 3", len(hist))
	}
	for i, want := range []store.PersonVersion{v1, v2, v3} {
		assertVersion(t, hist[i], want)
	}
	for _, tc := range []struct {
		date string
		want int64 // 0 = not found
	}{
		{"1990-05-16", 0},
		{"1990-05-17", 1},
		{"2010-02-28", 1},
		{"2010-03-01", 2},
		{"2024-12-30", 2},
		{"2024-12-31", 3},
		{"2099-01-01", 3},
	} {
		got, err := s.PersonAsOf(ctx, pin, tc.date)
		if tc.want == 0 {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("AsOf(%s): err = %v, want ErrNotFound", tc.date, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("AsOf(%s): %v", tc.date, err)
			continue
		}
		if got.Version != tc.want {
			t.Errorf("AsOf(%s) = v%d, want v%d", tc.date, got.Version, tc.want)
		}
	}
	cur, err := s.Person(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	assertVersion(t, cur, v3)
	// The index columns follow the current version.
	rows, err := s.SearchPersons(ctx, store.PersonQuery{NameKey: "pham thi hoa", Limit: 10})
	if err != nil || len(rows) != 0 {
		t.Errorf("search by a former name = %d rows, %v; want none", len(rows), err)
	}
}

func pins(rows []store.PersonRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.PIN
	}
	return out
}

func seedSearch(t *testing.T, s store.Store) {
	t.Helper()
	people := []struct {
		pin, key, fold, dob, sex, prov, comm string
	}{
		{"001190000001", "nguyen thi thuy", "nguyễn thị thuỷ", "1990-01-02", "female", "01", "00004"},
		{"001190000002", "nguyen thi thuy", "nguyễn thị thuý", "1990-07-02", "female", "79", "26734"},
		{"001190000003", "nguyen thi thuy linh", "nguyễn thị thuỷ linh", "1991-01-02", "female", "79", "26734"},
		{"001090000004", "nguyen thi thuyen", "nguyễn thị thuyên", "1990", "female", "01", "00004"},
		{"001090000005", "nguyen van an", "nguyễn văn an", "1990-03", "male", "01", "00008"},
		{"001190000006", "le thi thuy", "lê thị thuỷ", "1990-01-02", "female", "01", "00004"},
		{"001190000000", "nguyen thi thuy", "nguyễn thị thuỷ", "1985-01-02", "female", "01", "00004"},
	}
	var vs []store.PersonVersion
	for _, p := range people {
		v := person(p.pin, 1, p.key, change("e-"+p.pin, "2000-01-01", t0))
		v.NameFold, v.BirthDate, v.Sex, v.Province, v.Commune = p.fold, p.dob, p.sex, p.prov, p.comm
		fmt.Sscanf(p.dob, "%d", &v.BirthYear)
		vs = append(vs, v)
	}
	put(t, s, vs...)
}

func testSearchByName(t *testing.T, s store.Store) {
	ctx := context.Background()
	seedSearch(t, s)
	for _, tc := range []struct {
		name string
		q    store.PersonQuery
		want []string
	}{
		{"exact key and word prefix, ordered by key then PIN",
			store.PersonQuery{NameKey: "nguyen thi thuy"},
			[]string{"001190000000", "001190000001", "001190000002", "001190000003"}},
		{"prefix stops at a word boundary",
			store.PersonQuery{NameKey: "nguyen thi thu"}, nil},
		{"surname prefix",
			store.PersonQuery{NameKey: "nguyen"},
			[]string{"001190000000", "001190000001", "001190000002", "001190000003", "001090000004", "001090000005"}},
		{"fold narrows to the same diacritics",
			store.PersonQuery{NameKey: "nguyen thi thuy", NameFold: "nguyễn thị thuỷ"},
			[]string{"001190000000", "001190000001", "001190000003"}},
		{"with birth year",
			store.PersonQuery{NameKey: "nguyen thi thuy", BirthYear: 1990},
			[]string{"001190000001", "001190000002"}},
		{"with full birth date",
			store.PersonQuery{NameKey: "nguyen thi thuy", BirthDate: "1990-07-02"},
			[]string{"001190000002"}},
		{"with province and commune",
			store.PersonQuery{NameKey: "nguyen thi thuy", Province: "79", Commune: "26734"},
			[]string{"001190000002", "001190000003"}},
		{"sex", store.PersonQuery{NameKey: "nguyen", Sex: "male"}, []string{"001090000005"}},
		{"no match", store.PersonQuery{NameKey: "tran"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit = 50
			rows, err := s.SearchPersons(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := pins(rows); !reflect.DeepEqual(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func testSearchFiltersAndCursor(t *testing.T, s store.Store) {
	ctx := context.Background()
	seedSearch(t, s)
	// Without a name: ordered by PIN.
	rows, err := s.SearchPersons(ctx, store.PersonQuery{Province: "01", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"001090000004", "001090000005", "001190000000", "001190000001", "001190000006"}
	if got := pins(rows); !reflect.DeepEqual(got, want) {
		t.Errorf("province 01: got %v, want %v", got, want)
	}
	// Paging with a cursor, by name and without.
	for _, q := range []store.PersonQuery{{NameKey: "nguyen"}, {Sex: "female"}} {
		var all []string
		for page := 0; page < 10; page++ {
			q.Limit = 2
			rows, err := s.SearchPersons(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, pins(rows)...)
			if len(rows) < 2 {
				break
			}
			last := rows[len(rows)-1]
			q.AfterPIN = last.PIN
			if q.NameKey != "" {
				q.AfterKey = last.NameKey
			}
		}
		q.AfterKey, q.AfterPIN, q.Limit = "", "", 50
		rows, err := s.SearchPersons(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if want := pins(rows); !reflect.DeepEqual(all, want) {
			t.Errorf("paged %v, want %v", all, want)
		}
	}
	// Index columns come back complete.
	rows, err = s.SearchPersons(ctx, store.PersonQuery{NameKey: "nguyen van an", Limit: 1})
	if err != nil || len(rows) != 1 {
		t.Fatalf("search: %d rows, %v", len(rows), err)
	}
	r := rows[0]
	if r.BirthDate != "1990-03" || r.BirthYear != 1990 || r.Sex != "male" || r.Commune != "00008" || r.State != "alive" || r.Version != 1 || len(r.Data) == 0 {
		t.Errorf("row = %+v", r)
	}
}

func testHouseholds(t *testing.T, s store.Store) {
	ctx := context.Background()
	h1 := store.HouseholdVersion{
		HouseholdRow: store.HouseholdRow{ID: "H1", Version: 1, HeadPIN: "079190000001", Province: "79", Commune: "26734", Data: []byte(`{"v":1}`)},
		Change:       change("e1", "2000-01-01", t0),
	}
	h2 := h1
	h2.Version, h2.HeadPIN, h2.Data, h2.Change = 2, "079190000002", []byte(`{"v":2}`), change("e2", "2010-01-01", t0.Add(time.Minute))
	for _, h := range []store.HouseholdVersion{h1, h2} {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.PutHousehold(ctx, h) }); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Update(ctx, func(tx store.Tx) error { return tx.PutHousehold(ctx, h1) })
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("household version 1 again: err = %v, want ErrExists", err)
	}
	h4 := h2
	h4.Version = 4
	err = s.Update(ctx, func(tx store.Tx) error { return tx.PutHousehold(ctx, h4) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("household version gap: err = %v, want ErrConflict", err)
	}
	got, err := s.Household(ctx, "H1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.HeadPIN != h2.HeadPIN || string(got.Data) != `{"v":2}` || got.EventID != "e2" || !got.RecordedAt.Equal(h2.RecordedAt) {
		t.Errorf("Household = %+v", got)
	}
	hist, err := s.HouseholdHistory(ctx, "H1")
	if err != nil || len(hist) != 2 || hist[0].Version != 1 || hist[1].Version != 2 {
		t.Errorf("HouseholdHistory = %+v, %v", hist, err)
	}
}

func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	e1 := store.EventRow{ID: "ev-1", Type: "birth_registration", Actor: "admin", Reason: "r", EffectiveDate: "2026-01-02", RecordedAt: t0,
		Subjects: []string{"079226000001", "079190000001"}, Request: []byte(`{"a":1}`), Result: []byte(`{"pin":"079226000001"}`)}
	e2 := store.EventRow{ID: "ev-2", Type: "death", Actor: "admin", EffectiveDate: "2026-01-03", RecordedAt: t0.Add(time.Second),
		Subjects: []string{"079190000001"}, Request: []byte(`{}`), Result: []byte(`{}`)}
	var seqs []int64
	for _, e := range []store.EventRow{e1, e2} {
		err := s.Update(ctx, func(tx store.Tx) error {
			seq, err := tx.PutEvent(ctx, e)
			if err == nil {
				seqs = append(seqs, seq)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(seqs) != 2 || seqs[0] <= 0 || seqs[1] <= seqs[0] {
		t.Errorf("seqs = %v, want increasing positive", seqs)
	}
	err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.PutEvent(ctx, e1); return err })
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("repeated event id: err = %v, want ErrExists", err)
	}
	got, err := s.Event(ctx, "ev-1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.RecordedAt.Equal(e1.RecordedAt) {
		t.Errorf("RecordedAt = %v, want %v", got.RecordedAt, e1.RecordedAt)
	}
	want := e1
	want.Seq = seqs[0]
	got.RecordedAt, want.RecordedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Event = %+v\nwant %+v", got, want)
	}
	for _, tc := range []struct {
		q    store.EventQuery
		want []string
	}{
		{store.EventQuery{Limit: 10}, []string{"ev-1", "ev-2"}},
		{store.EventQuery{AfterSeq: seqs[0], Limit: 10}, []string{"ev-2"}},
		{store.EventQuery{Type: "death", Limit: 10}, []string{"ev-2"}},
		{store.EventQuery{Subject: "079226000001", Limit: 10}, []string{"ev-1"}},
		{store.EventQuery{Subject: "079190000001", Limit: 10}, []string{"ev-1", "ev-2"}},
		{store.EventQuery{Limit: 1}, []string{"ev-1"}},
	} {
		rows, err := s.Events(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		if !reflect.DeepEqual(ids, tc.want) {
			t.Errorf("Events(%+v) = %v, want %v", tc.q, ids, tc.want)
		}
	}
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 5 {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.AppendOutbox(ctx, store.OutboxRow{EventID: fmt.Sprint("e", i), EventType: "test", PIN: "079190000001", Data: []byte(fmt.Sprint(i))})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, err := s.Outbox(ctx, 0, 3)
	if err != nil || len(rows) != 3 {
		t.Fatalf("Outbox = %d rows, %v", len(rows), err)
	}
	rest, err := s.Outbox(ctx, rows[2].Seq, 10)
	if err != nil || len(rest) != 2 {
		t.Fatalf("Outbox after = %d rows, %v", len(rest), err)
	}
	all := append(rows, rest...)
	for i, r := range all {
		if string(r.Data) != fmt.Sprint(i) || r.EventID != fmt.Sprint("e", i) || r.PIN != "079190000001" || r.CreatedAt.IsZero() {
			t.Errorf("row %d = %+v", i, r)
		}
		if i > 0 && r.Seq <= all[i-1].Seq {
			t.Errorf("seq not increasing at %d", i)
		}
	}
}

func testLoader(t *testing.T, s store.Store) {
	ctx := context.Background()
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for b := range 3 {
		var batch store.Batch
		for i := range 100 {
			pin := fmt.Sprintf("0011900%05d", b*100+i)
			v1 := person(pin, 1, fmt.Sprintf("name %03d", i), change("load-"+pin, "1990-01-01", t0))
			v2 := person(pin, 2, fmt.Sprintf("name %03d", i), change("card-"+pin, "2021-01-01", t0))
			v2.Data = []byte(`{"card":true}`)
			batch.Persons = append(batch.Persons, v1, v2)
			batch.Events = append(batch.Events, store.EventRow{ID: "load-" + pin, Type: "birth_registration", RecordedAt: t0, Subjects: []string{pin}, Request: []byte(`{}`), Result: []byte(`{}`)})
		}
		batch.Households = append(batch.Households, store.HouseholdVersion{
			HouseholdRow: store.HouseholdRow{ID: fmt.Sprint("HB", b), Version: 1, HeadPIN: batch.Persons[0].PIN, Province: "79", Commune: "26734", Data: []byte(`{}`)},
			Change:       change("load", "1990-01-01", t0),
		})
		if err := l.Load(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountPersons(ctx); err != nil || n != 300 {
		t.Errorf("CountPersons = %d, %v; want 300", n, err)
	}
	got, err := s.Person(ctx, "001190000150")
	if err != nil || got.Version != 2 || string(got.Data) != `{"card":true}` {
		t.Errorf("loaded person = %+v, %v", got, err)
	}
	hist, err := s.PersonHistory(ctx, "001190000150")
	if err != nil || len(hist) != 2 {
		t.Errorf("loaded history = %d, %v", len(hist), err)
	}
	if v, err := s.PersonAsOf(ctx, "001190000150", "2000-01-01"); err != nil || v.Version != 1 {
		t.Errorf("loaded as of = %+v, %v", v, err)
	}
	rows, err := s.SearchPersons(ctx, store.PersonQuery{NameKey: "name 042", Limit: 10})
	if err != nil || len(rows) != 3 {
		t.Errorf("search after load = %d rows, %v; want 3", len(rows), err)
	}
	if h, err := s.Household(ctx, "HB2"); err != nil || h.Version != 1 {
		t.Errorf("loaded household = %+v, %v", h, err)
	}
	evs, err := s.Events(ctx, store.EventQuery{Limit: 1000})
	if err != nil || len(evs) != 300 {
		t.Errorf("loaded events = %d, %v", len(evs), err)
	}
	// The registry is writable normally after a load.
	put(t, s, person("001190000150", 3, "name 042", change("e3", "2026-01-01", t0)))
}

func testLoaderRejectsExisting(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, person("001190000001", 1, "a", change("e1", "1990-01-01", t0)))
	l, err := s.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = l.Load(ctx, store.Batch{Persons: []store.PersonVersion{
		person("001190000002", 1, "b", change("e2", "1990-01-01", t0)),
		person("001190000001", 1, "a", change("e3", "1990-01-01", t0)),
	}})
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("Load of an existing PIN: err = %v, want ErrExists", err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Person(ctx, "001190000002"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rest of a failed batch: err = %v, want ErrNotFound", err)
	}
}

func testSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Setting(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Setting of a missing key: err = %v", err)
	}
	if v, err := s.SetSettingIfAbsent(ctx, "k", "one"); err != nil || v != "one" {
		t.Errorf("SetSettingIfAbsent = %q, %v; want one", v, err)
	}
	if v, err := s.SetSettingIfAbsent(ctx, "k", "two"); err != nil || v != "one" {
		t.Errorf("second SetSettingIfAbsent = %q, %v; want one", v, err)
	}
	if err := s.PutSetting(ctx, "k", "three"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Setting(ctx, "k"); err != nil || v != "three" {
		t.Errorf("Setting = %q, %v; want three", v, err)
	}
}

// testConcurrentUpdates has many writers each add one version to the same
// person, reading the current version inside the transaction: with correct
// isolation and retries every increment lands.
func testConcurrentUpdates(t *testing.T, s store.Store) {
	ctx := context.Background()
	pin := "079190000009"
	put(t, s, person(pin, 1, "a", change("e0", "1990-01-01", t0)))
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := s.Update(ctx, func(tx store.Tx) error {
					cur, err := tx.Person(ctx, pin)
					if err != nil {
						return err
					}
					next := person(pin, cur.Version+1, "a", change(fmt.Sprintf("w%d-%d", w, i), "2000-01-01", t0))
					if err := tx.PutPerson(ctx, next); err != nil {
						return err
					}
					_, err = tx.PutEvent(ctx, store.EventRow{ID: fmt.Sprintf("w%d-%d", w, i), Type: "test", RecordedAt: t0})
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Update: %v", err)
	}
	got, err := s.Person(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + writers*each); got.Version != want {
		t.Errorf("version after %d concurrent updates = %d, want %d", writers*each, got.Version, want)
	}
	hist, err := s.PersonHistory(ctx, pin)
	if err != nil || len(hist) != 1+writers*each {
		t.Errorf("history = %d versions, %v", len(hist), err)
	}
}

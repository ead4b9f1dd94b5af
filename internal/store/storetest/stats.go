package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	statsTests = []conformanceTest{
		{"StatsPersonChanges", testStatsPersonChanges},
		{"StatsDatasetLinks", testStatsDatasetLinks},
		{"StatsOutboxHead", testStatsOutboxHead},
		{"StatsEIDAccountsAfter", testStatsEIDAccountsAfter},
	}
}

var statsTests []conformanceTest

func testStatsPersonChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 5 {
		pin := fmt.Sprintf("07919000000%d", i)
		birth := person(pin, 1, "a", change("b"+pin, "1990-05-17", t0))
		birth.EventType = "birth_registration"
		moved := person(pin, 2, "a", change("m"+pin, "2025-09-01", t0))
		moved.EventType = "permanent_residence_registration"
		moved.Province, moved.Commune = "01", "00004"
		other := person(pin, 3, "a", change("c"+pin, "2026-01-01", t0))
		put(t, s, birth)
		put(t, s, moved)
		put(t, s, other)
	}
	types := []string{"birth_registration", "permanent_residence_registration"}
	var got []store.PersonVersion
	pin, ver := "", int64(0)
	for {
		page, err := s.PersonChanges(ctx, types, pin, ver, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		pin, ver = page[len(page)-1].PIN, page[len(page)-1].Version
	}
	if len(got) != 10 {
		t.Fatalf("PersonChanges returned %d versions, want 10", len(got))
	}
	for i, v := range got {
		wantPIN := fmt.Sprintf("07919000000%d", i/2)
		wantVer := int64(i%2 + 1)
		if v.PIN != wantPIN || v.Version != wantVer || v.Data != nil {
			t.Errorf("version %d = %s v%d (data %d bytes), want %s v%d", i, v.PIN, v.Version, len(v.Data), wantPIN, wantVer)
		}
		if wantVer == 2 && (v.Province != "01" || v.Commune != "00004" || v.ValidFrom != "2025-09-01" || v.EventType != types[1]) {
			t.Errorf("move %d = %+v", i, v)
		}
		if wantVer == 1 && (v.BirthDate != "1990-05-17" || v.Sex != "female" || v.State != "alive") {
			t.Errorf("birth %d = %+v", i, v)
		}
	}
	none, err := s.PersonChanges(ctx, []string{"death"}, "", 0, 10)
	if err != nil || len(none) != 0 {
		t.Errorf("PersonChanges(death) = %d, %v; want none", len(none), err)
	}
}

func testStatsDatasetLinks(t *testing.T, s store.Store) {
	ctx := context.Background()
	upsert(t, s, dsRec("vss", "k2", "079190000002", "a"), dsRec("vss", "k1", "079190000001", "a"),
		dsRec("passport", "p1", "079190000001", "a"))
	var got []string
	seen := map[string]bool{}
	ds, key := "", ""
	for {
		page, err := s.DatasetLinks(ctx, ds, key, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			// A sealed store gives the stored key, a blind index: the
			// pages are checked by dataset and PIN, each link once.
			got = append(got, r.Dataset+"/"+r.PIN)
			if seen[r.Dataset+"/"+r.Key] {
				t.Fatalf("DatasetLinks gave %s/%s twice", r.Dataset, r.Key)
			}
			seen[r.Dataset+"/"+r.Key] = true
		}
		ds, key = page[len(page)-1].Dataset, page[len(page)-1].Key
	}
	slices.Sort(got)
	want := fmt.Sprint([]string{"passport/079190000001", "vss/079190000001", "vss/079190000002"})
	if fmt.Sprint(got) != want {
		t.Errorf("DatasetLinks = %v, want %v", got, want)
	}
}

func testStatsOutboxHead(t *testing.T, s store.Store) {
	ctx := context.Background()
	if h, err := s.OutboxHead(ctx); err != nil || h != 0 {
		t.Fatalf("OutboxHead of an empty outbox = %d, %v", h, err)
	}
	for i := range 3 {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.AppendOutbox(ctx, store.OutboxRow{EventID: fmt.Sprint("e", i), EventType: "test", PIN: "079190000001", Data: []byte("{}")})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, _ := s.Outbox(ctx, 0, 10)
	if h, err := s.OutboxHead(ctx); err != nil || h != rows[len(rows)-1].Seq {
		t.Errorf("OutboxHead = %d, %v; want %d", h, err, rows[len(rows)-1].Seq)
	}
}

func testStatsEIDAccountsAfter(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, id := range []string{"C3", "A1", "B2", "D4", "E5"} {
		a := store.EIDAccount{ID: id, Kind: "citizen", PIN: fmt.Sprintf("07919000000%d", i), Version: 1, CreatedAt: eidT0, Data: []byte(`{"level":1}`)}
		if i == 4 {
			a.Kind, a.PIN, a.Parent = "organisation", "", "A1"
		}
		if err := s.CreateEIDAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for {
		page, err := s.EIDAccountsAfter(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, a := range page {
			got = append(got, a.ID+"/"+a.Kind+"/"+a.PIN+"/"+string(a.Data))
			if !a.CreatedAt.Equal(eidT0) {
				t.Errorf("account %s created %v, want %v", a.ID, a.CreatedAt, eidT0)
			}
		}
		after = page[len(page)-1].ID
	}
	want := fmt.Sprint([]string{`A1/citizen/079190000001/{"level":1}`, `B2/citizen/079190000002/{"level":1}`,
		`C3/citizen/079190000000/{"level":1}`, `D4/citizen/079190000003/{"level":1}`, `E5/organisation//{"level":1}`})
	if fmt.Sprint(got) != want {
		t.Errorf("EIDAccountsAfter = %v, want %v", got, want)
	}
}

package stats_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

// The side sources of the correctness test: eID accounts, connected
// agencies and their access-log entries, written as packages eid, exchange
// and audit write them.

// eidAccounts opens accounts for people of the registry: every third
// person aged 14+, some raised to level 2 (on a later day), one disabled,
// and one organisation's account.
func (f *fixture) eidAccounts(t testing.TB, offset, n int) {
	t.Helper()
	ctx := context.Background()
	rows, err := f.st.SearchPersons(ctx, store.PersonQuery{State: "alive", Limit: offset + 3*n})
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Date(2026, 1, 10, 20, 30, 0, 0, time.UTC) // 11 January in Viet Nam
	made := 0
	for i := offset; i < len(rows) && made < n; i += 3 {
		r := rows[i]
		if r.BirthYear > 2010 {
			continue
		}
		a := eid.Account{ID: fmt.Sprintf("acct-%s", r.PIN), Kind: eid.KindCitizen, PIN: r.PIN, Level: eid.Level1,
			CreatedAt: opened.AddDate(0, 0, made*3)}
		switch made % 4 {
		case 1:
			a.Level = eid.Level2
			a.LevelCheck = &eid.InPersonCheck{Officer: "officer-1", Card: "x", At: a.CreatedAt.AddDate(0, 0, 200), Purpose: "level2"}
		case 2:
			a.Level = eid.Level2 // provisioned at level 2
		case 3:
			if made == 3 {
				a.Disabled = true
			}
		}
		data, _ := json.Marshal(a)
		err := f.st.CreateEIDAccount(ctx, store.EIDAccount{ID: a.ID, Kind: a.Kind, PIN: a.PIN, Version: 1, CreatedAt: a.CreatedAt, Data: data})
		if errors.Is(err, store.ErrExists) {
			continue // the person has an account already
		}
		if err != nil {
			t.Fatal(err)
		}
		made++
	}
	org, _ := json.Marshal(eid.Account{ID: fmt.Sprint("org-", offset), Kind: eid.KindOrganisation, Level: eid.Level2, CreatedAt: opened})
	if err := f.st.CreateEIDAccount(ctx, store.EIDAccount{ID: fmt.Sprint("org-", offset), Kind: eid.KindOrganisation,
		Parent: "acct-x", Version: 1, CreatedAt: opened, Data: org}); err != nil {
		t.Fatal(err)
	}
}

// raiseLevels raises the level-1 accounts to level 2 today, as an officer
// would.
func (f *fixture) raiseLevels(t testing.TB) int {
	t.Helper()
	ctx := context.Background()
	raised := 0
	after := ""
	for {
		page, err := f.st.EIDAccountsAfter(ctx, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			var a eid.Account
			json.Unmarshal(r.Data, &a)
			if a.Kind != eid.KindCitizen || a.Level != eid.Level1 {
				continue
			}
			a.Level = eid.Level2
			a.LevelCheck = &eid.InPersonCheck{Officer: "officer-2", Card: "y", At: time.Now().UTC(), Purpose: "level2"}
			r.Data, _ = json.Marshal(a)
			r.Version++
			if err := f.st.PutEIDAccount(ctx, r); err != nil {
				t.Fatal(err)
			}
			raised++
		}
		if len(page) < 100 {
			return raised
		}
		after = page[len(page)-1].ID
	}
}

// testAgencies are connected agencies of several kinds, one disabled.
var testAgencies = []exchange.Agency{
	{ID: "vss", Name: "Social insurance", Kind: "insurer", Status: exchange.Active, CreatedAt: time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)},
	{ID: "bank-a", Name: "Bank A", Kind: "bank", Status: exchange.Active, CreatedAt: time.Date(2025, 6, 1, 3, 0, 0, 0, time.UTC)},
	{ID: "bank-b", Name: "Bank B", Kind: "bank", Status: exchange.Disabled, CreatedAt: time.Date(2025, 6, 1, 3, 0, 0, 0, time.UTC)},
	{ID: "telco", Name: "Carrier", Kind: "carrier", Status: exchange.Active, CreatedAt: time.Date(2026, 9, 1, 3, 0, 0, 0, time.UTC)},
}

// connectAgencies writes testAgencies in the directory.
func (f *fixture) connectAgencies(t testing.TB) {
	t.Helper()
	for _, a := range testAgencies {
		a.Version = 1
		data, _ := json.Marshal(a)
		rec := store.DirRecord{Kind: "agency", ID: a.ID, Version: 1, Data: data}
		if err := f.st.PutDirRecord(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
}

// traffic records the agencies' uses of people's data (and, every seventh,
// an officer's, which is not agencies' traffic) in the access log, on days
// spread over the last months.
func (f *fixture) traffic(t testing.TB, entries int) {
	t.Helper()
	ctx := context.Background()
	log, err := audit.Open(ctx, f.st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	people, _ := f.st.SearchPersons(ctx, store.PersonQuery{Limit: 50})
	now := time.Now().UTC()
	var acc []audit.Access
	for i := range entries {
		a := audit.Access{Time: now.Add(-time.Duration(i) * 37 * time.Hour), ActorKind: "client", Actor: "client-1",
			Agency: testAgencies[i%len(testAgencies)].ID, Purpose: "test", PIN: people[i%len(people)].PIN,
			Action: []string{"read", "verify", "feed"}[i%3]}
		if i%7 == 0 {
			a.ActorKind, a.Actor, a.Agency = "staff", "officer-1", ""
		}
		acc = append(acc, a)
	}
	if err := log.Record(ctx, acc...); err != nil {
		t.Fatal(err)
	}
}

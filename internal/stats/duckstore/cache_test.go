package duckstore

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/stats"
)

// A repeated query is answered from the service's cache until the store is
// written; after any write the answer is the store's new one, equal to
// an uncached scan's, exact and protected.
func TestResultCache_FollowsWrites(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "", Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(5, 6))
	var people []stats.Person
	for id := int64(1); id <= 3000; id++ {
		people = append(people, randomPerson(r, id, 1))
	}
	if err := s.Apply(ctx, stats.Batch{Cursor: 1, People: people}); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	svc, scan := stats.NewService(s, 10, 0), stats.NewService(s, 10, 0)
	svc.SetClock(clock)
	scan.SetClock(clock)
	scan.SetPreaggregatedDays(0)
	qs := []stats.Query{
		{Indicator: "population", By: []string{stats.DimCommune, stats.DimAgeGroup, stats.DimSex}, Exact: true},
		{Indicator: "population", By: []string{stats.DimCommune, stats.DimAgeGroup, stats.DimSex}},
		{Indicator: "chip_cards", By: []string{stats.DimProvince}},
	}
	check := func(stage string, wantCached bool) {
		t.Helper()
		for _, q := range qs {
			a, err := svc.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			b, err := svc.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Errorf("%s: %s by %v asked twice was computed twice", stage, q.Indicator, q.By)
			}
			want, err := scan.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if render(a) != render(want) {
				t.Errorf("%s: %s by %v exact=%v differs from the scan", stage, q.Indicator, q.By, q.Exact)
			}
		}
	}
	check("first", false)
	before, _ := svc.Query(ctx, qs[0])
	// A feed batch moving and adding people.
	var moved []stats.Person
	for id := int64(1); id <= 200; id++ {
		p := randomPerson(r, id, 2)
		p.Born, p.BirthYear, p.BirthMD, p.Left, p.LeftUnknown = time.Date(1990, 5, 5, 0, 0, 0, 0, time.UTC), 1990, 505, time.Time{}, false
		moved = append(moved, p)
	}
	if err := s.Apply(ctx, stats.Batch{Cursor: 2, People: moved}); err != nil {
		t.Fatal(err)
	}
	after, _ := svc.Query(ctx, qs[0])
	if after == before || render(after) == render(before) {
		t.Fatal("the table did not change after a feed batch that changes it")
	}
	check("after a feed batch", false)
	// A refresh of the side tables (chip cards do not depend on it, but
	// the cache cannot know: any write is a new version).
	v := s.Version()
	if err := s.ReplaceSides(ctx, stats.Sides{EID: []stats.EIDAccount{{ID: 5, Since: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}}}); err != nil {
		t.Fatal(err)
	}
	if s.Version() == v {
		t.Fatal("a refresh did not change the store's version")
	}
	check("after a refresh", false)
}

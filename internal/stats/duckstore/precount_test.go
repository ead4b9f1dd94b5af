package duckstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/stats"
)

// With the background counter running, no query counts a day: today is
// counted at start, the next day before midnight, a past day only once it
// was asked for twice; meanwhile the queries scan and give the same tables.
func TestBackgroundPreaggregation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := Open(ctx, "", Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(3, 4))
	var people []stats.Person
	for id := int64(1); id <= 2000; id++ {
		people = append(people, randomPerson(r, id, 1))
	}
	if err := s.Apply(ctx, stats.Batch{Cursor: 1, People: people}); err != nil {
		t.Fatal(err)
	}
	today := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	// 23:30 in Viet Nam: within the hour before the next day.
	clock := func() time.Time { return time.Date(2026, 11, 27, 23, 30, 0, 0, registry.Vietnam) }
	svc, scan := stats.NewService(s, 10, 0), stats.NewService(s, 10, 0)
	svc.SetClock(clock)
	scan.SetClock(clock)
	scan.SetPreaggregatedDays(0)

	counted := make(chan time.Time, 10)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		svc.RunPreaggregation(ctx, stats.PreaggregateOptions{After: func(day time.Time, err error) {
			if err != nil {
				t.Errorf("counting %s: %v", day, err)
			}
			counted <- day
		}})
	}()
	defer wg.Wait()
	defer cancel()
	expect := func(want time.Time) {
		t.Helper()
		select {
		case d := <-counted:
			if !d.Equal(want) {
				t.Fatalf("counted %s, want %s", d.Format(time.DateOnly), want.Format(time.DateOnly))
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s was not counted", want.Format(time.DateOnly))
		}
	}
	expect(today)
	expect(today.AddDate(0, 0, 1))
	if !s.Holds(today) || !s.Holds(today.AddDate(0, 0, 1)) {
		t.Fatal("today and the next day should be held")
	}
	counts := s.pre.counts

	// A past day: the first query scans and counts nothing; the table is
	// the scan's.
	past := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	q := stats.Query{Indicator: "population", By: []string{stats.DimCommune, stats.DimAgeGroup, stats.DimSex}, AsOf: past, Exact: true}
	for i := range 2 {
		got, err := svc.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := scan.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if render(got) != render(want) {
			t.Fatalf("query %d while not held differs from the scan", i)
		}
		if i == 0 {
			select {
			case d := <-counted:
				t.Fatalf("%s counted after one query", d.Format(time.DateOnly))
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
	// Asked twice: counted in the background, then answered from it.
	expect(past)
	if s.pre.counts != counts+1 || !s.Holds(past) {
		t.Fatalf("the past day should have been counted once in the background (%d counts)", s.pre.counts-counts)
	}
	got, err := svc.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := scan.Query(ctx, q)
	if render(got) != render(want) {
		t.Fatal("the counted day's table differs from the scan")
	}
}

func render(r *stats.Result) string {
	var b strings.Builder
	for _, row := range r.Rows {
		fmt.Fprint(&b, row.Dims)
		for _, c := range row.Counts {
			if c == nil {
				b.WriteString(" x")
			} else {
				fmt.Fprint(&b, " ", *c)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

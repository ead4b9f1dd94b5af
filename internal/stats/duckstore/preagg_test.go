package duckstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/stats"
)

// randomPerson is a person with every field the indicators read drawn at
// random, dates falling on either side of the days the test asks about.
func randomPerson(r *rand.Rand, id, version int64) stats.Person {
	day := func(from, to int) time.Time {
		return time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN((to-from)*365))
	}
	places := [][2]string{{"01", "00004"}, {"01", "00007"}, {"79", "26734"}, {"79", "26737"}, {"", ""}}
	pl := places[r.IntN(len(places))]
	p := stats.Person{ID: id, Version: version, Sex: []string{"female", "male", ""}[r.IntN(3)], Province: pl[0], Commune: pl[1]}
	if r.IntN(30) > 0 {
		p.Born = day(1915, 2027)
		if r.IntN(20) == 0 {
			p.Born = time.Date(2000+4*r.IntN(6), 2, 29, 0, 0, 0, 0, time.UTC) // a leap day
		}
		p.BirthYear, p.BirthMD = p.Born.Year(), int(p.Born.Month())*100+p.Born.Day()
	}
	switch r.IntN(8) {
	case 0:
		p.Left = day(2015, 2027)
	case 1:
		p.LeftUnknown = true
	}
	if r.IntN(2) == 0 {
		p.ChipSince = day(2021, 2027)
	}
	return p
}

// tables renders every pre-aggregated indicator at several groupings, as
// of day, exact and protected.
func tables(t *testing.T, svc *stats.Service, day time.Time) string {
	t.Helper()
	var b strings.Builder
	for _, ind := range stats.Indicators() {
		if ind.Pre == nil {
			continue
		}
		dims := ind.DimNames()
		groupings := [][]string{nil, {dims[0]}, dims[len(dims)-1:], dims[:min(3, len(dims))], {stats.DimCommune, dims[len(dims)-1]}}
		if ind.Pre.Cells {
			// The finest table, read from the store's cells, in its order
			// and in another.
			groupings = append(groupings, []string{stats.DimCommune, stats.DimAgeGroup, stats.DimSex},
				[]string{stats.DimSex, stats.DimCommune, stats.DimAgeGroup})
		}
		for _, by := range groupings {
			for _, exact := range []bool{true, false} {
				res, err := svc.Query(context.Background(), stats.Query{Indicator: ind.Name, By: by, AsOf: day, Exact: exact})
				if err != nil {
					t.Fatalf("%s by %v: %v", ind.Name, by, err)
				}
				fmt.Fprintf(&b, "%s by %v exact=%v:\n", ind.Name, by, exact)
				for _, row := range res.Rows {
					fmt.Fprint(&b, "  ", row.Dims)
					for _, c := range row.Counts {
						if c == nil {
							b.WriteString(" x")
						} else {
							fmt.Fprint(&b, " ", *c)
						}
					}
					b.WriteString("\n")
				}
			}
		}
	}
	return b.String()
}

// The pre-aggregated counts give the very tables the scan gives, for
// every indicator that has them, exact and protected, on several days,
// through feed batches, side-table refreshes (one renumbering the
// datasets), a compaction, a rebuild and a reopening.
func TestPreaggregates_MatchTheScan(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pre.duckdb")
	s, err := Open(ctx, path, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	r := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	var people []stats.Person
	for id := int64(1); id <= n; id++ {
		people = append(people, randomPerson(r, id, 1))
	}
	if err := s.Apply(ctx, stats.Batch{Cursor: 1, People: people}); err != nil {
		t.Fatal(err)
	}
	sides := func(datasets ...string) stats.Sides {
		var sd stats.Sides
		for id := int64(1); id <= n; id++ {
			for i, ds := range datasets {
				if r.IntN(3+i) == 0 {
					sd.Links = append(sd.Links, stats.Link{Dataset: ds, ID: id})
				}
			}
			if r.IntN(3) == 0 {
				a := stats.EIDAccount{ID: id, Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(1000))}
				if r.IntN(2) == 0 {
					a.Level2Since = a.Since.AddDate(0, 0, r.IntN(400))
				}
				sd.EID = append(sd.EID, a)
			}
		}
		return sd
	}
	if err := s.ReplaceSides(ctx, sides("social-insurance", "vehicle")); err != nil {
		t.Fatal(err)
	}
	today := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return today.Add(12 * time.Hour) }
	pre, scan := stats.NewService(s, 10, 0), stats.NewService(s, 10, 0)
	pre.SetPreaggregatedDays(3)
	scan.SetPreaggregatedDays(0)
	pre.SetClock(clock)
	scan.SetClock(clock)
	days := []time.Time{today, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 5, 0, 0, 0, 0, time.UTC)}
	// check compares the two ways on each day; after the first, the held
	// days' counts must have been kept in step, not counted again.
	counts := 0
	check := func(stage string) {
		t.Helper()
		defer func() {
			if counts != 0 && s.pre.counts != counts {
				t.Errorf("%s: %d days were counted again from the people; they should have been kept in step", stage, s.pre.counts-counts)
			}
			counts = s.pre.counts
		}()
		for _, d := range days {
			want, got := tables(t, scan, d), tables(t, pre, d)
			if got != want {
				t.Fatalf("%s, as of %s: the pre-aggregated tables differ from the scan's:\n%s", stage, d.Format(time.DateOnly), firstDiff(got, want))
			}
		}
	}
	check("after loading")

	// Feed batches: new versions (moves, deaths, cards, births...), an
	// older version arriving late, a replayed batch.
	for round := range 6 {
		var b stats.Batch
		for range 300 {
			id := 1 + r.Int64N(n+200)
			b.People = append(b.People, randomPerson(r, id, int64(2+round)))
		}
		b.People = append(b.People, randomPerson(r, 1, 1))
		b.Cursor = int64(2 + round)
		for range 2 {
			if err := s.Apply(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
	}
	check("after feed batches")
	if err := s.ReplaceSides(ctx, sides("social-insurance", "vehicle")); err != nil {
		t.Fatal(err)
	}
	check("after a refresh")
	var before, after int64
	s.db.QueryRow(`SELECT count(*) FROM pre_people`).Scan(&before)
	s.mu.Lock()
	err = s.exec(ctx, "compact", compactPre)
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	s.db.QueryRow(`SELECT count(*) FROM pre_people`).Scan(&after)
	if after >= before {
		t.Errorf("compaction left %d rows of %d", after, before)
	}
	check("after a compaction")

	if err := s.ReplaceSides(ctx, sides("passport", "social-insurance", "vehicle")); err != nil {
		t.Fatal(err)
	}
	check("after a refresh that renumbers the datasets")

	l, err := s.Rebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	people = people[:0]
	for id := int64(1); id <= n; id += 2 {
		people = append(people, randomPerson(r, id, 9))
	}
	if err := l.People(people); err != nil {
		t.Fatal(err)
	}
	if err := l.Sides(sides("vehicle")); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, 20, 0); err != nil {
		t.Fatal(err)
	}
	check("after a rebuild")

	// The held days survive a reopening and stay exact.
	s.Close()
	if s, err = Open(ctx, path, Options{Threads: 2}); err != nil {
		t.Fatal(err)
	}
	pre, scan = stats.NewService(s, 10, 0), stats.NewService(s, 10, 0)
	pre.SetPreaggregatedDays(3)
	scan.SetPreaggregatedDays(0)
	pre.SetClock(clock)
	scan.SetClock(clock)
	if len(s.pre.used) != 3 {
		t.Errorf("%d days held after reopening, want 3", len(s.pre.used))
	}
	if err := s.Apply(ctx, stats.Batch{Cursor: 21, People: []stats.Person{randomPerson(r, 2, 30), randomPerson(r, n+500, 1)}}); err != nil {
		t.Fatal(err)
	}
	counts = 0
	check("after reopening")
	if s.pre.counts != 0 {
		t.Errorf("%d days counted again after reopening, want none", s.pre.counts)
	}

	// A fourth day drops the least recently asked one.
	days = []time.Time{days[1], days[2], time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)}
	counts = 0
	check("with a fourth day")
	var held int64
	s.db.QueryRow(`SELECT count(DISTINCT day) FROM pre_people WHERE day = DATE '2026-11-27'`).Scan(&held)
	if len(s.pre.used) != 3 || held != 0 {
		t.Errorf("%d days held, today's counts kept: %v; want 3 days, the least recently asked one dropped", len(s.pre.used), held == 1)
	}
}

// firstDiff shows the first differing line of two renderings.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d: pre-aggregated %q, scan %q", i+1, a, b)
		}
	}
	return ""
}

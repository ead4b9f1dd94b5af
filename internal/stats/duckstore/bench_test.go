package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/stats"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/synth"
)

// benchPeople is the population of the query benchmarks:
// DANCU_STATS_BENCH_PEOPLE, 1,000,000 by default.
func benchPeople(b *testing.B) int {
	if v := os.Getenv("DANCU_STATS_BENCH_PEOPLE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("DANCU_STATS_BENCH_PEOPLE=%q", v)
		}
		return n
	}
	return 1_000_000
}

// seedSize is how many people the generator makes; larger populations are
// copies of them under other pseudonyms, so that every distribution (age,
// sex, place, cards, deaths, events) is the generator's.
const seedSize = 200_000

// benchStore loads a synthetic population straight into a DuckDB file,
// bypassing the registry: the generator's people converted to analytics
// rows, then copied with new pseudonyms up to n.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.duckdb")
	// DANCU_STATS_BENCH_KEEP=1 keeps the file in DANCU_STATS_BENCH_DIR for
	// the next run, which reuses it (loading 10M people takes minutes);
	// its pre-aggregated days are dropped so that every run starts alike.
	keep := os.Getenv("DANCU_STATS_BENCH_KEEP") == "1"
	if d := os.Getenv("DANCU_STATS_BENCH_DIR"); d != "" {
		path = filepath.Join(d, fmt.Sprintf("bench-%d.duckdb", n))
		if keep {
			if s := reuseBenchStore(b, path, n); s != nil {
				return s
			}
		}
		os.Remove(path)
		os.Remove(path + ".wal")
		if !keep {
			b.Cleanup(func() { os.Remove(path); os.Remove(path + ".wal") })
		}
	}
	// DANCU_STATS_BENCH_MEMORY bounds DuckDB's memory ("4GB"); the machine
	// is shared.
	s, err := Open(ctx, path, benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ps, _ := stats.NewPseudonymizer([]byte("benchmark-key-0123456789"))
	seed := min(n, seedSize)
	l, err := s.Rebuild(ctx)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	_, err = synth.Batches(ctx, synth.Options{Citizens: seed, Seed: 1}, func(bt store.Batch) error {
		var people []stats.Person
		var events []stats.Event
		last := map[string]int{}
		for i, v := range bt.Persons {
			last[v.PIN] = i
			if e := ps.EventFromVersion(v.PIN, v.Version, v.EventType, v.ValidFrom, v.BirthDate, v.Sex, v.Province, v.Commune, v.State); e != nil {
				events = append(events, *e)
			}
		}
		for _, i := range last {
			v := bt.Persons[i]
			p, err := ps.PersonFromRow(v.PIN, v.Version, v.BirthDate, v.Sex, v.Province, v.Commune, v.State, v.Data)
			if err != nil {
				return err
			}
			people = append(people, p)
		}
		if err := l.People(people); err != nil {
			return err
		}
		return l.Events(events)
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := l.Commit(ctx, 0, 0); err != nil {
		b.Fatal(err)
	}
	copies := (n + seed - 1) / seed
	if copies > 1 {
		// The copies are moved to a commune drawn at random and their
		// birth days by up to half a year either way, so that counts by
		// commune, sex and age are as spread as a real population's, not
		// the 200,000 generated people's repeated.
		steps := []string{
			`SET preserve_insertion_order = false`,
			`CREATE OR REPLACE TEMP TABLE bench_places AS SELECT province, commune, (row_number() OVER (ORDER BY commune) - 1)::BIGINT AS i
				FROM (SELECT DISTINCT province, commune FROM people WHERE commune IS NOT NULL)`,
			fmt.Sprintf(`INSERT INTO people SELECT (hash(id, k) >> 1)::BIGINT AS id, version, sex, year(b), year(b) * 10000 + month(b) * 100 + day(b),
				b, CASE WHEN p.commune IS NOT NULL THEN pl.province END, CASE WHEN p.commune IS NOT NULL THEN pl.commune END,
				left_on, left_unknown, until, chip_since, 0, NULL, NULL
				FROM (SELECT *, least(born + ((hash(id, k, 'b') %% 365)::INTEGER - 182), DATE '2026-11-27') AS b,
					hash(id, k, 'c') %% (SELECT count(*) FROM bench_places) AS pi FROM people, range(1, %d) r(k)) p
				JOIN bench_places pl ON pl.i = p.pi`, copies),
			fmt.Sprintf(`INSERT INTO events SELECT (hash(id, k) >> 1)::BIGINT, version, kind, day, sex, bdate, province, commune
				FROM events, range(1, %d) r(k)`, copies),
			`INSERT INTO links SELECT 'social-insurance', id FROM people WHERE id % 10 < 6`,
			`INSERT INTO links SELECT 'passport', id FROM people WHERE id % 10 = 7`,
			// Half the people aged 14+ opened an eID account in 2025, a
			// fifth of them raised it to level 2 in 2026.
			`INSERT INTO eid_accounts SELECT id, DATE '2025-01-01' + (id % 365)::INTEGER, CASE WHEN id % 5 = 0 THEN DATE '2026-01-01' + (id % 300)::INTEGER END
				FROM people WHERE bdate < 20110101 AND id % 2 = 0`,
		}
		steps = append(steps, deriveSides...)
		for _, q := range append(steps, applyExtras, `CHECKPOINT`) {
			if _, err := s.w.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	}
	var people int64
	s.db.QueryRow(`SELECT count(*) FROM people`).Scan(&people)
	in, _ := s.Info(ctx)
	b.Logf("loaded %d people (%d generated, the rest copies) in %s; file %d MB", people, seed, time.Since(start).Round(time.Second), in.FileBytes>>20)
	return s
}

func benchOptions() Options {
	return Options{MemoryLimit: os.Getenv("DANCU_STATS_BENCH_MEMORY")}
}

// reuseBenchStore opens a kept benchmark file holding n people, with no
// day held; nil if there is none.
func reuseBenchStore(b *testing.B, path string, n int) *Store {
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	ctx := context.Background()
	s, err := Open(ctx, path, benchOptions())
	if err != nil {
		b.Logf("kept benchmark file not reused: %v", err)
		return nil
	}
	var people int64
	s.db.QueryRow(`SELECT count(*) FROM people`).Scan(&people)
	if people < int64(n) {
		s.Close()
		return nil
	}
	if err := s.exec(ctx, "bench: drop held days", []string{`DELETE FROM pre_days`, `DELETE FROM pre_people`, `DELETE FROM pre_links`, `DELETE FROM pre_cells`}); err != nil {
		b.Fatal(err)
	}
	s.pre.used = map[time.Time]time.Time{}
	b.Cleanup(func() { s.Close() })
	b.Logf("reused %s: %d people", filepath.Base(path), people)
	return s
}

// changedPeople reads n people of the store and returns new versions of
// them, half moved to another commune, as a feed batch would bring.
func changedPeople(b *testing.B, s *Store, n int, version int64) []stats.Person {
	rows, err := s.db.Query(`SELECT id, coalesce(sex, ''), coalesce(bdate, 0), born, coalesce(province, ''), coalesce(commune, ''),
		left_on, left_unknown, chip_since FROM people USING SAMPLE reservoir(` + strconv.Itoa(n) + ` ROWS) REPEATABLE (7)`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []stats.Person
	for rows.Next() {
		var p stats.Person
		var bdate int64
		var born, left, chip sql.NullTime
		if err := rows.Scan(&p.ID, &p.Sex, &bdate, &born, &p.Province, &p.Commune, &left, &p.LeftUnknown, &chip); err != nil {
			b.Fatal(err)
		}
		p.Version, p.BirthYear, p.BirthMD = version, int(bdate/10000), int(bdate%10000)
		p.Born, p.Left, p.ChipSince = born.Time, left.Time, chip.Time
		if len(out)%2 == 0 {
			p.Province, p.Commune = "01", "00004"
		}
		out = append(out, p)
	}
	return out
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timings are the wall and CPU times of a benchmark's iterations.
type timings struct{ wall, cpu []time.Duration }

// medians runs f in a benchmark loop and times each call. CPU time is the
// whole process's (DuckDB's threads included): on a shared machine, wall
// time measures the neighbours as much as the query.
func medians(b *testing.B, f func()) timings {
	var t timings
	for b.Loop() {
		t0, c0 := time.Now(), cpuTime()
		f()
		t.wall, t.cpu = append(t.wall, time.Since(t0)), append(t.cpu, cpuTime()-c0)
	}
	return t
}

// report adds the medians to the benchmark's line.
func (t timings) report(b *testing.B) {
	median := func(d []time.Duration) float64 {
		d = slices.Clone(d)
		slices.Sort(d)
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	b.ReportMetric(median(t.wall), "median-ms")
	b.ReportMetric(median(t.cpu), "median-cpu-ms")
}

// BenchmarkIndicators times each indicator, exact and protected, at the
// groupings the dashboard and the open data use.
func BenchmarkIndicators(b *testing.B) {
	n := benchPeople(b)
	s := benchStore(b, n)
	ctx := context.Background()
	// scan answers every query from the people table (as before the
	// pre-aggregates); pre from today's pre-aggregated counts.
	scan, pre := stats.NewService(s, 10, 0), stats.NewService(s, 10, 0)
	scan.SetPreaggregatedDays(0)
	today := pre.Today()
	// A feed batch of 5,000 changed people, before any day is held and with
	// one held: what keeping the counts in step costs the feed.
	version := int64(100)
	applyBench := func(name string) {
		b.Run(name, func(b *testing.B) {
			var t timings
			for b.Loop() {
				version++
				batch := stats.Batch{People: changedPeople(b, s, 5000, version)}
				t0, c0 := time.Now(), cpuTime()
				if err := s.Apply(ctx, batch); err != nil {
					b.Fatal(err)
				}
				t.wall, t.cpu = append(t.wall, time.Since(t0)), append(t.cpu, cpuTime()-c0)
			}
			t.report(b)
		})
	}
	applyBench("apply-5000/held=0")
	// Counting one day from every person: what the first query of a day,
	// and each held day in a rebuild or a dataset renumbering, costs.
	b.Run("preaggregate-a-day", func(b *testing.B) {
		i := 0
		medians(b, func() {
			i++
			if _, err := s.Preaggregate(ctx, today.AddDate(0, 0, -i), 1); err != nil {
				b.Fatal(err)
			}
		}).report(b)
	})
	if _, err := s.Preaggregate(ctx, today, stats.DefaultPreaggregatedDays); err != nil {
		b.Fatal(err)
	}
	var preRows, linkRows int64
	s.db.QueryRow(`SELECT (SELECT count(*) FROM pre_people WHERE day = ?), (SELECT count(*) FROM pre_links WHERE day = ?)`, today, today).Scan(&preRows, &linkRows)
	b.Logf("today's pre-aggregates: %d rows of pre_people, %d of pre_links", preRows, linkRows)
	applyBench("apply-5000/held=1")
	queries := []stats.Query{
		{Indicator: "population", Exact: true},
		{Indicator: "population", By: []string{"age_group", "sex"}, Exact: true},
		{Indicator: "population", By: []string{"province", "age_group", "sex"}},
		{Indicator: "population", By: []string{"commune", "age_group", "sex"}, Exact: true},
		{Indicator: "population", By: []string{"commune"}},
		{Indicator: "school_age", By: []string{"province", "cohort"}, Exact: true},
		{Indicator: "school_age", By: []string{"commune", "cohort"}},
		{Indicator: "grade1_entrants", By: []string{"commune", "entry_year"}, Exact: true},
		{Indicator: "chip_cards", By: []string{"province"}, Exact: true},
		{Indicator: "chip_cards", By: []string{"commune", "sex"}},
		{Indicator: "life_events", By: []string{"month", "event"}, Exact: true},
		{Indicator: "life_events", By: []string{"province", "month", "event"}},
		{Indicator: "dataset_coverage", By: []string{"dataset", "province"}, Exact: true},
		{Indicator: "eid_accounts", By: []string{"province"}, Exact: true},
		{Indicator: "eid_accounts", By: []string{"commune", "sex"}},
	}
	for _, q := range queries {
		// pre is computed each time (the store's version moved on, as after
		// a feed batch); cached is the same query asked again unchanged.
		for _, way := range []struct {
			name  string
			svc   *stats.Service
			fresh bool
		}{{"scan", scan, true}, {"pre", pre, true}, {"cached", pre, false}} {
			name := fmt.Sprintf("%s/by=%v/exact=%v/%s", q.Indicator, q.By, q.Exact, way.name)
			b.Run(name, func(b *testing.B) {
				medians(b, func() {
					if way.fresh {
						s.version.Add(1)
					}
					if _, err := way.svc.Query(ctx, q); err != nil {
						b.Fatal(err)
					}
				}).report(b)
			})
		}
	}
}

package duckstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
	if d := os.Getenv("DANCU_STATS_BENCH_DIR"); d != "" {
		path = filepath.Join(d, fmt.Sprintf("bench-%d.duckdb", n))
		os.Remove(path)
		os.Remove(path + ".wal")
		b.Cleanup(func() { os.Remove(path); os.Remove(path + ".wal") })
	}
	// DANCU_STATS_BENCH_MEMORY bounds DuckDB's memory ("4GB"); the machine
	// is shared.
	s, err := Open(ctx, path, Options{MemoryLimit: os.Getenv("DANCU_STATS_BENCH_MEMORY")})
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
		steps := []string{
			`SET preserve_insertion_order = false`,
			fmt.Sprintf(`INSERT INTO people SELECT (hash(id, k) >> 1)::BIGINT AS id, version, sex, birth_year, bdate, born, province, commune,
				left_on, left_unknown, until, chip_since, 0, NULL, NULL FROM people, range(1, %d) r(k)`, copies),
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

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIndicators times each indicator, exact and protected, at the
// groupings the dashboard and the open data use.
func BenchmarkIndicators(b *testing.B) {
	n := benchPeople(b)
	s := benchStore(b, n)
	svc := stats.NewService(s, 10, 0)
	ctx := context.Background()
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
		name := fmt.Sprintf("%s/by=%v/exact=%v", q.Indicator, q.By, q.Exact)
		b.Run(name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := svc.Query(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time of the whole process (DuckDB's threads included) per
			// query: on a shared machine, wall time measures the neighbours.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

package duckstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/stats"
)

// grouped is the finest population table as the pre-aggregated query
// grouped it before pre_cells: the rows PopulationCells must give.
func grouped(t *testing.T, s *Store, day time.Time) [][]any {
	t.Helper()
	rows, err := s.Aggregate(context.Background(), stats.Aggregation{From: "pre_people p", Where: []string{"p.day = " + sqlDay(day)},
		Dims: []string{"p.commune", "least(p.age // 5, 20)", "p.sex"}, Measures: []string{"sum(p.n)::BIGINT"},
		Having: []string{"sum(p.n)::BIGINT > 0"}, Ordered: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func checkCells(t *testing.T, s *Store, day time.Time, stage string) {
	t.Helper()
	c, held, err := s.PopulationCells(context.Background(), day)
	if err != nil || !held {
		t.Fatalf("%s: cells: held %v, %v", stage, held, err)
	}
	var got [][]any
	for i := range c.N {
		row := []any{any(c.Commune[i]), int64(c.AgeGroup[i]), any(c.Sex[i]), c.N[i]}
		for _, j := range []int{0, 2} {
			if row[j] == "" {
				row[j] = nil
			}
		}
		got = append(got, row)
	}
	want := grouped(t, s, day)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: %d cells, want %d:\n got %v\nwant %v", stage, len(got), len(want), got[:min(len(got), 8)], want[:min(len(want), 8)])
	}
	if len(want) == 0 {
		t.Fatalf("%s: no cells: the test checks nothing", stage)
	}
}

// The folded cells equal the grouped pre-aggregates: after the day's count,
// after batches that add cells out of order (new communes, sexes, ages) and
// empty others, after a compaction, when an older file without them is
// reopened, and not for a day not held.
func TestPopulationCells_EqualTheGroupedCounts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cells.duckdb")
	s, err := Open(ctx, path, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	if _, held, err := s.PopulationCells(ctx, day); held || err != nil {
		t.Fatalf("a day not held: held %v, %v", held, err)
	}
	// At first only one commune and one sex.
	r := rand.New(rand.NewPCG(3, 4))
	var people []stats.Person
	for id := int64(1); id <= 400; id++ {
		p := randomPerson(r, id, 1)
		p.Province, p.Commune, p.Sex = "79", "26737", "male"
		people = append(people, p)
	}
	if err := s.Apply(ctx, stats.Batch{Cursor: 1, People: people}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Preaggregate(ctx, day, 2); !ok || err != nil {
		t.Fatal(ok, err)
	}
	checkCells(t, s, day, "after the count")
	// Cells that sort before the counted ones (an earlier commune, no
	// commune, no sex, another sex), and people moving out of theirs.
	for round := range 4 {
		var b stats.Batch
		for range 150 {
			b.People = append(b.People, randomPerson(r, 1+r.Int64N(500), int64(2+round)))
		}
		b.Cursor = int64(2 + round)
		if err := s.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		checkCells(t, s, day, fmt.Sprintf("after batch %d", round))
	}
	var sorted bool
	s.db.QueryRow(`SELECT bool_and(n > 0) FROM pre_cells`).Scan(&sorted)
	if sorted {
		t.Log("no cell was emptied by the batches")
	}
	s.mu.Lock()
	err = s.exec(ctx, "compact", compactPre)
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	checkCells(t, s, day, "after a compaction")
	var empty int64
	s.db.QueryRow(`SELECT count(*) FROM pre_cells WHERE n = 0`).Scan(&empty)
	if empty != 0 {
		t.Errorf("%d empty cells kept by the compaction", empty)
	}

	// A file written before pre_cells existed gets them at its opening.
	if _, err := s.db.Exec(`DROP TABLE pre_cells; DROP TABLE pre_names`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, path, Options{Threads: 2}); err != nil {
		t.Fatal(err)
	}
	checkCells(t, s, day, "after opening a file without cells")
	if err := s.Apply(ctx, stats.Batch{Cursor: 10, People: []stats.Person{randomPerson(r, 7, 50), randomPerson(r, 900, 1)}}); err != nil {
		t.Fatal(err)
	}
	checkCells(t, s, day, "after a batch on the upgraded file")
}

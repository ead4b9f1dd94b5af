package duckstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/stats"
)

func person(id int64, version int64, province string) stats.Person {
	born := time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC)
	return stats.Person{ID: id, Version: version, Sex: "female", BirthYear: 1990, BirthMD: 517, Born: born,
		Province: province, Commune: province + "000"}
}

func TestStore_ApplyIsIdempotentAndOrdered(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := stats.Batch{Cursor: 5, People: []stats.Person{person(1, 2, "01"), person(1, 1, "79"), person(2, 1, "79")},
		Events: []stats.Event{{ID: 1, Version: 2, Kind: stats.EventMove, Day: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}}}
	for range 2 {
		if err := s.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// An older version arriving later does not replace a newer one.
	if err := s.Apply(ctx, stats.Batch{Cursor: 3, People: []stats.Person{person(1, 1, "79")}}); err != nil {
		t.Fatal(err)
	}
	in, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if in.People != 2 || in.Events != 1 || in.Cursor != 5 {
		t.Errorf("info = %+v, want 2 people, 1 event, cursor 5 (never backwards)", in)
	}
	rows, err := s.Aggregate(ctx, stats.Aggregation{From: "people p", Dims: []string{"p.province"}, Measures: []string{"count(*)"}, Ordered: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "01" || rows[1][0] != "79" {
		t.Errorf("people by province = %v, want one in 01 (version 2) and one in 79", rows)
	}
}

func TestStore_ExportIsReadableParquet(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "a.duckdb"), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Apply(ctx, stats.Batch{Cursor: 1, People: []stats.Person{person(1, 1, "01"), person(2, 1, "79"), person(3, 1, "79")}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, format := range []string{"parquet", "csv"} {
		files, err := s.Export(ctx, format, filepath.Join(dir, format))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < 2 {
			t.Fatalf("%s: files = %v", format, files)
		}
	}
	var n, in79 int64
	q := `SELECT count(*), count(*) FILTER (WHERE province = '79') FROM read_parquet('` +
		filepath.Join(dir, "parquet", "people", "*", "*.parquet") + `', hive_partitioning = true)`
	if err := s.db.QueryRowContext(ctx, q).Scan(&n, &in79); err != nil {
		t.Fatal(err)
	}
	if n != 3 || in79 != 2 {
		t.Errorf("read back %d people, %d in province 79; want 3 and 2", n, in79)
	}
	if _, err := s.Export(ctx, "xlsx", dir); err == nil {
		t.Error("an unknown format was accepted")
	}
}

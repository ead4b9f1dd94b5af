package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

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

// peopleExtras reads each person's links mask and eID dates.
func peopleExtras(t *testing.T, s *Store) map[int64]string {
	t.Helper()
	rows, err := s.db.Query(`SELECT id, links, coalesce(strftime(eid_since, '%Y-%m-%d'), '-'), coalesce(strftime(eid2_since, '%Y-%m-%d'), '-') FROM people`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var links uint64
		var e1, e2 string
		if err := rows.Scan(&id, &links, &e1, &e2); err != nil {
			t.Fatal(err)
		}
		out[id] = fmt.Sprint(links, " ", e1, " ", e2)
	}
	return out
}

func TestStore_PeopleCarryTheSideTables(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := func(m int) time.Time { return time.Date(2025, time.Month(m), 1, 0, 0, 0, 0, time.UTC) }
	if err := s.Apply(ctx, stats.Batch{Cursor: 1, People: []stats.Person{person(1, 1, "01"), person(2, 1, "01"), person(3, 1, "79")}}); err != nil {
		t.Fatal(err)
	}
	sides := stats.Sides{
		Links: []stats.Link{{Dataset: "passport", ID: 1}, {Dataset: "vss", ID: 1}, {Dataset: "vss", ID: 2}},
		EID:   []stats.EIDAccount{{ID: 2, Since: day(1), Level2Since: day(6)}, {ID: 3, Since: day(2)}},
	}
	if err := s.ReplaceSides(ctx, sides); err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{1: "3 - -", 2: "2 2025-01-01 2025-06-01", 3: "0 2025-02-01 -"}
	if got := peopleExtras(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after a refresh: %v, want %v", got, want)
	}
	// A new version from the feed keeps what the side tables say.
	if err := s.Apply(ctx, stats.Batch{Cursor: 2, People: []stats.Person{person(2, 2, "79")}}); err != nil {
		t.Fatal(err)
	}
	if got := peopleExtras(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after a feed batch: %v, want %v", got, want)
	}
	// A refresh without person 1's links and person 3's account clears
	// them; with passport gone, vss is dataset 0 and person 2's mask is 1.
	sides.Links, sides.EID = sides.Links[2:], sides.EID[:1]
	if err := s.ReplaceSides(ctx, sides); err != nil {
		t.Fatal(err)
	}
	want = map[int64]string{1: "0 - -", 2: "1 2025-01-01 2025-06-01", 3: "0 - -"}
	if got := peopleExtras(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after a second refresh: %v, want %v", got, want)
	}
	// Traffic adds up, and its cursor never goes back.
	for _, c := range []int64{10, 4} {
		if err := s.AddTraffic(ctx, []stats.Traffic{{Agency: "vss", Day: day(3), Action: "read", N: 2}, {Agency: "vss", Day: day(3), Action: "read", N: 1}}, c); err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	if err := s.db.QueryRow(`SELECT sum(n) FROM traffic`).Scan(&n); err != nil || n != 6 {
		t.Errorf("traffic = %d, %v; want 6", n, err)
	}
	if c, err := s.AccessCursor(ctx); c != 10 || err != nil {
		t.Errorf("access cursor = %d, %v; want 10", c, err)
	}
}

// An analytics file written before the people table carried the side
// tables is brought up to date when opened.
func TestOpen_UpgradesAnOlderFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	c, err := duckdb.NewConnector(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	for _, q := range []string{
		`CREATE TABLE people (` + peopleCols + `)`,
		`INSERT INTO people (id, version, left_unknown, until) VALUES (1, 1, false, DATE '9999-12-31'), (2, 1, false, DATE '9999-12-31')`,
		`CREATE TABLE link_sets (id BIGINT NOT NULL, mask UBIGINT NOT NULL)`,
		`INSERT INTO link_sets VALUES (1, 5)`,
		`CREATE TABLE meta (k INTEGER PRIMARY KEY, cursor BIGINT NOT NULL, applied_at TIMESTAMP)`,
		`INSERT INTO meta VALUES (1, 42, NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	c.Close()
	s, err := Open(ctx, path, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[int64]string{1: "5 - -", 2: "0 - -"}
	if got := peopleExtras(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after the upgrade: %v, want %v", got, want)
	}
	if cur, err := s.Cursor(ctx); cur != 42 || err != nil {
		t.Errorf("cursor = %d, %v; want 42 kept", cur, err)
	}
	if err := s.Apply(ctx, stats.Batch{Cursor: 43, People: []stats.Person{person(3, 1, "01")}}); err != nil {
		t.Errorf("apply after the upgrade: %v", err)
	}
	// And the upgraded file opens again as a current one.
	s.Close()
	if s, err = Open(ctx, path, Options{Threads: 1}); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if cur, err := s.Cursor(ctx); cur != 43 || err != nil {
		t.Errorf("cursor after reopening = %d, %v; want 43", cur, err)
	}
}

package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

// TestIndexAccesses_mergesRuns checks the shape of the person index: after
// indexing one entry at a time, no level below the top holds runFanIn runs
// (each full level was merged into the next), the runs cover the indexed
// entries without gap or overlap, and every index row belongs to a run that
// covers its entry.
func TestIndexAccesses_mergesRuns(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const n = runFanIn*runFanIn + 3*runFanIn + 5 // two levels merged at least once
	for range n {
		fillLog(t, s, 1) // appends and indexes one entry
	}
	rows, err := s.log.r.QueryContext(ctx, "SELECT level, lo, hi FROM access_person_runs ORDER BY lo")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	perLevel := map[int]int{}
	next := int64(0)
	for rows.Next() {
		var level int
		var lo, hi int64
		if err := rows.Scan(&level, &lo, &hi); err != nil {
			t.Fatal(err)
		}
		if lo != next {
			t.Errorf("a run starts at %d, want %d (gap or overlap)", lo, next)
		}
		next = hi
		perLevel[level]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if next != n {
		t.Errorf("the runs reach %d, want %d", next, n)
	}
	want := map[int]int{0: 5, 1: 3, 2: 1}
	if fmt.Sprint(perLevel) != fmt.Sprint(want) {
		t.Errorf("runs per level %v, want %v", perLevel, want)
	}
	// Every block's pairs belong to its run's range, in order.
	runs, err := int64s(ctx, s.log.r, "SELECT run FROM access_person_runs")
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range runs {
		var lo, hi int64
		if err := s.log.r.QueryRow("SELECT lo, hi FROM access_person_runs WHERE run = ?", run).Scan(&lo, &hi); err != nil {
			t.Fatal(err)
		}
		ps, err := runBlocks(ctx, s.log.r, run, []byte{}, allPseudonyms)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(ps)) != hi-lo {
			t.Errorf("run %d [%d, %d) holds %d pairs", run, lo, hi, len(ps))
		}
		for i, p := range ps {
			if p.idx < lo || p.idx >= hi || (i > 0 && comparePairs(ps[i-1], p) >= 0) {
				t.Errorf("run %d [%d, %d): pair %d (%x, %d) out of range or order", run, lo, hi, i, p.person, p.idx)
			}
		}
	}
	if got, err := s.MissingFromAccessIndex(ctx); got != -1 || err != nil {
		t.Errorf("MissingFromAccessIndex = %d, %v; want -1", got, err)
	}
}

// TestOpen_MigratesPersonTreeToRuns: an access file whose person index is
// the one tree of access migration 0001 opens with that tree dropped and
// the entries to be indexed again; meanwhile listings are whole (the tail
// scan), and the indexer then covers everything.
func TestOpen_MigratesPersonTreeToRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dancu.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	fillLog(t, s, 100)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+AccessLogPath(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE access_person (person BLOB NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (person, idx)) STRICT, WITHOUT ROWID",
		"INSERT INTO access_person SELECT person, idx FROM access_log",
		"DROP TABLE access_person_blocks", "DROP TABLE access_person_runs", "DROP TABLE access_person_merge",
		"DELETE FROM schema_migrations WHERE version = 2",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.50s: %v", q, err)
		}
	}
	db.Close()

	s, err = Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var indexed int64
	if err := s.log.r.QueryRow("SELECT indexed FROM access_index_state").Scan(&indexed); err != nil || indexed != 0 {
		t.Fatalf("indexed after the migration: %d, %v; want 0 (indexed again)", indexed, err)
	}
	checkLog(t, s, 100) // listed from the unindexed tail
	fillLog(t, s, 10)   // indexes everything
	checkLog(t, s, 110)
}

// TestIndexAccesses_listsDuringMerges: with merges that take many steps,
// every person's listing is whole and in order, and the index check finds
// nothing missing, after every step.
func TestIndexAccesses_listsDuringMerges(t *testing.T) {
	defer func(n int64) { mergeStepRows = n }(mergeStepRows)
	mergeStepRows = 8
	s := openTest(t)
	ctx := context.Background()
	people := make([][]byte, 40)
	for i := range people {
		people[i] = make([]byte, 32)
		rand.Read(people[i])
	}
	want := map[string][]int64{}
	const n = 700
	b := store.AccessBatch{}
	for i := range int64(n) {
		p := people[i%int64(len(people))]
		b.Entries = append(b.Entries, store.AccessEntry{Index: i, Person: p, Data: []byte(fmt.Sprint(i))})
		b.Hashes = append(b.Hashes, [32]byte{}, [32]byte{})
		want[string(p)] = append([]int64{i}, want[string(p)]...)
	}
	if err := s.AppendAccess(ctx, b); err != nil {
		t.Fatal(err)
	}
	merging := 0
	for indexed := int64(0); indexed < n; {
		var err error
		if indexed, err = s.IndexAccesses(ctx, 10); err != nil {
			t.Fatal(err)
		}
		var inMerge int
		if err := s.log.r.QueryRow("SELECT count(*) FROM access_person_merge").Scan(&inMerge); err != nil {
			t.Fatal(err)
		}
		merging += inMerge
		for _, p := range people[:5] {
			es, err := s.PersonAccesses(ctx, store.AccessQuery{Person: p, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range es {
				got = append(got, e.Index)
			}
			if fmt.Sprint(got) != fmt.Sprint(want[string(p)]) {
				t.Fatalf("at %d indexed: listing %v, want %v", indexed, got, want[string(p)])
			}
		}
		if got, err := s.MissingFromAccessIndex(ctx); got != -1 || err != nil {
			t.Fatalf("at %d indexed: MissingFromAccessIndex = %d, %v; want -1", indexed, got, err)
		}
	}
	if merging < 10 {
		t.Errorf("a merge was in progress after %d of the steps; want merges of many steps", merging)
	}
}

// TestPersonAccesses_plan: a listing seeks each run's blocks by (run,
// first), and never scans the blocks.
func TestPersonAccesses_plan(t *testing.T) {
	s := openTest(t)
	plan := planOn(t, s.log.r, personBlocksQuery, []byte("p"), int64(100))
	for _, step := range strings.Split(strings.TrimSpace(plan), "\n") {
		// The runs table is small (tens of rows); any other scan reads a
		// whole table.
		if strings.HasPrefix(step, "SCAN ") && step != "SCAN r" {
			t.Errorf("the listing scans: %s", step)
		}
	}
	if strings.Count(plan, "SEARCH b USING PRIMARY KEY (run=? AND first") != 2 {
		t.Errorf("the listing does not seek the blocks by run and first pair:\n%s", plan)
	}
}

// FuzzDecodeBlock: decoding never panics, and what decodes encodes back to
// the same bytes.
func FuzzDecodeBlock(f *testing.F) {
	f.Add(encodeBlock([]indexPair{{[]byte("alice"), 1}, {[]byte("bob"), 1 << 40}}))
	f.Add([]byte{0x05, 'a'})
	f.Add([]byte{0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := decodeBlock(b, nil)
		if err != nil {
			return
		}
		if got := encodeBlock(ps); !bytes.Equal(got, b) && len(b) > 0 {
			// Varints have one canonical form; a non-canonical one may
			// decode, and then must at least decode to the same pairs.
			again, err := decodeBlock(got, nil)
			if err != nil || fmt.Sprint(again) != fmt.Sprint(ps) {
				t.Fatalf("%x decodes to %v, which encodes to %x, which decodes to %v, %v", b, ps, got, again, err)
			}
		}
	})
}

//go:build unix

package crash_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	// The driver for reading the file directly, beside the store.
	_ "modernc.org/sqlite"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/synth"
)

// The run the generate test kills. The generator seed is fixed: the test
// recomputes the batches to know exactly what a whole batch holds.
const (
	genCitizens = 200_000
	genSeed     = 7
)

// killWindow is a range of bytes written (database plus WAL) in which the
// kill falls. A batch of synth.ChunkSize people writes about 30 MB, so the
// three windows kill before or just after the first commit, after a few
// batches, and after several.
type killWindow struct {
	name     string
	from, to int64
}

var generateKills = []killWindow{
	{"early", 4 << 20, 50 << 20},
	{"middle", 75 << 20, 115 << 20},
	{"later", 130 << 20, 170 << 20},
}

func TestGenerate_KillMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("kills three bulk loads of 200,000 people: not with -short")
	}
	t.Parallel()
	rng := newRand(t)
	// Indexes of a store that was never interrupted: the repaired file
	// must have the same.
	want := freshIndexes(t)
	cache := &batchCache{}
	for _, w := range generateKills {
		// Draw every kill point up front, so each subtest's point depends
		// only on the seed.
		at := w.from + rng.Int64N(w.to-w.from)
		delay := time.Duration(rng.Int64N(int64(300 * time.Millisecond)))
		t.Run(w.name, func(t *testing.T) { generateKillAt(t, at, delay, want, cache) })
	}
}

func generateKillAt(t *testing.T, at int64, delay time.Duration, wantIndexes []string, cache *batchCache) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "dancu.db")
	began := time.Now()
	p := startDancu(t, environ(), "generate", "--citizens", fmt.Sprint(genCitizens), "--seed", fmt.Sprint(genSeed), "--data", dir)
	for written(dbPath) < at {
		if p.exited() {
			t.Fatalf("dancu generate ended with %v before the kill point; stderr:\n%s", p.state, tail(p.stderr.String(), 20))
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(delay)
	size := written(dbPath)
	p.kill()
	t.Logf("killed dancu generate after %v, %d MB written", time.Since(began).Round(time.Millisecond), size>>20)

	// The first open after the crash repairs what the load left: it
	// builds the indexes the loader had dropped.
	ctx := context.Background()
	opened := time.Now()
	st, err := openStore(ctx, dbPath)
	if err != nil {
		t.Fatalf("sqlite.Open after the kill: %v", err)
	}
	closeStore := sync.OnceValue(st.Close)
	defer closeStore()
	t.Logf("sqlite.Open repaired the store in %v", time.Since(opened).Round(time.Millisecond))

	n, err := st.CountPersons(ctx)
	if err != nil {
		t.Fatalf("CountPersons: %v", err)
	}
	if n%synth.ChunkSize != 0 || n >= genCitizens {
		t.Fatalf("CountPersons = %d: not a whole number of batches of %d short of %d", n, synth.ChunkSize, genCitizens)
	}
	batches := int(n / synth.ChunkSize)
	t.Logf("the store holds %d people: %d whole batches", n, batches)

	db := openRaw(t, dbPath)
	var took []string
	for _, c := range []struct {
		name  string
		check func()
	}{
		{"indexes", func() { checkIndexes(t, db, wantIndexes) }},
		{"integrity", func() { checkIntegrity(t, db) }},
		{"batches", func() { checkWholeBatches(t, db, cache, batches) }},
		{"versions", func() { checkVersionRows(t, db) }},
		{"histories", func() { checkHistories(t, st, db) }},
		{"households", func() { checkHouseholds(t, st, db) }},
	} {
		began := time.Now()
		c.check()
		took = append(took, fmt.Sprintf("%s %v", c.name, time.Since(began).Round(time.Millisecond)))
	}
	t.Logf("checks took: %s", strings.Join(took, ", "))
	db.Close()
	if err := closeStore(); err != nil {
		t.Fatalf("close store: %v", err)
	}

	// The folder serves.
	srv, base := startServe(t, dir)
	if n > 0 {
		var somePIN string
		if err := openRaw(t, dbPath).QueryRow("SELECT pin FROM persons LIMIT 1").Scan(&somePIN); err != nil {
			t.Fatal(err)
		}
		if status, _, err := request(ctx, http.MethodGet, base+"/v1/citizens/"+somePIN, nil); err != nil || status != http.StatusOK {
			t.Errorf("GET a person's record after the restart = %d, %v; want 200", status, err)
		}
	}
	srv.stop()

	// Generate again: a partly filled store is refused with a message that
	// says why and what to do; an empty one is filled.
	if n == 0 {
		gen := startDancu(t, environ(), "generate", "--citizens", "1000", "--seed", fmt.Sprint(genSeed), "--data", dir)
		if ps := gen.wait(60 * time.Second); !ps.Success() {
			t.Fatalf("dancu generate on the empty store the kill left ended with %v; stderr:\n%s", ps, tail(gen.stderr.String(), 20))
		}
		if !strings.Contains(gen.stdout.String(), "Generated 1,000 people") {
			t.Errorf("dancu generate on the empty store the kill left:\n%s", gen.stdout)
		}
		return
	}
	gen := startDancu(t, environ(), "generate", "--citizens", fmt.Sprint(genCitizens), "--seed", fmt.Sprint(genSeed), "--data", dir)
	if ps := gen.wait(60 * time.Second); ps.ExitCode() != 1 {
		t.Fatalf("dancu generate on a partly filled store ended with %v, want exit status 1", ps)
	}
	msg := gen.stderr.String()
	for _, want := range []string{"already holds ", " people: generate only into an empty registry", "cannot be resumed", "--data"} {
		if !strings.Contains(msg, want) {
			t.Errorf("dancu generate's refusal lacks %q:\n%s", want, msg)
		}
	}
	st2, err := openStore(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if n2, err := st2.CountPersons(ctx); err != nil || n2 != n {
		t.Errorf("after the refused generate, CountPersons = %d, %v; want %d unchanged", n2, err, n)
	}
}

// written returns the bytes of the database file and its WAL. Between
// checkpoints the WAL grows and the file does not, and the reverse after.
func written(dbPath string) int64 {
	var n int64
	for _, p := range []string{dbPath, dbPath + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// openRaw opens the file read-only beside the store, for the checks the
// store's interface has no query for.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// freshIndexes returns the index names of a store just created.
func freshIndexes(t *testing.T) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fresh.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return indexes(t, openRaw(t, path))
}

// indexes lists the declared indexes (not SQLite's automatic ones).
func indexes(t *testing.T, db *sql.DB) []string {
	t.Helper()
	names, err := strings1(db, "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
	if err != nil {
		t.Fatalf("list indexes: %v", err)
	}
	return names
}

func checkIndexes(t *testing.T, db *sql.DB, want []string) {
	t.Helper()
	if got := indexes(t, db); !slices.Equal(got, want) {
		t.Errorf("indexes after the repair = %v, want %v", got, want)
	}
	var left int
	if err := db.QueryRow("SELECT count(*) FROM deferred_indexes").Scan(&left); err != nil || left != 0 {
		t.Errorf("deferred_indexes still lists %d indexes (%v)", left, err)
	}
}

// checkIntegrity runs SQLite's own check, which also compares every index
// with its table: an index rebuilt from a torn table would show here.
func checkIntegrity(t *testing.T, db *sql.DB) {
	t.Helper()
	res, err := strings1(db, "PRAGMA integrity_check")
	if err != nil || !slices.Equal(res, []string{"ok"}) {
		t.Fatalf("integrity_check = %v, %v", res, err)
	}
}

// batchKeys is what one batch of the generator holds: each person's and
// household's highest version, and the event ids.
type batchKeys struct {
	persons    map[string]int64
	households map[string]int64
	events     map[string]bool
}

// errEnough stops the generator once the batches needed are made.
var errEnough = errors.New("enough batches")

// batchCache keeps the batches regenerated so far, so that the subtests,
// which kill at increasing points, share the work.
type batchCache struct {
	batches []batchKeys
}

// first returns the keys of the first k batches of the killed run. The
// generator is deterministic for a seed, whatever the number of workers.
func (c *batchCache) first(t *testing.T, k int) batchKeys {
	t.Helper()
	if k > len(c.batches) {
		c.batches = c.batches[:0]
		// The generator works a few batches ahead of the one it hands
		// out, so keeping a few more costs little, and the kill windows
		// are about two batches apart: the next, later kill usually
		// finds its batches here.
		upTo := min(k+4, genCitizens/synth.ChunkSize)
		_, err := synth.Batches(context.Background(), synth.Options{Citizens: genCitizens, Seed: genSeed}, func(b store.Batch) error {
			keys := batchKeys{persons: map[string]int64{}, households: map[string]int64{}, events: map[string]bool{}}
			for _, v := range b.Persons {
				keys.persons[v.PIN] = max(keys.persons[v.PIN], v.Version)
			}
			for _, v := range b.Households {
				keys.households[v.ID] = max(keys.households[v.ID], v.Version)
			}
			for _, e := range b.Events {
				keys.events[e.ID] = true
			}
			if c.batches = append(c.batches, keys); len(c.batches) == upTo {
				return errEnough
			}
			return nil
		})
		if !errors.Is(err, errEnough) {
			t.Fatalf("regenerate %d batches: %v", k, err)
		}
	}
	all := batchKeys{persons: map[string]int64{}, households: map[string]int64{}, events: map[string]bool{}}
	for _, b := range c.batches[:k] {
		maps.Copy(all.persons, b.persons)
		maps.Copy(all.households, b.households)
		maps.Copy(all.events, b.events)
	}
	return all
}

// checkWholeBatches compares the keys on record with the generator's first
// batches: a half-written batch, or a batch written twice, shows as a
// difference.
func checkWholeBatches(t *testing.T, db *sql.DB, cache *batchCache, batches int) {
	t.Helper()
	want := cache.first(t, batches)
	compare := func(what, q string, want map[string]int64) {
		t.Helper()
		got := map[string]int64{}
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("read %s: %v", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var v int64
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			got[k] = v
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("%d %s on record, want %d (the first %d batches)", len(got), what, len(want), batches)
		}
		// Count differences rather than list them: keys are PINs.
		missing, wrong := 0, 0
		for k, v := range want {
			switch g, ok := got[k]; {
			case !ok:
				missing++
			case g != v:
				wrong++
			}
		}
		if missing > 0 || wrong > 0 {
			t.Errorf("%s: %d of the first %d batches' missing, %d at another version", what, missing, batches, wrong)
		}
	}
	compare("persons", "SELECT pin, version FROM persons", want.persons)
	compare("households", "SELECT id, version FROM households", want.households)
	events := map[string]int64{}
	for id := range want.events {
		events[id] = 1
	}
	compare("events", "SELECT id, 1 FROM events", events)
}

// checkVersionRows checks in SQL, over every row, what the store's
// interface would take a call per record to check: each person and
// household has versions 1..N with the current pointer on version N, no
// version row lacks its record, and every event's subjects are on record.
func checkVersionRows(t *testing.T, db *sql.DB) {
	t.Helper()
	queries := []struct{ what, q string }{
		{"people whose versions are not 1..N with the current row at N", `
			SELECT count(*) FROM persons p
			LEFT JOIN person_versions c ON c.vid = p.cur
			WHERE c.pin IS NOT p.pin OR c.version IS NOT p.version
			   OR (SELECT count(*) FROM person_versions v WHERE v.pin = p.pin) != p.version
			   OR (SELECT min(version) FROM person_versions v WHERE v.pin = p.pin) != 1
			   OR (SELECT max(version) FROM person_versions v WHERE v.pin = p.pin) != p.version`},
		{"person versions without a person", `
			SELECT count(*) FROM person_versions v WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.pin = v.pin)`},
		{"households whose versions are not 1..N with the current row at N", `
			SELECT count(*) FROM households h
			LEFT JOIN household_versions c ON c.vid = h.cur
			WHERE c.id IS NOT h.id OR c.version IS NOT h.version
			   OR (SELECT count(*) FROM household_versions v WHERE v.id = h.id) != h.version
			   OR (SELECT min(version) FROM household_versions v WHERE v.id = h.id) != 1`},
		{"household versions without a household", `
			SELECT count(*) FROM household_versions v WHERE NOT EXISTS (SELECT 1 FROM households h WHERE h.id = v.id)`},
		{"people in a household not on record", `
			SELECT count(*) FROM persons p WHERE p.household_id != '' AND NOT EXISTS (SELECT 1 FROM households h WHERE h.id = p.household_id)`},
		{"event subjects not on record", `
			SELECT count(*) FROM event_subjects s WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.pin = s.pin)`},
		{"person versions of an event not on record", `
			SELECT count(*) FROM person_versions v WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = v.event_id)`},
		{"people counted apart from the persons table", `
			SELECT abs((SELECT value FROM counters WHERE name = 'persons') - (SELECT count(*) FROM persons))`},
	}
	for _, q := range queries {
		var n int64
		if err := db.QueryRow(q.q).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", q.what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, q.what)
		}
	}
}

// checkHistories reads people through the store's interface: PersonHistory
// must give versions 1..N in order and Person the version N. It reads a
// sample spread over the whole table, as every row is checked in SQL.
func checkHistories(t *testing.T, st store.Registry, db *sql.DB) {
	t.Helper()
	pins, err := strings1(db, "SELECT pin FROM persons")
	if err != nil {
		t.Fatal(err)
	}
	pins = sample(pins, historyStep)
	ctx := context.Background()
	bad := 0
	for _, pin := range pins {
		h, err := st.PersonHistory(ctx, pin)
		if err != nil {
			t.Fatalf("PersonHistory: %v", err)
		}
		cur, err := st.Person(ctx, pin)
		if err != nil {
			t.Fatalf("Person: %v", err)
		}
		ok := len(h) > 0 && cur.Version == int64(len(h)) && h[len(h)-1].Version == cur.Version
		for i, v := range h {
			ok = ok && v.Version == int64(i+1) && v.PIN == pin
		}
		if !ok {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d people read through the store have versions other than 1..N with the current one at N", bad, len(pins))
	}
}

// historyStep samples the people read one by one through the store.
const historyStep = 10

// sample returns every step-th element.
func sample(s []string, step int) []string {
	var out []string
	for i := 0; i < len(s); i += step {
		out = append(out, s[i])
	}
	return out
}

// checkHouseholds reads every household through the store and checks that
// each member is on record and names the household, and that everyone who
// names a household is among its members.
func checkHouseholds(t *testing.T, st store.Registry, db *sql.DB) {
	t.Helper()
	home := map[string]string{} // PIN → household id
	rows, err := db.Query("SELECT pin, household_id FROM persons")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var pin, hh string
		if err := rows.Scan(&pin, &hh); err != nil {
			t.Fatal(err)
		}
		home[pin] = hh
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		t.Fatal(err)
	}
	ids, err := strings1(db, "SELECT id FROM households")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	members := map[string]bool{}
	missing, elsewhere := 0, 0
	for _, id := range ids {
		v, err := st.Household(ctx, id)
		if err != nil {
			t.Fatalf("Household: %v", err)
		}
		var h registry.Household
		if err := json.Unmarshal(v.Data, &h); err != nil {
			t.Fatalf("decode household version %d: %v", v.Version, err)
		}
		for _, m := range h.Members {
			members[m.PIN] = true
			switch hh, ok := home[m.PIN]; {
			case !ok:
				missing++
			case hh != id:
				elsewhere++
			}
		}
	}
	unlisted := 0
	for pin, hh := range home {
		if hh != "" && !members[pin] {
			unlisted++
		}
	}
	if missing > 0 || elsewhere > 0 || unlisted > 0 {
		t.Errorf("households: %d members not on record, %d members whose record names another household, %d people missing from the household they name",
			missing, elsewhere, unlisted)
	}
	t.Logf("%d households, %d members checked", len(ids), len(members))
}

// strings1 returns the single text column of a query.
func strings1(db *sql.DB, q string) ([]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

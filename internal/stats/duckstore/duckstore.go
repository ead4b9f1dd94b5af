package duckstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/dancu/dancu/internal/stats"
)

// Options tune the engine. Zero values leave DuckDB's defaults.
type Options struct {
	Threads     int    // worker threads for queries; 0 means one per core
	MemoryLimit string // such as "2GB"
}

// Store is the DuckDB analytics store.
type Store struct {
	path string
	conn *duckdb.Connector
	db   *sql.DB
	// mu serialises writers (Apply, ReplaceSource, the commit of a
	// rebuild) on the writer connection w.
	mu sync.Mutex
	w  *sql.Conn
	// pre is the state of the pre-aggregates (see preagg.go); pmu guards
	// it, taken after mu when both are.
	pmu sync.Mutex
	pre preState
	// version counts the writes (stats.Store.Version); each write adds
	// one when it ends, committed or not.
	version atomic.Int64
}

// Version identifies the store's content.
func (s *Store) Version() int64 { return s.version.Load() }

var _ stats.Store = (*Store)(nil)

// people keeps, besides the facts, two derived columns that make the
// indicators' per-row work two integer comparisons and a subtraction:
// bdate, the birth day as the number yyyymmdd (an age is then
// (yyyymmdd of the date - bdate) / 10000, whole years exactly as
// registry.Date.AgeAt counts them, 29 February included), and until, the
// first day the person is no longer living (left_on; 0001-01-01 for a death
// with no date; 9999-12-31 while alive).
const peopleCols = `id BIGINT NOT NULL, version BIGINT NOT NULL, sex VARCHAR, birth_year INTEGER, bdate INTEGER,
	born DATE, province VARCHAR, commune VARCHAR, left_on DATE, left_unknown BOOLEAN NOT NULL, until DATE NOT NULL, chip_since DATE`

const eventsCols = `id BIGINT NOT NULL, version BIGINT NOT NULL, kind VARCHAR NOT NULL, day DATE NOT NULL, sex VARCHAR,
	bdate INTEGER, province VARCHAR, commune VARCHAR`

const linksCols = `dataset VARCHAR NOT NULL, id BIGINT NOT NULL`

const eidCols = `id BIGINT NOT NULL, since DATE NOT NULL, level2_since DATE`

const agencyCols = `agency VARCHAR NOT NULL, kind VARCHAR NOT NULL, active BOOLEAN NOT NULL, since DATE NOT NULL`

const trafficCols = `agency VARCHAR NOT NULL, day DATE NOT NULL, action VARCHAR NOT NULL, n BIGINT NOT NULL`

// extraCols are the people table's columns derived from the side tables
// (see extras), after peopleCols.
const extraCols = `links UBIGINT NOT NULL DEFAULT 0, eid_since DATE, eid2_since DATE`

// schema creates the tables and the macros the indicators use. Ages follow
// registry.Date.AgeAt: whole years from the latest day a birth date can mean.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS people (` + peopleCols + `, ` + extraCols + `)`,
	`CREATE TABLE IF NOT EXISTS events (` + eventsCols + `)`,
	`CREATE TABLE IF NOT EXISTS links (` + linksCols + `)`,
	// The datasets, numbered, and each person's linked datasets as a bit
	// mask: derived from links whenever links change, so that coverage
	// needs one join per query rather than a distinct over every link. (A
	// fixed-size mask rather than a list keeps the aggregation able to
	// spill to disk at 100 million people; 64 datasets at most.)
	`CREATE TABLE IF NOT EXISTS link_sets (id BIGINT NOT NULL, mask UBIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS link_datasets (dataset VARCHAR NOT NULL, idx INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS eid_accounts (` + eidCols + `)`,
	`CREATE TABLE IF NOT EXISTS agencies (` + agencyCols + `)`,
	`CREATE TABLE IF NOT EXISTS traffic (` + trafficCols + `, PRIMARY KEY (agency, day, action))`,
	// extras is what the side tables say of each person they name: the
	// people table carries these columns, and a side table's refresh
	// updates only the people whose extras changed.
	`CREATE TABLE IF NOT EXISTS extras (id BIGINT NOT NULL, ` + extraCols + `)`,
	`CREATE TABLE IF NOT EXISTS meta (k INTEGER PRIMARY KEY, cursor BIGINT NOT NULL, applied_at TIMESTAMP)`,
	`INSERT INTO meta (k, cursor) VALUES (1, 0) ON CONFLICT DO NOTHING`,
	`ALTER TABLE meta ADD COLUMN IF NOT EXISTS access_cursor BIGINT DEFAULT 0`,
	`CREATE OR REPLACE MACRO age_at(bdate, dnum) AS (dnum - bdate) // 10000`,
	`CREATE OR REPLACE MACRO living_at(born, until, d) AS born <= d AND until > d`,
	`CREATE OR REPLACE TEMP TABLE stage_people (` + peopleCols + `)`,
	`CREATE OR REPLACE TEMP TABLE stage_events (` + eventsCols + `)`,
	`CREATE OR REPLACE TEMP TABLE stage_traffic (` + trafficCols + `)`,
}

// upgrade brings a store written by an older dancu, whose people table has
// no extras, to the current tables: the columns are added and filled from
// the links (eID accounts arrive with the next refresh).
var upgrade = []string{
	`ALTER TABLE people ADD COLUMN links UBIGINT DEFAULT 0`,
	`ALTER TABLE people ADD COLUMN eid_since DATE`,
	`ALTER TABLE people ADD COLUMN eid2_since DATE`,
	`INSERT INTO extras SELECT id, mask, NULL, NULL FROM link_sets`,
	`UPDATE people SET links = x.links FROM extras x WHERE x.id = people.id`,
}

// Open opens (creating if needed) the analytics store at path; "" opens an
// in-memory store, for tests.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("duckstore: %w", err)
		}
	}
	c, err := duckdb.NewConnector(path, func(ex driver.ExecerContext) error {
		var set []string
		if o.Threads > 0 {
			set = append(set, fmt.Sprintf("SET threads = %d", o.Threads))
		}
		if o.MemoryLimit != "" {
			set = append(set, "SET memory_limit = '"+strings.ReplaceAll(o.MemoryLimit, "'", "")+"'")
		}
		for _, q := range set {
			if _, err := ex.ExecContext(context.Background(), q, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("duckstore: open %s: %w", filepath.Base(path), err)
	}
	s := &Store{path: path, conn: c, db: sql.OpenDB(c)}
	s.w, err = s.db.Conn(ctx)
	if err != nil {
		s.db.Close()
		return nil, fmt.Errorf("duckstore: %w", err)
	}
	steps := append(append(append([]string{}, schema...), preSchema...), cellsSchema...)
	var old, noCells bool
	err = s.w.QueryRowContext(ctx, `SELECT count(*) = 1 FROM information_schema.tables WHERE table_name = 'people'
		AND NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'people' AND column_name = 'links')`).Scan(&old)
	if err == nil && old {
		steps = append(steps, upgrade...)
	}
	if err == nil {
		err = s.w.QueryRowContext(ctx, `SELECT count(*) = 0 FROM information_schema.tables WHERE table_name = 'pre_cells'`).Scan(&noCells)
	}
	if err == nil && noCells {
		// A file from before pre_cells: its held days' cells are folded
		// from pre_people.
		steps = append(steps, fillCells...)
	}
	for _, q := range steps {
		if err == nil {
			_, err = s.w.ExecContext(ctx, q)
		}
	}
	if err == nil {
		err = s.loadPre(ctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("duckstore: schema: %w", err)
	}
	return s, nil
}

// Close releases the store.
func (s *Store) Close() error {
	var errs []error
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	errs = append(errs, s.db.Close(), s.conn.Close())
	return errors.Join(errs...)
}

// Cursor returns the outbox seq applied.
func (s *Store) Cursor(ctx context.Context) (int64, error) {
	var c int64
	err := s.db.QueryRowContext(ctx, `SELECT cursor FROM meta WHERE k = 1`).Scan(&c)
	return c, wrap("cursor", err)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("duckstore: %s: %w", op, err)
}

func nullDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var (
	never  = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	always = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
)

func personValues(p *stats.Person) []driver.Value {
	var by, bd any
	if !p.Born.IsZero() {
		by, bd = int32(p.BirthYear), int32(p.BirthYear*10000+p.BirthMD)
	}
	until := never
	switch {
	case p.LeftUnknown:
		until = always
	case !p.Left.IsZero():
		until = p.Left
	}
	return []driver.Value{p.ID, p.Version, nullStr(p.Sex), by, bd, nullDate(p.Born), nullStr(p.Province),
		nullStr(p.Commune), nullDate(p.Left), p.LeftUnknown, until, nullDate(p.ChipSince)}
}

func eventValues(e *stats.Event) []driver.Value {
	var bd any
	if e.BirthYear != 0 {
		bd = int32(e.BirthYear*10000 + e.BirthMD)
	}
	return []driver.Value{e.ID, e.Version, e.Kind, e.Day, nullStr(e.Sex), bd, nullStr(e.Province), nullStr(e.Commune)}
}

// appendRows appends rows to table through DuckDB's Appender on the writer
// connection.
func (s *Store) appendRows(ctx context.Context, table string, n int, row func(i int) []driver.Value) error {
	if n == 0 {
		return nil
	}
	return s.w.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return err
		}
		for i := range n {
			if err := a.AppendRow(row(i)...); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
}

// Apply merges a feed batch and moves the cursor, in one transaction.
func (s *Store) Apply(ctx context.Context, b stats.Batch) error {
	if err := s.writable("apply"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.version.Add(1)
	for _, q := range []string{`DELETE FROM stage_people`, `DELETE FROM stage_events`} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return wrap("apply", err)
		}
	}
	if err := s.appendRows(ctx, "stage_people", len(b.People), func(i int) []driver.Value { return personValues(&b.People[i]) }); err != nil {
		return wrap("apply: stage people", err)
	}
	if err := s.appendRows(ctx, "stage_events", len(b.Events), func(i int) []driver.Value { return eventValues(&b.Events[i]) }); err != nil {
		return wrap("apply: stage events", err)
	}
	var at any
	if !b.Created.IsZero() {
		at = time.Now().UTC()
	}
	held := s.holding()
	steps := []string{
		`BEGIN TRANSACTION`,
		// The newest version of each person in the batch replaces an older
		// stored row; a stored row at least as new stays.
		`CREATE OR REPLACE TEMP TABLE stage_latest AS
			SELECT * FROM stage_people QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC) = 1`,
		`DELETE FROM stage_latest s USING people p WHERE p.id = s.id AND p.version >= s.version`,
	}
	if held {
		// The held days' counts lose the replaced rows and gain their
		// successors, in the same transaction.
		steps = append(steps, startChange("stage_latest"))
	}
	steps = append(steps,
		`DELETE FROM people p USING stage_latest s WHERE p.id = s.id`,
		`CREATE OR REPLACE TEMP TABLE stage_rows AS
			SELECT s.*, coalesce(x.links, 0)::UBIGINT AS links, x.eid_since, x.eid2_since FROM stage_latest s LEFT JOIN extras x USING (id)`,
		`INSERT INTO people SELECT * FROM stage_rows`,
		`INSERT INTO events SELECT * FROM (SELECT DISTINCT ON (id, version) * FROM stage_events) s
			WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = s.id AND e.version = s.version)`)
	if held {
		// (Their successors are the rows just inserted.)
		steps = append(append(steps, `INSERT INTO `+preChange+` SELECT 1, * FROM stage_rows`), applyChange...)
	}
	for _, q := range steps {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			s.w.ExecContext(context.Background(), `ROLLBACK`)
			return wrap("apply", err)
		}
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE meta SET cursor = greatest(cursor, ?), applied_at = coalesce(?, applied_at) WHERE k = 1`, b.Cursor, at); err != nil {
		s.w.ExecContext(context.Background(), `ROLLBACK`)
		return wrap("apply", err)
	}
	if _, err := s.w.ExecContext(ctx, `COMMIT`); err != nil {
		s.w.ExecContext(context.Background(), `ROLLBACK`)
		return wrap("apply: commit", err)
	}
	return s.maybeCompact(ctx)
}

// deriveSides rebuilds the tables derived from the side tables, inside the
// transaction that replaces them, and leaves in extras_changed the people
// whose extras changed (with their new values).
var deriveSides = []string{
	`CREATE OR REPLACE TABLE link_datasets AS
		SELECT dataset, (row_number() OVER (ORDER BY dataset) - 1)::INTEGER AS idx FROM (SELECT DISTINCT dataset FROM links) LIMIT 64`,
	`CREATE OR REPLACE TABLE link_sets AS
		SELECT l.id, bit_or(1::UBIGINT << d.idx) AS mask FROM links l JOIN link_datasets d USING (dataset) GROUP BY l.id`,
	// Two accounts under one pseudonym (a collision) count as the older.
	`CREATE OR REPLACE TEMP TABLE extras_new AS
		SELECT id, coalesce(l.mask, 0)::UBIGINT AS links, e.since AS eid_since, e.level2_since AS eid2_since
		FROM link_sets l FULL JOIN (SELECT id, min(since) AS since, min(level2_since) AS level2_since FROM eid_accounts GROUP BY id) e USING (id)`,
	`CREATE OR REPLACE TEMP TABLE extras_changed AS
		SELECT * FROM extras_new EXCEPT SELECT * FROM extras
		UNION ALL SELECT id, 0::UBIGINT, NULL, NULL FROM extras WHERE id NOT IN (SELECT id FROM extras_new)`,
	`DELETE FROM extras`,
	`INSERT INTO extras SELECT * FROM extras_new`,
}

// applyExtras writes the changed extras into the people table.
const applyExtras = `UPDATE people SET links = c.links, eid_since = c.eid_since, eid2_since = c.eid2_since
	FROM extras_changed c WHERE c.id = people.id`

// sideTables are the side tables a refresh replaces, with their columns.
var sideTables = []struct{ name, cols string }{
	{"links", linksCols}, {"eid_accounts", eidCols}, {"agencies", agencyCols},
}

// appendSides appends a refresh's rows to the tables <side>_new.
func (s *Store) appendSides(ctx context.Context, sd stats.Sides) error {
	for _, t := range sideTables {
		if _, err := s.w.ExecContext(ctx, `CREATE OR REPLACE TABLE `+t.name+`_new (`+t.cols+`)`); err != nil {
			return err
		}
	}
	err := s.appendRows(ctx, "links_new", len(sd.Links), func(i int) []driver.Value {
		return []driver.Value{sd.Links[i].Dataset, sd.Links[i].ID}
	})
	if err != nil {
		return err
	}
	err = s.appendRows(ctx, "eid_accounts_new", len(sd.EID), func(i int) []driver.Value {
		return []driver.Value{sd.EID[i].ID, sd.EID[i].Since, nullDate(sd.EID[i].Level2Since)}
	})
	if err != nil {
		return err
	}
	return s.appendRows(ctx, "agencies_new", len(sd.Agencies), func(i int) []driver.Value {
		a := &sd.Agencies[i]
		return []driver.Value{a.ID, a.Kind, a.Active, a.Since}
	})
}

// swapSides are the steps, inside a transaction, that put the appended
// side tables in place.
func swapSides() []string {
	var q []string
	for _, t := range sideTables {
		q = append(q, `DROP TABLE `+t.name, `ALTER TABLE `+t.name+`_new RENAME TO `+t.name)
	}
	return append(q, deriveSides...)
}

// mergeTraffic adds stage_traffic's counts to traffic.
var mergeTraffic = []string{
	`INSERT INTO traffic SELECT agency, day, action, sum(n)::BIGINT FROM stage_traffic GROUP BY ALL
		ON CONFLICT DO UPDATE SET n = n + excluded.n`,
	`DELETE FROM stage_traffic`,
}

func (s *Store) appendTraffic(ctx context.Context, t []stats.Traffic) error {
	return s.appendRows(ctx, "stage_traffic", len(t), func(i int) []driver.Value {
		return []driver.Value{t[i].Agency, t[i].Day, t[i].Action, t[i].N}
	})
}

// exec runs steps on the writer connection, rolling back on an error.
func (s *Store) exec(ctx context.Context, op string, steps []string) error {
	for _, q := range steps {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			s.w.ExecContext(context.Background(), `ROLLBACK`)
			return wrap(op, err)
		}
	}
	return nil
}

// loader appends a rebuild into new tables.
type loader struct {
	s     *Store
	ctx   context.Context
	done  bool
	sides bool // Sides was called
}

// Rebuild creates empty replacement tables; the loader appends into them.
func (s *Store) Rebuild(ctx context.Context) (stats.Loader, error) {
	if err := s.writable("rebuild"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, q := range []string{
		`CREATE OR REPLACE TABLE people_new (` + peopleCols + `)`,
		`CREATE OR REPLACE TABLE events_new (` + eventsCols + `)`,
		`DELETE FROM stage_traffic`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			s.mu.Unlock()
			return nil, wrap("rebuild", err)
		}
	}
	// The writer stays locked until Commit or Abort: a feed batch applied
	// meanwhile would be lost when the new tables replace the old.
	return &loader{s: s, ctx: ctx}, nil
}

func (l *loader) People(p []stats.Person) error {
	return wrap("rebuild: people", l.s.appendRows(l.ctx, "people_new", len(p), func(i int) []driver.Value { return personValues(&p[i]) }))
}

func (l *loader) Events(e []stats.Event) error {
	return wrap("rebuild: events", l.s.appendRows(l.ctx, "events_new", len(e), func(i int) []driver.Value { return eventValues(&e[i]) }))
}

func (l *loader) Sides(sd stats.Sides) error {
	if l.sides {
		return errors.New("duckstore: rebuild: the side tables are loaded once")
	}
	l.sides = true
	return wrap("rebuild: side tables", l.s.appendSides(l.ctx, sd))
}

func (l *loader) Traffic(t []stats.Traffic) error {
	return wrap("rebuild: traffic", l.s.appendTraffic(l.ctx, t))
}

func (l *loader) Commit(ctx context.Context, cursor, accessCursor int64) error {
	if l.done {
		return errors.New("duckstore: rebuild already finished")
	}
	if !l.sides {
		if err := l.Sides(stats.Sides{}); err != nil {
			return err
		}
	}
	l.done = true
	defer l.s.mu.Unlock()
	defer l.s.version.Add(1)
	w := l.s.w
	steps := append([]string{`BEGIN TRANSACTION`}, swapSides()...)
	steps = append(steps, `DROP TABLE people`,
		`CREATE TABLE people AS SELECT n.*, coalesce(x.links, 0)::UBIGINT AS links, x.eid_since, x.eid2_since
			FROM people_new n LEFT JOIN extras x USING (id)`,
		`DROP TABLE people_new`,
		`DROP TABLE events`, `ALTER TABLE events_new RENAME TO events`)
	if l.s.holding() {
		steps = append(steps, recountPre...)
	}
	steps = append(steps, mergeTraffic...)
	if err := l.s.exec(ctx, "rebuild: commit", steps); err != nil {
		return err
	}
	if _, err := w.ExecContext(ctx, `UPDATE meta SET cursor = ?, applied_at = ?, access_cursor = greatest(access_cursor, ?) WHERE k = 1`,
		cursor, time.Now().UTC(), accessCursor); err != nil {
		w.ExecContext(context.Background(), `ROLLBACK`)
		return wrap("rebuild: commit", err)
	}
	if err := l.s.exec(ctx, "rebuild: commit", []string{`COMMIT`}); err != nil {
		return err
	}
	if err := l.s.countFolded(ctx); err != nil {
		return err
	}
	_, err := w.ExecContext(ctx, `CHECKPOINT`)
	return wrap("rebuild: checkpoint", err)
}

func (l *loader) Abort() error {
	if l.done {
		return nil
	}
	l.done = true
	defer l.s.mu.Unlock()
	for _, t := range []string{"people_new", "events_new", "links_new", "eid_accounts_new", "agencies_new"} {
		if _, err := l.s.w.ExecContext(context.Background(), `DROP TABLE IF EXISTS `+t); err != nil {
			return wrap("rebuild: abort", err)
		}
	}
	_, err := l.s.w.ExecContext(context.Background(), `DELETE FROM stage_traffic`)
	return wrap("rebuild: abort", err)
}

// ReplaceSides replaces the side tables in one transaction, and updates
// the people whose extras changed.
func (s *Store) ReplaceSides(ctx context.Context, sd stats.Sides) error {
	if err := s.writable("replace sides"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.version.Add(1)
	if err := s.appendSides(ctx, sd); err != nil {
		return wrap("side tables", err)
	}
	if !s.holding() {
		steps := append(append([]string{`BEGIN TRANSACTION`}, swapSides()...), applyExtras, `COMMIT`)
		return s.exec(ctx, "side tables", steps)
	}
	// The held days' counts change by the people whose extras changed,
	// unless the datasets were renumbered: then the link counts are
	// recounted (a person's mask means other datasets).
	steps := append([]string{`BEGIN TRANSACTION`,
		`CREATE OR REPLACE TEMP TABLE link_datasets_before AS SELECT * FROM link_datasets`}, swapSides()...)
	steps = append(steps, startChange("extras_changed"), applyExtras, endChange("extras_changed"))
	if err := s.exec(ctx, "side tables", steps); err != nil {
		return err
	}
	var renumbered bool
	err := s.w.QueryRowContext(ctx, `SELECT EXISTS (SELECT * FROM link_datasets EXCEPT SELECT * FROM link_datasets_before)
		OR EXISTS (SELECT * FROM link_datasets_before EXCEPT SELECT * FROM link_datasets)`).Scan(&renumbered)
	if err != nil {
		s.w.ExecContext(context.Background(), `ROLLBACK`)
		return wrap("side tables", err)
	}
	steps = append([]string{}, applyChange...)
	if renumbered {
		steps = append(steps, recountLinks...)
	}
	if err := s.exec(ctx, "side tables", append(steps, `DROP TABLE link_datasets_before`, `COMMIT`)); err != nil {
		return err
	}
	return s.maybeCompact(ctx)
}

// AccessCursor returns the access-log index the traffic counts reach.
func (s *Store) AccessCursor(ctx context.Context) (int64, error) {
	var c int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(access_cursor, 0) FROM meta WHERE k = 1`).Scan(&c)
	return c, wrap("access cursor", err)
}

// AddTraffic adds traffic counts and moves the access cursor, in one
// transaction.
func (s *Store) AddTraffic(ctx context.Context, t []stats.Traffic, cursor int64) error {
	if err := s.writable("add traffic"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.version.Add(1)
	if _, err := s.w.ExecContext(ctx, `DELETE FROM stage_traffic`); err != nil {
		return wrap("traffic", err)
	}
	if err := s.appendTraffic(ctx, t); err != nil {
		return wrap("traffic", err)
	}
	steps := append(append([]string{`BEGIN TRANSACTION`}, mergeTraffic...),
		fmt.Sprintf(`UPDATE meta SET access_cursor = greatest(access_cursor, %d) WHERE k = 1`, cursor), `COMMIT`)
	return s.exec(ctx, "traffic", steps)
}

// ReplaceSource replaces a side table's rows in one transaction.
func (s *Store) ReplaceSource(ctx context.Context, src stats.SourceTable, rows [][]any) error {
	if err := s.writable("replace source"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.version.Add(1)
	cols := strings.Join(src.Columns, ", ")
	tmp := "src_" + src.Name + "_new"
	if _, err := s.w.ExecContext(ctx, `CREATE OR REPLACE TABLE `+tmp+` (`+cols+`)`); err != nil {
		return wrap("source "+src.Name, err)
	}
	err := s.appendRows(ctx, tmp, len(rows), func(i int) []driver.Value {
		v := make([]driver.Value, len(rows[i]))
		for j := range rows[i] {
			v[j] = rows[i][j]
		}
		return v
	})
	if err != nil {
		return wrap("source "+src.Name, err)
	}
	for _, q := range []string{`BEGIN TRANSACTION`, `DROP TABLE IF EXISTS src_` + src.Name,
		`ALTER TABLE ` + tmp + ` RENAME TO src_` + src.Name, `COMMIT`} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			s.w.ExecContext(context.Background(), `ROLLBACK`)
			return wrap("source "+src.Name, err)
		}
	}
	return nil
}

// Aggregate runs one grouped query.
func (s *Store) Aggregate(ctx context.Context, q stats.Aggregation) ([][]any, error) {
	var b strings.Builder
	b.WriteString("SELECT ")
	cols := append(append([]string(nil), q.Dims...), q.Measures...)
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(" FROM ")
	b.WriteString(q.From)
	if len(q.Where) > 0 {
		b.WriteString(" WHERE (")
		b.WriteString(strings.Join(q.Where, ") AND ("))
		b.WriteString(")")
	}
	if len(q.Dims) > 0 {
		b.WriteString(" GROUP BY ALL")
		if len(q.Having) > 0 {
			b.WriteString(" HAVING (")
			b.WriteString(strings.Join(q.Having, ") AND ("))
			b.WriteString(")")
		}
		if q.Ordered {
			b.WriteString(" ORDER BY ALL NULLS FIRST")
		}
	}
	rows, err := s.db.QueryContext(ctx, b.String())
	if err != nil {
		return nil, wrap("aggregate", err)
	}
	defer rows.Close()
	// The rows' values are cut from slabs, and scanned through one set of
	// pointers: the finest tables have over 100,000 rows.
	var out [][]any
	var slab []any
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, wrap("aggregate", err)
		}
		if len(slab) < len(cols) {
			slab = make([]any, len(cols)*min(max(len(out), 64), 16384))
		}
		row := slab[:len(cols):len(cols)]
		slab = slab[len(cols):]
		copy(row, vals)
		out = append(out, row)
	}
	return out, wrap("aggregate", rows.Err())
}

// Distinct returns the distinct non-null values of expr in table.
func (s *Store) Distinct(ctx context.Context, table, expr string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT CAST(`+expr+` AS VARCHAR) v FROM `+table+` WHERE v IS NOT NULL ORDER BY v`)
	if err != nil {
		return nil, wrap("distinct", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, wrap("distinct", err)
		}
		out = append(out, v)
	}
	return out, wrap("distinct", rows.Err())
}

// exportTables are the pseudonymised tables an export writes, with the
// province column each is partitioned by.
var exportTables = []struct{ name, query string }{
	{"people", `SELECT id, sex, birth_year, born, coalesce(province, '00') AS province, commune, left_on, left_unknown, chip_since,
		eid_since, eid2_since FROM people`},
	{"events", `SELECT id, kind, day, sex, bdate // 10000 AS birth_year, coalesce(province, '00') AS province, commune FROM events`},
	{"links", `SELECT l.dataset, l.id, coalesce(p.province, '00') AS province FROM links l LEFT JOIN people p USING (id)`},
}

// Export writes the pseudonymised tables under dir/<table>/province=XX/,
// the Hive layout DuckDB, Spark and Trino read.
func (s *Store) Export(ctx context.Context, format, dir string) ([]string, error) {
	var opts string
	switch format {
	case "parquet":
		opts = "FORMAT parquet, COMPRESSION zstd"
	case "csv":
		opts = "FORMAT csv, HEADER true"
	default:
		return nil, fmt.Errorf("duckstore: export format must be parquet or csv, not %q", format)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, wrap("export", err)
	}
	if strings.ContainsAny(abs, "'\\") {
		return nil, errors.New("duckstore: export: the directory's path must not contain quotes or backslashes")
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, wrap("export", err)
	}
	for _, t := range exportTables {
		out := filepath.Join(abs, t.name)
		if err := os.RemoveAll(out); err != nil {
			return nil, wrap("export", err)
		}
		q := `COPY (` + t.query + `) TO '` + out + `' (` + opts + `, PARTITION_BY (province))`
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return nil, wrap("export "+t.name, err)
		}
	}
	var files []string
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(abs, p)
			files = append(files, rel)
		}
		return err
	})
	sort.Strings(files)
	return files, wrap("export", err)
}

// Info describes the store.
func (s *Store) Info(ctx context.Context) (stats.Info, error) {
	var in stats.Info
	var at sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT cursor FROM meta WHERE k = 1), (SELECT applied_at FROM meta WHERE k = 1),
		(SELECT coalesce(access_cursor, 0) FROM meta WHERE k = 1),
		(SELECT count(*) FROM people), (SELECT count(*) FROM events), (SELECT count(*) FROM links),
		(SELECT count(*) FROM eid_accounts), (SELECT count(*) FROM agencies)`).
		Scan(&in.Cursor, &at, &in.Access, &in.People, &in.Events, &in.Links, &in.Accounts, &in.Agencies)
	if err != nil {
		return in, wrap("info", err)
	}
	if at.Valid {
		in.AppliedAt = at.Time
	}
	if s.path != "" {
		for _, p := range []string{s.path, s.path + ".wal"} {
			if fi, err := os.Stat(p); err == nil {
				in.FileBytes += fi.Size()
			}
		}
	}
	return in, nil
}

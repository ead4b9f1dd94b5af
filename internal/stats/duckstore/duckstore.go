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
}

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

// schema creates the tables and the macros the indicators use. Ages follow
// registry.Date.AgeAt: whole years from the latest day a birth date can mean.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS people (` + peopleCols + `)`,
	`CREATE TABLE IF NOT EXISTS events (` + eventsCols + `)`,
	`CREATE TABLE IF NOT EXISTS links (` + linksCols + `)`,
	// The datasets, numbered, and each person's linked datasets as a bit
	// mask: derived from links whenever links change, so that coverage
	// needs one join per query rather than a distinct over every link. (A
	// fixed-size mask rather than a list keeps the aggregation able to
	// spill to disk at 100 million people; 64 datasets at most.)
	`CREATE TABLE IF NOT EXISTS link_sets (id BIGINT NOT NULL, mask UBIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS link_datasets (dataset VARCHAR NOT NULL, idx INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS meta (k INTEGER PRIMARY KEY, cursor BIGINT NOT NULL, applied_at TIMESTAMP)`,
	`INSERT INTO meta VALUES (1, 0, NULL) ON CONFLICT DO NOTHING`,
	`CREATE OR REPLACE MACRO age_at(bdate, dnum) AS (dnum - bdate) // 10000`,
	`CREATE OR REPLACE MACRO living_at(born, until, d) AS born <= d AND until > d`,
	`CREATE OR REPLACE TEMP TABLE stage_people (` + peopleCols + `)`,
	`CREATE OR REPLACE TEMP TABLE stage_events (` + eventsCols + `)`,
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
	for _, q := range schema {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			s.Close()
			return nil, fmt.Errorf("duckstore: schema: %w", err)
		}
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
	s.mu.Lock()
	defer s.mu.Unlock()
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
	steps := []string{
		`BEGIN TRANSACTION`,
		// The newest version of each person in the batch replaces an older
		// stored row; a stored row at least as new stays.
		`CREATE OR REPLACE TEMP TABLE stage_latest AS
			SELECT * FROM stage_people QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC) = 1`,
		`DELETE FROM stage_latest s USING people p WHERE p.id = s.id AND p.version >= s.version`,
		`DELETE FROM people p USING stage_latest s WHERE p.id = s.id`,
		`INSERT INTO people SELECT * FROM stage_latest`,
		`INSERT INTO events SELECT * FROM (SELECT DISTINCT ON (id, version) * FROM stage_events) s
			WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = s.id AND e.version = s.version)`,
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
	return nil
}

// deriveLinks rebuilds the tables derived from links, inside the
// transaction that replaces them.
var deriveLinks = []string{
	`CREATE OR REPLACE TABLE link_datasets AS
		SELECT dataset, (row_number() OVER (ORDER BY dataset) - 1)::INTEGER AS idx FROM (SELECT DISTINCT dataset FROM links) LIMIT 64`,
	`CREATE OR REPLACE TABLE link_sets AS
		SELECT l.id, bit_or(1::UBIGINT << d.idx) AS mask FROM links l JOIN link_datasets d USING (dataset) GROUP BY l.id`,
}

// loader appends a rebuild into new tables.
type loader struct {
	s    *Store
	ctx  context.Context
	done bool
}

// Rebuild creates empty replacement tables; the loader appends into them.
func (s *Store) Rebuild(ctx context.Context) (stats.Loader, error) {
	s.mu.Lock()
	for _, q := range []string{
		`CREATE OR REPLACE TABLE people_new (` + peopleCols + `)`,
		`CREATE OR REPLACE TABLE events_new (` + eventsCols + `)`,
		`CREATE OR REPLACE TABLE links_new (` + linksCols + `)`,
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

func (l *loader) Links(k []stats.Link) error {
	return wrap("rebuild: links", l.s.appendRows(l.ctx, "links_new", len(k), func(i int) []driver.Value {
		return []driver.Value{k[i].Dataset, k[i].ID}
	}))
}

func (l *loader) Commit(ctx context.Context, cursor int64) error {
	if l.done {
		return errors.New("duckstore: rebuild already finished")
	}
	l.done = true
	defer l.s.mu.Unlock()
	w := l.s.w
	steps := []string{
		`BEGIN TRANSACTION`,
		`DROP TABLE people`, `ALTER TABLE people_new RENAME TO people`,
		`DROP TABLE events`, `ALTER TABLE events_new RENAME TO events`,
		`DROP TABLE links`, `ALTER TABLE links_new RENAME TO links`,
	}
	steps = append(steps, deriveLinks...)
	for _, q := range steps {
		if _, err := w.ExecContext(ctx, q); err != nil {
			w.ExecContext(context.Background(), `ROLLBACK`)
			return wrap("rebuild: commit", err)
		}
	}
	if _, err := w.ExecContext(ctx, `UPDATE meta SET cursor = ?, applied_at = ? WHERE k = 1`, cursor, time.Now().UTC()); err != nil {
		w.ExecContext(context.Background(), `ROLLBACK`)
		return wrap("rebuild: commit", err)
	}
	if _, err := w.ExecContext(ctx, `COMMIT`); err != nil {
		w.ExecContext(context.Background(), `ROLLBACK`)
		return wrap("rebuild: commit", err)
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
	for _, t := range []string{"people_new", "events_new", "links_new"} {
		if _, err := l.s.w.ExecContext(context.Background(), `DROP TABLE IF EXISTS `+t); err != nil {
			return wrap("rebuild: abort", err)
		}
	}
	return nil
}

// ReplaceLinks replaces the dataset links in one transaction.
func (s *Store) ReplaceLinks(ctx context.Context, links []stats.Link) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.ExecContext(ctx, `CREATE OR REPLACE TABLE links_new (`+linksCols+`)`); err != nil {
		return wrap("links", err)
	}
	err := s.appendRows(ctx, "links_new", len(links), func(i int) []driver.Value {
		return []driver.Value{links[i].Dataset, links[i].ID}
	})
	if err != nil {
		return wrap("links", err)
	}
	steps := append(append([]string{`BEGIN TRANSACTION`, `DROP TABLE links`, `ALTER TABLE links_new RENAME TO links`}, deriveLinks...), `COMMIT`)
	for _, q := range steps {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			s.w.ExecContext(context.Background(), `ROLLBACK`)
			return wrap("links", err)
		}
	}
	return nil
}

// ReplaceSource replaces a side table's rows in one transaction.
func (s *Store) ReplaceSource(ctx context.Context, src stats.SourceTable, rows [][]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
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
		if q.Ordered {
			b.WriteString(" ORDER BY ALL NULLS FIRST")
		}
	}
	rows, err := s.db.QueryContext(ctx, b.String())
	if err != nil {
		return nil, wrap("aggregate", err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, wrap("aggregate", err)
		}
		out = append(out, vals)
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
	{"people", `SELECT id, sex, birth_year, born, coalesce(province, '00') AS province, commune, left_on, left_unknown, chip_since FROM people`},
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
		(SELECT count(*) FROM people), (SELECT count(*) FROM events), (SELECT count(*) FROM links)`).
		Scan(&in.Cursor, &at, &in.People, &in.Events, &in.Links)
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

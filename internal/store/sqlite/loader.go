package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dancu/dancu/internal/store"
)

// Column lists of the loader's inserts. Versions get their vid from the
// loader, so that persons.cur can point at them without reading anything back.
var (
	loadPersonCols = []string{"pin", "version", "cur", "name_key", "name_fold", "birth_year",
		"birth_date", "sex", "province", "commune", "state", "household_id"}
	loadPersonVersionCols = []string{"vid", "pin", "version", "name_key", "name_fold",
		"birth_year", "birth_date", "sex", "province", "commune", "state", "household_id",
		"event_id", "event_type", "actor", "reason", "valid_from", "recorded_at", "data"}
	loadHouseholdCols        = []string{"id", "version", "cur"}
	loadHouseholdVersionCols = []string{"vid", "id", "version", "head_pin", "province", "commune",
		"event_id", "event_type", "actor", "reason", "valid_from", "recorded_at", "data"}
	loadEventCols = []string{"seq", "id", "type", "actor", "reason", "effective_date",
		"recorded_at", "subjects", "request", "result"}
	loadSubjectCols = []string{"seq", "pin"}
)

// registryTables are the tables whose secondary indexes a load on an empty
// registry defers.
var registryTables = []string{"persons", "person_versions", "households",
	"household_versions", "events", "event_subjects"}

// table is one loader insert: all of a batch's rows for the table go in one
// INSERT ... SELECT from a virtual table that serves them from Go
// (rowsource.go), so that no value is bound as a parameter.
//
// OR ROLLBACK: a failed insert ends the whole transaction, which is what
// Load does with any error anyway, and it spares SQLite the statement
// journal that the default (roll back only this statement) needs: a copy of
// every page the statement changes, which cost a tenth of the load.
type table struct {
	name   string
	cols   []string
	src    string // the virtual table's name in the temp schema
	create string // its CREATE VIRTUAL TABLE
	insert string // INSERT OR ROLLBACK INTO name (cols) SELECT * FROM temp.src
}

func newTable(name string, cols []string) *table {
	src := newRowSourceName(name)
	return &table{
		name: name, cols: cols, src: src,
		create: "CREATE VIRTUAL TABLE IF NOT EXISTS temp." + src + " USING " + rowSourceModule + "(" + strconv.Itoa(len(cols)) + ")",
		insert: "INSERT OR ROLLBACK INTO " + name + " (" + strings.Join(cols, ", ") + ") SELECT * FROM temp." + src,
	}
}

// load writes rows (len(args) is a multiple of the column count) in one
// statement. The source table is created on the writer connection the
// first time (temp tables belong to a connection, and the pool may hand
// over a new one), and is dropped with the connection or at Close.
func (t *table) load(ctx context.Context, tx *sql.Tx, args []any) error {
	if len(args) == 0 {
		return nil
	}
	for i, v := range args {
		var err error
		if args[i], err = sourceValue(v); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, t.create); err != nil {
		return err
	}
	rowSources.Store(t.src, &rowSet{vals: args, cols: len(t.cols)})
	defer rowSources.Delete(t.src)
	_, err := tx.ExecContext(ctx, t.insert)
	return err
}

// loader is the bulk path. See the package documentation for how it defers
// indexes and relaxes synchronous on an empty registry.
type loader struct {
	s *Store
	// relaxed is set when the registry was empty at NewLoader: the secondary
	// indexes are dropped until Close, and batches commit with
	// synchronous=NORMAL.
	relaxed bool
	// rollback is set when a relaxed load could leave WAL mode for a
	// rollback journal (see leaveWAL); batches then commit with
	// synchronous=FULL, and Close goes back to WAL.
	rollback bool

	mu     sync.Mutex
	closed bool
	// cacheKiB is the writer's cache size as the loader last set it.
	cacheKiB int
	// The inserts, and an argument buffer reused from batch to batch.
	tables                                                 []*table
	persons, personVersions, households, householdVersions *table
	events, subjects                                       *table
	args                                                   []any
}

// NewLoader starts a bulk load. If the registry holds no person yet, it
// drops the secondary indexes of the registry tables (recording them in
// deferred_indexes, in the same transaction) so that the load only appends
// rows and Close builds each index in one sorted pass.
func (s *Store) NewLoader(ctx context.Context) (store.Loader, error) {
	l := &loader{s: s}
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		var has int
		if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM persons)").Scan(&has); err != nil {
			return err
		}
		l.relaxed = has == 0
		if !l.relaxed {
			return nil
		}
		return dropSecondaryIndexes(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: new loader: %w", err)
	}
	if l.relaxed {
		if l.rollback, err = s.leaveWAL(ctx); err != nil {
			return nil, fmt.Errorf("sqlite: new loader: %w", err)
		}
	}
	for _, t := range []struct {
		dst  **table
		name string
		cols []string
	}{
		{&l.persons, "persons", loadPersonCols},
		{&l.personVersions, "person_versions", loadPersonVersionCols},
		{&l.households, "households", loadHouseholdCols},
		{&l.householdVersions, "household_versions", loadHouseholdVersionCols},
		{&l.events, "events", loadEventCols},
		{&l.subjects, "event_subjects", loadSubjectCols},
	} {
		*t.dst = newTable(t.name, t.cols)
		l.tables = append(l.tables, *t.dst)
	}
	return l, nil
}

// leaveWAL switches the file from WAL to a rollback journal for a load into
// an empty registry, if no other connection has it open, and reports
// whether it did.
//
// In WAL mode every page a load writes is written twice (to the log, then
// copied into the file by a checkpoint, which reads it back first), and the
// log writes each frame's header and page with separate system calls. A
// load appends to an empty registry, so with a rollback journal almost every
// page it writes is new, and a new page is written once, with no copy in
// the journal: only the few pages that existed before a batch (the
// B-trees' upper levels, the PIN index's leaves) are journaled. Each batch
// still commits atomically and is rolled back after a crash.
//
// Leaving WAL needs every other connection to the file closed: the store's
// idle readers are closed for it; if anything else (a reader in use, another
// process) holds the file, the switch is refused at once and the load runs
// in WAL mode as before. Readers that open during the load work in rollback
// mode, waiting for each batch's commit.
func (s *Store) leaveWAL(ctx context.Context) (bool, error) {
	s.r.SetMaxIdleConns(0)
	defer s.r.SetMaxIdleConns(s.cfg.readConns)
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	// Another connection makes the switch wait for the busy timeout before
	// it fails; it should fail at once.
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		return false, err
	}
	var mode string
	err = conn.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode)
	_, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout = "+strconv.FormatInt(s.cfg.busyTimeout.Milliseconds(), 10))
	if rerr != nil {
		return false, rerr
	}
	if err != nil && !isBusy(err) {
		return false, err
	}
	return err == nil && strings.EqualFold(mode, "delete"), nil
}

// enterWAL puts the file back in WAL mode after a load that left it.
func (s *Store) enterWAL(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q after the load, want wal", mode)
	}
	return nil
}

func dropSecondaryIndexes(ctx context.Context, tx *sql.Tx) error {
	q := "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?" +
		strings.Repeat(", ?", len(registryTables)-1) + ")"
	args := make([]any, len(registryTables))
	for i, t := range registryTables {
		args[i] = t
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for i, name := range names {
		if _, err := tx.ExecContext(ctx, "INSERT INTO deferred_indexes (name, sql) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", name, defs[i]); err != nil {
			return err
		}
		// The name comes from sqlite_schema, not from input.
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return err
		}
	}
	return nil
}

// Load writes one batch in one transaction. It retries the whole batch when
// another process holds the write lock past the busy timeout, since nothing of
// a rolled-back batch remains.
func (l *loader) Load(ctx context.Context, b store.Batch) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("sqlite: load: loader is closed")
	}
	persons, err := groupVersions(b.Persons, func(v *store.PersonVersion) (string, int64) { return v.PIN, v.Version })
	if err != nil {
		return fmt.Errorf("sqlite: load persons: %w", err)
	}
	households, err := groupVersions(b.Households, func(v *store.HouseholdVersion) (string, int64) { return v.ID, v.Version })
	if err != nil {
		return fmt.Errorf("sqlite: load households: %w", err)
	}
	err = retry(ctx, func() error {
		return l.loadOnce(ctx, persons, households, b.Events)
	}, isBusy)
	if err != nil {
		return fmt.Errorf("sqlite: load: %w", err)
	}
	return nil
}

// groupVersions sorts a batch's versions by key and version, without
// changing the caller's slice, and checks that each key's versions run 1, 2,
// ... n. Sorted keys make the inserts into the key tables' B-trees walk them
// in order.
func groupVersions[T any](vs []T, key func(*T) (string, int64)) ([][]*T, error) {
	ps := make([]*T, len(vs))
	for i := range vs {
		ps[i] = &vs[i]
	}
	slices.SortFunc(ps, func(a, b *T) int {
		ka, va := key(a)
		kb, vb := key(b)
		if c := strings.Compare(ka, kb); c != 0 {
			return c
		}
		return cmp.Compare(va, vb)
	})
	var groups [][]*T
	for i := 0; i < len(ps); {
		k, _ := key(ps[i])
		j := i
		for j < len(ps) {
			kj, vj := key(ps[j])
			if kj != k {
				break
			}
			if want := int64(j - i + 1); vj != want {
				if vj < want {
					return nil, fmt.Errorf("a version appears twice: %w", store.ErrExists)
				}
				return nil, fmt.Errorf("versions do not run from 1 without gaps: %w", store.ErrConflict)
			}
			j++
		}
		groups = append(groups, ps[i:j])
		i = j
	}
	return groups, nil
}

func (l *loader) loadOnce(ctx context.Context, persons [][]*store.PersonVersion, households [][]*store.HouseholdVersion, events []store.EventRow) (err error) {
	conn, err := l.s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if l.relaxed && !l.rollback {
		// NORMAL skips the fsync at each batch's commit. A crash can then
		// lose the last batches, but never corrupts the file, and the index
		// builds in Close commit with FULL, which syncs everything before.
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
			return err
		}
		defer func() {
			_, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL")
			if rerr != nil {
				// A writer connection that might still be relaxed must
				// not serve another write: drop it from the pool.
				conn.Raw(func(any) error { return driver.ErrBadConn })
				err = errors.Join(err, rerr)
			}
		}()
	}
	if err := l.growCache(ctx, conn, len(persons)); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	if len(persons) > 0 {
		if err := l.loadPersons(ctx, tx, persons); err != nil {
			return err
		}
	}
	if len(households) > 0 {
		if err := l.loadHouseholds(ctx, tx, households); err != nil {
			return err
		}
	}
	if len(events) > 0 {
		if err := l.loadEvents(ctx, tx, events); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Bounds of the writer's page cache during a load, in KiB.
const (
	maxLoadCacheKiB = 1 << 20 // 1 GiB
	// pinIndexBytes is what one person costs in the index of PINs, with room
	// for half-full pages.
	pinIndexBytes = 48
)

// growCache makes the writer's page cache large enough to hold the index of
// PINs, the one structure a load writes in random order: a miss there is a
// read per person. It grows the cache rather than starting large because
// filling a cache costs a page fault per page, and most pages a load writes
// (rows appended at the end of tables) are never read again.
func (l *loader) growCache(ctx context.Context, conn *sql.Conn, batch int) error {
	var n int64
	if err := conn.QueryRowContext(ctx, qCountPersons).Scan(&n); err != nil {
		return err
	}
	want := int((n+int64(batch))*pinIndexBytes>>10) + l.s.cfg.writeCacheKiB
	want = min(want, maxLoadCacheKiB)
	if want <= l.cacheKiB+l.cacheKiB/4 {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -"+strconv.Itoa(want)); err != nil {
		return err
	}
	l.cacheKiB = want
	return nil
}

// maxInt64 returns the result of a query for a single integer.
func maxInt64(ctx context.Context, tx *sql.Tx, q string) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}

func (l *loader) loadPersons(ctx context.Context, tx *sql.Tx, groups [][]*store.PersonVersion) error {
	// The writer holds the write lock, so the vids after the current
	// largest are free.
	vid, err := maxInt64(ctx, tx, "SELECT coalesce(max(vid), 0) FROM person_versions")
	if err != nil {
		return err
	}
	args := l.args[:0]
	first := vid + 1
	for _, g := range groups {
		vid += int64(len(g))
		c := g[len(g)-1]
		args = append(args, c.PIN, c.Version, vid, c.NameKey, c.NameFold, c.BirthYear,
			c.BirthDate, c.Sex, c.Province, c.Commune, c.State, c.HouseholdID)
	}
	if err := l.persons.load(ctx, tx, args); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("a PIN is already used: %w", store.ErrExists)
		}
		return err
	}
	args = args[:0]
	vid = first
	for _, g := range groups {
		for _, v := range g {
			at, err := timeArg(v.RecordedAt)
			if err != nil {
				return err
			}
			args = append(args, vid, v.PIN, v.Version, v.NameKey, v.NameFold, v.BirthYear,
				v.BirthDate, v.Sex, v.Province, v.Commune, v.State, v.HouseholdID,
				v.EventID, v.EventType, v.Actor, v.Reason, v.ValidFrom, at, v.Data)
			vid++
		}
	}
	if err := l.personVersions.load(ctx, tx, args); err != nil {
		return err
	}
	l.args = args[:0]
	_, err = tx.StmtContext(ctx, l.s.ws.addPersons).ExecContext(ctx, len(groups))
	return err
}

func (l *loader) loadHouseholds(ctx context.Context, tx *sql.Tx, groups [][]*store.HouseholdVersion) error {
	vid, err := maxInt64(ctx, tx, "SELECT coalesce(max(vid), 0) FROM household_versions")
	if err != nil {
		return err
	}
	args := l.args[:0]
	first := vid + 1
	for _, g := range groups {
		vid += int64(len(g))
		c := g[len(g)-1]
		args = append(args, c.ID, c.Version, vid)
	}
	if err := l.households.load(ctx, tx, args); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("a household id is already used: %w", store.ErrExists)
		}
		return err
	}
	args = args[:0]
	vid = first
	for _, g := range groups {
		for _, v := range g {
			at, err := timeArg(v.RecordedAt)
			if err != nil {
				return err
			}
			args = append(args, vid, v.ID, v.Version, v.HeadPIN, v.Province, v.Commune,
				v.EventID, v.EventType, v.Actor, v.Reason, v.ValidFrom, at, v.Data)
			vid++
		}
	}
	err = l.householdVersions.load(ctx, tx, args)
	l.args = args[:0]
	return err
}

func (l *loader) loadEvents(ctx context.Context, tx *sql.Tx, events []store.EventRow) error {
	// AUTOINCREMENT remembers the largest seq ever used in sqlite_sequence;
	// explicit seqs above it keep it up to date.
	seq, err := maxInt64(ctx, tx, `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
		coalesce((SELECT max(seq) FROM events), 0))`)
	if err != nil {
		return err
	}
	first := seq + 1
	args := l.args[:0]
	for i := range events {
		e := &events[i]
		seq++
		at, err := timeArg(e.RecordedAt)
		if err != nil {
			return err
		}
		subjects, err := subjectsArg(e.Subjects)
		if err != nil {
			return err
		}
		args = append(args, seq, e.ID, e.Type, e.Actor, e.Reason, e.EffectiveDate, at,
			subjects, e.Request, e.Result)
	}
	if err := l.events.load(ctx, tx, args); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("an event id is already used: %w", store.ErrExists)
		}
		return err
	}
	args = args[:0]
	seq = first
	for i := range events {
		for _, pin := range distinct(events[i].Subjects) {
			args = append(args, seq, pin)
		}
		seq++
	}
	err = l.subjects.load(ctx, tx, args)
	l.args = args[:0]
	return err
}

// Close builds the indexes the loader deferred, each in its own transaction,
// and releases the loader's statements. It must be called even after a failed
// Load; if it fails (or never runs), the next Open builds what is missing.
func (l *loader) Close(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.args = nil
	var err error
	for _, t := range l.tables {
		// The source tables hold nothing, and would go with the writer
		// connection anyway: a failure to drop one is no failure of the load.
		l.s.w.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS temp."+t.src)
	}
	if l.relaxed {
		// Still with the rollback journal if the load had it: an index
		// is all new pages, written once.
		err = rebuildDeferredIndexes(ctx, l.s.w)
	}
	if l.rollback {
		err = errors.Join(err, l.s.enterWAL(context.WithoutCancel(ctx)))
	}
	if l.cacheKiB > 0 {
		// Back to the size for ordinary writes.
		_, cerr := l.s.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -"+strconv.Itoa(l.s.cfg.writeCacheKiB))
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("sqlite: close loader: %w", err)
	}
	return nil
}

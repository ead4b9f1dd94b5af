package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dancu/dancu/internal/store"
)

// deferrableTables are the tables whose secondary indexes a bulk load into an
// empty registry drops and rebuilds; versionTables are those whose primary key
// it drops too (see dropDeferrableIndexes).
var (
	deferrableTables = []string{"persons", "person_versions", "households", "household_versions", "events"}
	versionTables    = []string{"person_versions", "household_versions"}
)

// Column lists of the COPYs, in the order the row functions fill them.
var (
	copyPersonCols = []string{"pin", "version", "name_key", "name_fold", "birth_year", "birth_date", "sex",
		"province", "commune", "state", "household_id"}
	copyPersonVersionCols = append(append([]string(nil), copyPersonCols...),
		"data", "event_id", "event_type", "actor", "reason", "valid_from", "recorded_at", "recorded_ns")
	copyHouseholdCols        = []string{"id", "version", "head_pin", "province", "commune"}
	copyHouseholdVersionCols = append(append([]string(nil), copyHouseholdCols...),
		"data", "event_id", "event_type", "actor", "reason", "valid_from", "recorded_at", "recorded_ns")
	copyEventCols = []string{"id", "type", "actor", "reason", "effective_date", "recorded_at", "recorded_ns", "subjects", "request", "result"}
)

// loader implements store.Loader. It works on a connection of its own, outside
// the pool, which holds a shared advisory lock on loaderLockKey for the
// loader's life, so that no process rebuilds the deferred indexes while any
// loader is writing. The connection is not the pool's so that Store.Close,
// which waits for pooled connections to come back, does not wait for a loader
// nobody closed. Like the connection, a loader is not safe for concurrent use;
// open several to load in parallel.
type loader struct {
	s    *Store
	conn *pgx.Conn
}

// NewLoader starts a bulk load. If the registry is empty, it drops the
// secondary indexes first, so that the load writes only the heap and the
// primary keys, and Close builds them in one pass at the end.
func (s *Store) NewLoader(ctx context.Context) (store.Loader, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return nil, wrapErr("new loader: connect", err)
	}
	l := &loader{s: s, conn: conn}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock_shared($1)`, loaderLockKey); err != nil {
		l.discard()
		return nil, wrapErr("new loader: lock", err)
	}
	if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return dropDeferrableIndexes(ctx, tx) }); err != nil {
		l.discard()
		return nil, wrapErr("new loader: drop indexes", err)
	}
	return l, nil
}

// dropDeferrableIndexes drops, if persons is empty, the indexes a bulk load
// does better to build at the end, recording how to build each again in
// deferred_indexes in the same transaction. Loaders opening at once take turns
// on the table lock, and a later one finds the indexes already gone.
//
// The deferred indexes are the non-unique ones and the primary keys of the
// version tables. Those keys only speed up reads: a version row is only ever
// written with its key row, in the same statement or Load, and the key tables
// keep their primary keys, so (key, version) stays unique without them. Random
// PINs make every insertion into a primary key touch a random page, which is
// what limits loading once the index outgrows memory.
func dropDeferrableIndexes(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `LOCK TABLE deferred_indexes IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return err
	}
	var empty bool
	if err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM persons)`).Scan(&empty); err != nil {
		return err
	}
	if !empty {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT n.nspname, t.relname, i.relname, pg_get_indexdef(i.oid), coalesce(pg_get_constraintdef(c.oid), '')
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = t.oid AND c.contype = 'p'
		WHERE n.nspname = current_schema() AND t.relname = ANY($1)
			AND ((NOT x.indisunique AND NOT x.indisprimary) OR (x.indisprimary AND t.relname = ANY($2)))
		ORDER BY i.relname`, deferrableTables, versionTables)
	if err != nil {
		return err
	}
	type index struct{ drop, create, name string }
	idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var schema, table, name, indexDef, constraintDef string
		if err := r.Scan(&schema, &table, &name, &indexDef, &constraintDef); err != nil {
			return index{}, err
		}
		if constraintDef == "" {
			return index{name: name, drop: `DROP INDEX ` + pgx.Identifier{schema, name}.Sanitize(), create: indexDef}, nil
		}
		t := pgx.Identifier{schema, table}.Sanitize()
		c := pgx.Identifier{name}.Sanitize()
		return index{
			name:   name,
			drop:   `ALTER TABLE ` + t + ` DROP CONSTRAINT ` + c,
			create: `ALTER TABLE ` + t + ` ADD CONSTRAINT ` + c + ` ` + constraintDef,
		}, nil
	})
	if err != nil {
		return err
	}
	for _, i := range idx {
		if _, err := tx.Exec(ctx, `INSERT INTO deferred_indexes (name, definition) VALUES ($1, $2)
			ON CONFLICT (name) DO NOTHING`, i.name, i.create); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, i.drop); err != nil {
			return err
		}
	}
	return nil
}

// Load writes b in one transaction with COPY. It retries, like Update, when the
// transaction deadlocks with a concurrent writer over the counters or the
// sequence lock.
func (l *loader) Load(ctx context.Context, b store.Batch) error {
	if l.conn == nil {
		return errors.New("postgres: load: loader is closed")
	}
	persons, curPersons, dupP := byKeyVersion(len(b.Persons),
		func(i int) string { return b.Persons[i].PIN }, func(i int) int64 { return b.Persons[i].Version })
	households, curHouseholds, dupH := byKeyVersion(len(b.Households),
		func(i int) string { return b.Households[i].ID }, func(i int) int64 { return b.Households[i].Version })
	if dupP || dupH {
		// The version tables' primary keys may be deferred, so this is the
		// check that catches a version given twice in one batch.
		return sentinel("load: a version appears twice in the batch", store.ErrExists)
	}
	o := batchOrder{persons: persons, curPersons: curPersons, households: households, curHouseholds: curHouseholds}
	var err error
	for attempt := range maxAttempts {
		if attempt > 0 {
			time.Sleep(rand.N(min(retryBackoff<<(attempt-1), maxBackoff)) + time.Millisecond)
		}
		err = pgx.BeginFunc(ctx, l.conn, func(tx pgx.Tx) error { return loadBatch(ctx, tx, b, o) })
		if err == nil || !retryable(err) {
			break
		}
	}
	if sqlState(err) == codeUniqueViolation {
		return sentinel("load", store.ErrExists)
	}
	return wrapErr("load", err)
}

// batchOrder lists a batch's records by index, in the order they are written:
// key order, so that consecutive primary-key insertions land on the same
// B-tree pages instead of all over the index.
type batchOrder struct {
	persons, curPersons       []int // every version; the highest of each PIN
	households, curHouseholds []int
}

// byKeyVersion sorts the indexes of n records by (key, version) and returns
// them, the index of the highest version of each key (the current one), and
// whether a (key, version) repeats.
func byKeyVersion(n int, key func(int) string, version func(int) int64) (all, current []int, dup bool) {
	all = make([]int, n)
	for i := range all {
		all[i] = i
	}
	slices.SortFunc(all, func(i, j int) int {
		return cmp.Or(strings.Compare(key(i), key(j)), cmp.Compare(version(i), version(j)))
	})
	for k, i := range all {
		if k+1 < n && key(all[k+1]) == key(i) {
			dup = dup || version(all[k+1]) == version(i)
			continue
		}
		current = append(current, i)
	}
	return all, current, dup
}

// loadBatch writes the batch's rows. The counter update and the events, which
// take locks other writers wait for, come last so those locks are held only
// until the commit.
func loadBatch(ctx context.Context, tx pgx.Tx, b store.Batch, o batchOrder) error {
	if err := copyRows(ctx, tx, "persons", copyPersonCols, len(o.curPersons), func(i int, row []any) {
		personIndexRow(&b.Persons[o.curPersons[i]].PersonRow, row)
	}); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, "person_versions", copyPersonVersionCols, len(o.persons), func(i int, row []any) {
		v := &b.Persons[o.persons[i]]
		personIndexRow(&v.PersonRow, row)
		at, ns := splitTime(v.RecordedAt)
		row[11], row[12], row[13], row[14], row[15], row[16], row[17], row[18] =
			v.Data, v.EventID, v.EventType, v.Actor, v.Reason, v.ValidFrom, at, ns
	}); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, "households", copyHouseholdCols, len(o.curHouseholds), func(i int, row []any) {
		householdIndexRow(&b.Households[o.curHouseholds[i]].HouseholdRow, row)
	}); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, "household_versions", copyHouseholdVersionCols, len(o.households), func(i int, row []any) {
		v := &b.Households[o.households[i]]
		householdIndexRow(&v.HouseholdRow, row)
		at, ns := splitTime(v.RecordedAt)
		row[5], row[6], row[7], row[8], row[9], row[10], row[11], row[12] =
			v.Data, v.EventID, v.EventType, v.Actor, v.Reason, v.ValidFrom, at, ns
	}); err != nil {
		return err
	}
	if len(o.curPersons) > 0 {
		// One shard per batch: a random one, so that concurrent loaders
		// rarely wait on each other.
		if _, err := tx.Exec(ctx, `UPDATE person_counts SET n = n + $1 WHERE shard = $2`,
			len(o.curPersons), rand.IntN(personCountShards)); err != nil {
			return err
		}
	}
	if len(b.Events) > 0 {
		// The events' Seq must increase in commit order like any other.
		if _, err := tx.Exec(ctx, sqlLockSeq, seqLockKey); err != nil {
			return err
		}
		if err := copyRows(ctx, tx, "events", copyEventCols, len(b.Events), func(i int, row []any) {
			e := &b.Events[i]
			at, ns := splitTime(e.RecordedAt)
			row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9] =
				e.ID, e.Type, e.Actor, e.Reason, e.EffectiveDate, at, ns, e.Subjects, e.Request, e.Result
		}); err != nil {
			return err
		}
	}
	return nil
}

func personIndexRow(p *store.PersonRow, row []any) {
	row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10] =
		p.PIN, p.Version, p.NameKey, p.NameFold, p.BirthYear, p.BirthDate, p.Sex, p.Province, p.Commune, p.State, p.HouseholdID
}

func householdIndexRow(h *store.HouseholdRow, row []any) {
	row[0], row[1], row[2], row[3], row[4] = h.ID, h.Version, h.HeadPIN, h.Province, h.Commune
}

// copyRows COPYs n rows into table, filling one reused row slice per row: pgx
// encodes each row before asking for the next.
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, n int, fill func(i int, row []any)) error {
	if n == 0 {
		return nil
	}
	row := make([]any, len(cols))
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		fill(i, row)
		return row, nil
	}))
	return err
}

// Close ends the load. The last loader to close, in any process, rebuilds the
// indexes that loading dropped; when others are still open, the rebuild is
// theirs.
func (l *loader) Close(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	defer l.discard()
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock_shared($1)`, loaderLockKey); err != nil {
		return wrapErr("loader close: unlock", err)
	}
	return rebuildIfLast(ctx, l.s.pool, l.conn)
}

// discard closes the loader's connection; the server releases the session's
// advisory locks with it.
func (l *loader) discard() {
	if l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.conn.Close(ctx)
	l.conn = nil
}

// repairIndexes rebuilds indexes that a load dropped and never rebuilt because
// its process died, unless a loader is running somewhere now.
func (s *Store) repairIndexes(ctx context.Context) error {
	var pending bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deferred_indexes)`).Scan(&pending); err != nil {
		return wrapErr("repair indexes", err)
	}
	if !pending {
		return nil
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrapErr("repair indexes: acquire", err)
	}
	err = rebuildIfLast(ctx, s.pool, conn.Conn())
	if err != nil {
		// It may still hold the lock: close it rather than pool it.
		conn.Conn().Close(context.WithoutCancel(ctx))
	}
	conn.Release()
	return err
}

// rebuildIfLast rebuilds the deferred indexes if it can take loaderLockKey
// exclusively on conn, that is if no loader holds it shared, and unlocks it
// again.
func rebuildIfLast(ctx context.Context, pool *pgxpool.Pool, conn *pgx.Conn) error {
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, loaderLockKey).Scan(&got); err != nil {
		return wrapErr("rebuild indexes: lock", err)
	}
	if !got {
		return nil
	}
	err := rebuildDeferred(ctx, pool)
	if _, uerr := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, loaderLockKey); uerr != nil && err == nil {
		err = wrapErr("rebuild indexes: unlock", uerr)
	}
	return err
}

// indexBuilders is how many indexes are built at once. Each build is also
// parallel inside PostgreSQL (max_parallel_maintenance_workers), so a few are
// enough to keep a server busy.
const indexBuilders = 3

// minMaintenanceWorkMem is the maintenance_work_mem, in kB, the rebuild asks
// for at least: sorting a hundred million keys in the server's default 64MB
// spills to disk many times over.
const minMaintenanceWorkMem = 256 * 1024

// rebuildDeferred creates every index recorded in deferred_indexes, each in a
// transaction that also deletes its record, so that a crash part-way leaves
// exactly the unbuilt ones recorded.
func rebuildDeferred(ctx context.Context, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, `SELECT name, definition FROM deferred_indexes ORDER BY name`)
	if err != nil {
		return wrapErr("rebuild indexes: list", err)
	}
	type index struct{ name, def string }
	idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var i index
		err := r.Scan(&i.name, &i.def)
		return i, err
	})
	if err != nil {
		return wrapErr("rebuild indexes: list", err)
	}
	var (
		wg    sync.WaitGroup
		sem   = make(chan struct{}, indexBuilders)
		mu    sync.Mutex
		first error
	)
	for _, i := range idx {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				var mem int64
				if err := tx.QueryRow(ctx, `SELECT setting::bigint FROM pg_settings WHERE name = 'maintenance_work_mem'`).Scan(&mem); err != nil {
					return err
				}
				if mem < minMaintenanceWorkMem {
					if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL maintenance_work_mem = %d`, minMaintenanceWorkMem)); err != nil {
						return err
					}
				}
				var exists bool
				if err := tx.QueryRow(ctx, `SELECT to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1)) IS NOT NULL`,
					i.name).Scan(&exists); err != nil {
					return err
				}
				if !exists {
					if _, err := tx.Exec(ctx, i.def); err != nil {
						return err
					}
				}
				_, err := tx.Exec(ctx, `DELETE FROM deferred_indexes WHERE name = $1`, i.name)
				return err
			})
			if err != nil {
				mu.Lock()
				if first == nil {
					first = wrapErr("rebuild index "+i.name, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

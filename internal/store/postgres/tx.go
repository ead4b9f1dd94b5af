package postgres

import (
	"context"
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// Retry policy of Update: enough attempts to ride out a burst of contention on
// one record, short enough that a caller is not kept waiting for long.
const (
	maxAttempts  = 6
	retryBackoff = 5 * time.Millisecond
	maxBackoff   = 250 * time.Millisecond
)

// personCountShards is the number of rows of person_counts (migration 0001).
const personCountShards = 16

// Update runs fn in a READ COMMITTED transaction and commits if fn returns
// nil. It runs fn again, after a jittered exponential backoff, when fn or the
// commit fails with store.ErrConflict, a serialization failure or a deadlock,
// up to a few times; the last error is returned.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	var err error
	for attempt := range maxAttempts {
		if attempt > 0 {
			d := min(retryBackoff<<(attempt-1), maxBackoff)
			// Full jitter spreads out writers that collided, so they do not
			// collide again in step.
			t := time.NewTimer(rand.N(d) + time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		err = s.attempt(ctx, fn)
		if err == nil || !retryable(err) {
			// fn's own statements may return the driver's error as it is.
			return markUnavailable(err)
		}
	}
	return err
}

// attempt runs fn once in its own transaction.
func (s *Store) attempt(ctx context.Context, fn func(tx store.Tx) error) error {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return wrapErr("update: begin", err)
	}
	// Rollback after Commit is a no-op; after a failure it releases the
	// connection in a clean state.
	defer ptx.Rollback(context.WithoutCancel(ctx))
	if err := fn(&tx{tx: ptx}); err != nil {
		return err
	}
	return wrapErr("update: commit", ptx.Commit(ctx))
}

// tx implements store.Tx on one pgx transaction. Like the transaction, it is
// not safe for concurrent use.
type tx struct {
	tx pgx.Tx
}

// Person locks the person's row and then reads the current version, in two
// statements of one round trip. One statement joining the two tables would,
// under READ COMMITTED, recheck a row updated meanwhile against the old version
// row and lose it.
func (t *tx) Person(ctx context.Context, pin string) (store.PersonVersion, error) {
	return lockThenRead(ctx, t.tx, "tx person", `SELECT 1 FROM persons WHERE pin = $1 FOR UPDATE`,
		sqlCurrentPerson, pin, scanPersonVersion)
}

// Household locks the household's row and then reads the current version.
func (t *tx) Household(ctx context.Context, id string) (store.HouseholdVersion, error) {
	return lockThenRead(ctx, t.tx, "tx household", `SELECT 1 FROM households WHERE id = $1 FOR UPDATE`,
		sqlCurrentHousehold, id, scanHouseholdVersion)
}

func lockThenRead[T any](ctx context.Context, ptx pgx.Tx, op, lockSQL, readSQL, key string, scan func(pgx.Row) (T, error)) (T, error) {
	var zero T
	b := &pgx.Batch{}
	b.Queue(lockSQL, key)
	b.Queue(readSQL, key)
	br := ptx.SendBatch(ctx, b)
	// The lock query's rows are discarded: locking is its point.
	if _, err := br.Exec(); err != nil {
		br.Close()
		return zero, wrapErr(op, err)
	}
	v, err := scan(br.QueryRow())
	cerr := br.Close()
	if errors.Is(err, pgx.ErrNoRows) {
		return zero, sentinel(op, store.ErrNotFound)
	}
	if err != nil {
		return zero, wrapErr(op, err)
	}
	if cerr != nil {
		return zero, wrapErr(op, cerr)
	}
	return v, nil
}

// Event returns a recorded event by id, or store.ErrNotFound.
func (t *tx) Event(ctx context.Context, id string) (store.EventRow, error) {
	return one(ctx, t.tx, "tx event", scanEvent, sqlEvent, id)
}

// PersonExists reports whether the PIN has ever been used: persons keeps a row
// for every PIN, whatever became of the person.
func (t *tx) PersonExists(ctx context.Context, pin string) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM persons WHERE pin = $1)`, pin).Scan(&ok)
	return ok, wrapErr("person exists", err)
}

// The version writes below are single statements: the data-modifying CTE
// inserts or moves the key row, and the outer INSERT writes the version row
// only if it did. A lost race therefore writes nothing and raises no error, so
// the transaction stays usable and the caller gets ErrExists or ErrConflict.

const (
	sqlInsertPerson = `WITH cur AS (
		INSERT INTO persons (pin, version, name_key, name_fold, birth_year, birth_date, sex, province, commune, state, household_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (pin) DO NOTHING
		RETURNING pin, version, name_key, name_fold, birth_year, birth_date, sex, province, commune, state, household_id
	), counted AS (
		UPDATE person_counts SET n = n + 1 FROM cur WHERE shard = $20
	)
	INSERT INTO person_versions (pin, version, name_key, name_fold, birth_year, birth_date, sex, province, commune, state, household_id,
		data, event_id, event_type, actor, reason, valid_from, recorded_at, recorded_ns)
	SELECT pin, version, name_key, name_fold, birth_year, birth_date, sex, province, commune, state, household_id,
		$12::bytea, $13::text, $14::text, $15::text, $16::text, $17::text, $18::timestamptz, $19::smallint
	FROM cur`
	sqlUpdatePerson = `WITH cur AS (
		UPDATE persons SET version = $2, name_key = $3, name_fold = $4, birth_year = $5, birth_date = $6, sex = $7,
			province = $8, commune = $9, state = $10, household_id = $11
		WHERE pin = $1 AND version = $2 - 1
		RETURNING pin, version, name_key, name_fold, birth_year, birth_date, sex, province, commune, state, household_id
	)
	INSERT INTO person_versions (pin, version, name_key, name_fold, birth_year, birth_date, sex, province, commune, state, household_id,
		data, event_id, event_type, actor, reason, valid_from, recorded_at, recorded_ns)
	SELECT pin, version, name_key, name_fold, birth_year, birth_date, sex, province, commune, state, household_id,
		$12::bytea, $13::text, $14::text, $15::text, $16::text, $17::text, $18::timestamptz, $19::smallint
	FROM cur`
	sqlInsertHousehold = `WITH cur AS (
		INSERT INTO households (id, version, head_pin, province, commune) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING
		RETURNING id, version, head_pin, province, commune
	)
	INSERT INTO household_versions (id, version, head_pin, province, commune,
		data, event_id, event_type, actor, reason, valid_from, recorded_at, recorded_ns)
	SELECT id, version, head_pin, province, commune,
		$6::bytea, $7::text, $8::text, $9::text, $10::text, $11::text, $12::timestamptz, $13::smallint
	FROM cur`
	sqlUpdateHousehold = `WITH cur AS (
		UPDATE households SET version = $2, head_pin = $3, province = $4, commune = $5
		WHERE id = $1 AND version = $2 - 1
		RETURNING id, version, head_pin, province, commune
	)
	INSERT INTO household_versions (id, version, head_pin, province, commune,
		data, event_id, event_type, actor, reason, valid_from, recorded_at, recorded_ns)
	SELECT id, version, head_pin, province, commune,
		$6::bytea, $7::text, $8::text, $9::text, $10::text, $11::text, $12::timestamptz, $13::smallint
	FROM cur`
)

// PutPerson writes a new version of a person: version 1 only for a PIN never
// used (store.ErrExists otherwise), any other only as the current version + 1
// (store.ErrConflict otherwise).
func (t *tx) PutPerson(ctx context.Context, v store.PersonVersion) error {
	if v.Version < 1 {
		return sentinel("put person: version below 1", store.ErrConflict)
	}
	at, ns := splitTime(v.RecordedAt)
	args := []any{v.PIN, v.Version, v.NameKey, v.NameFold, v.BirthYear, v.BirthDate, v.Sex, v.Province,
		v.Commune, v.State, v.HouseholdID,
		v.Data, v.EventID, v.EventType, v.Actor, v.Reason, v.ValidFrom, at, ns}
	sql, fail := sqlUpdatePerson, store.ErrConflict
	if v.Version == 1 {
		sql, fail = sqlInsertPerson, store.ErrExists
		args = append(args, personCountShard(v.PIN))
	}
	tag, err := t.tx.Exec(ctx, sql, args...)
	if err != nil {
		return wrapErr("put person", err)
	}
	if tag.RowsAffected() != 1 {
		return sentinel("put person", fail)
	}
	return nil
}

// personCountShard spreads first versions over the person_counts rows, so
// that concurrent births seldom wait on one counter.
func personCountShard(pin string) int32 {
	h := fnv.New32a()
	h.Write([]byte(pin))
	return int32(h.Sum32() % personCountShards)
}

// PutHousehold writes a new version of a household under the rules of
// PutPerson.
func (t *tx) PutHousehold(ctx context.Context, v store.HouseholdVersion) error {
	if v.Version < 1 {
		return sentinel("put household: version below 1", store.ErrConflict)
	}
	sql, fail := sqlUpdateHousehold, store.ErrConflict
	if v.Version == 1 {
		sql, fail = sqlInsertHousehold, store.ErrExists
	}
	at, ns := splitTime(v.RecordedAt)
	tag, err := t.tx.Exec(ctx, sql, v.ID, v.Version, v.HeadPIN, v.Province, v.Commune,
		v.Data, v.EventID, v.EventType, v.Actor, v.Reason, v.ValidFrom, at, ns)
	if err != nil {
		return wrapErr("put household", err)
	}
	if tag.RowsAffected() != 1 {
		return sentinel("put household", fail)
	}
	return nil
}

// lockSeq takes the transaction-level lock that makes Seq values increase in
// commit order (see the package documentation). It is taken again, harmlessly,
// by every PutEvent and AppendOutbox of the transaction.
const sqlLockSeq = `SELECT pg_advisory_xact_lock($1)`

// PutEvent records an event and returns its Seq, or store.ErrExists if the id
// is taken.
func (t *tx) PutEvent(ctx context.Context, e store.EventRow) (int64, error) {
	at, ns := splitTime(e.RecordedAt)
	b := &pgx.Batch{}
	b.Queue(sqlLockSeq, seqLockKey)
	b.Queue(`INSERT INTO events (id, type, actor, reason, effective_date, recorded_at, recorded_ns, subjects, request, result)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING RETURNING seq`,
		e.ID, e.Type, e.Actor, e.Reason, e.EffectiveDate, at, ns, e.Subjects, e.Request, e.Result)
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return 0, wrapErr("put event: lock", err)
	}
	var seq int64
	err := br.QueryRow().Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, sentinel("put event", store.ErrExists)
	}
	if err != nil {
		return 0, wrapErr("put event", err)
	}
	return seq, wrapErr("put event", br.Close())
}

// AppendOutbox adds an outbox row; the store assigns Seq and CreatedAt.
func (t *tx) AppendOutbox(ctx context.Context, o store.OutboxRow) error {
	b := &pgx.Batch{}
	b.Queue(sqlLockSeq, seqLockKey)
	b.Queue(`INSERT INTO outbox (event_id, event_type, pin, data) VALUES ($1, $2, $3, $4)`,
		o.EventID, o.EventType, o.PIN, o.Data)
	err := t.tx.SendBatch(ctx, b).Close()
	return wrapErr("append outbox", err)
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dancu/dancu/internal/store"
)

// querier is what the pool and a transaction have in common, so that reads
// are written once for both.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Column lists, in the order the scan functions expect.
const (
	personVersionCols = `pin, version, name_key, name_fold, birth_year, birth_date, sex, province,
		commune, state, household_id, data, event_id, event_type, actor, reason, valid_from, recorded_at, recorded_ns`
	householdVersionCols = `id, version, head_pin, province, commune, data,
		event_id, event_type, actor, reason, valid_from, recorded_at, recorded_ns`
	eventCols  = `id, seq, type, actor, reason, effective_date, recorded_at, recorded_ns, subjects, request, result`
	outboxCols = `seq, event_id, event_type, pin, data, created_at`
)

func scanPersonVersion(row pgx.Row) (store.PersonVersion, error) {
	var (
		v  store.PersonVersion
		ns int16
	)
	err := row.Scan(&v.PIN, &v.Version, &v.NameKey, &v.NameFold, &v.BirthYear, &v.BirthDate, &v.Sex,
		&v.Province, &v.Commune, &v.State, &v.HouseholdID, &v.Data,
		&v.EventID, &v.EventType, &v.Actor, &v.Reason, &v.ValidFrom, &v.RecordedAt, &ns)
	v.RecordedAt = joinTime(v.RecordedAt, ns)
	return v, err
}

func scanHouseholdVersion(row pgx.Row) (store.HouseholdVersion, error) {
	var (
		v  store.HouseholdVersion
		ns int16
	)
	err := row.Scan(&v.ID, &v.Version, &v.HeadPIN, &v.Province, &v.Commune, &v.Data,
		&v.EventID, &v.EventType, &v.Actor, &v.Reason, &v.ValidFrom, &v.RecordedAt, &ns)
	v.RecordedAt = joinTime(v.RecordedAt, ns)
	return v, err
}

func scanEvent(row pgx.Row) (store.EventRow, error) {
	var (
		e  store.EventRow
		ns int16
	)
	err := row.Scan(&e.ID, &e.Seq, &e.Type, &e.Actor, &e.Reason, &e.EffectiveDate, &e.RecordedAt, &ns,
		&e.Subjects, &e.Request, &e.Result)
	e.RecordedAt = joinTime(e.RecordedAt, ns)
	return e, err
}

func scanOutbox(row pgx.Row) (store.OutboxRow, error) {
	var o store.OutboxRow
	err := row.Scan(&o.Seq, &o.EventID, &o.EventType, &o.PIN, &o.Data, &o.CreatedAt)
	o.CreatedAt = o.CreatedAt.UTC()
	return o, err
}

// splitTime divides t into the microseconds timestamptz keeps (pgx truncates
// the rest when it encodes t) and the nanoseconds within the microsecond, kept
// in the recorded_ns column so that times read back exactly as written.
func splitTime(t time.Time) (time.Time, int16) {
	return t, int16(t.Nanosecond() % 1000)
}

// joinTime is the inverse of splitTime, in UTC.
func joinTime(t time.Time, ns int16) time.Time {
	return t.Add(time.Duration(ns)).UTC()
}

// one runs a query expected to return at most one row and maps "no rows" to
// store.ErrNotFound.
func one[T any](ctx context.Context, q querier, op string, scan func(pgx.Row) (T, error), sql string, args ...any) (T, error) {
	v, err := scan(q.QueryRow(ctx, sql, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, sentinel(op, store.ErrNotFound)
	}
	if err != nil {
		return v, wrapErr(op, err)
	}
	return v, nil
}

// all runs a query and scans every row.
func all[T any](ctx context.Context, q querier, op string, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, wrapErr(op, err)
	}
	return out, nil
}

const (
	sqlCurrentPerson = `SELECT ` + personVersionCols + ` FROM person_versions
		WHERE pin = $1 AND version = (SELECT version FROM persons WHERE pin = $1)`
	sqlCurrentHousehold = `SELECT ` + householdVersionCols + ` FROM household_versions
		WHERE id = $1 AND version = (SELECT version FROM households WHERE id = $1)`
	sqlEvent = `SELECT ` + eventCols + ` FROM events WHERE id = $1`
)

// Person returns the current version of a person, or store.ErrNotFound.
func (s *Store) Person(ctx context.Context, pin string) (store.PersonVersion, error) {
	return one(ctx, s.pool, "person", scanPersonVersion, sqlCurrentPerson, pin)
}

// PersonAsOf returns the highest version of a person valid on date, or
// store.ErrNotFound. Dates compare as strings, which orders ISO dates.
func (s *Store) PersonAsOf(ctx context.Context, pin, date string) (store.PersonVersion, error) {
	return one(ctx, s.pool, "person as of", scanPersonVersion,
		`SELECT `+personVersionCols+` FROM person_versions
		WHERE pin = $1 AND valid_from <= $2 ORDER BY version DESC LIMIT 1`, pin, date)
}

// PersonHistory returns every version of a person, oldest first.
func (s *Store) PersonHistory(ctx context.Context, pin string) ([]store.PersonVersion, error) {
	vs, err := all(ctx, s.pool, "person history", scanPersonVersion,
		`SELECT `+personVersionCols+` FROM person_versions WHERE pin = $1 ORDER BY version`, pin)
	if err == nil && len(vs) == 0 {
		return nil, sentinel("person history", store.ErrNotFound)
	}
	return vs, err
}

// CountPersons sums the sharded person counters (see migration 0001), which
// every write of a first version updates in its own transaction.
func (s *Store) CountPersons(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(n), 0)::bigint FROM person_counts`).Scan(&n)
	return n, wrapErr("count persons", err)
}

// SearchPersons returns current records matching q, ordered by (NameKey, PIN)
// when q.NameKey is set and by PIN otherwise, starting after the cursor.
func (s *Store) SearchPersons(ctx context.Context, q store.PersonQuery) ([]store.PersonRow, error) {
	if q.Limit <= 0 {
		return nil, errors.New("postgres: search persons: limit must be positive")
	}
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// A word-boundary prefix match of k is name = k or name in [k+" ", k+"!"):
	// with COLLATE "C" that is one bytewise range [k, k+"!") of the
	// (name_key, pin) index, minus the names that continue k with a byte below
	// the space.
	prefix := func(col, k string) string {
		return fmt.Sprintf("%s < %s AND (%s = %s OR %s >= %s)", col, arg(k+"!"), col, arg(k), col, arg(k+" "))
	}
	eq := func(col string, v any) { where = append(where, col+" = "+arg(v)) }
	order := "p.pin"
	if k := q.NameKey; k != "" {
		order = "p.name_key, p.pin"
		// One lower bound, so that the index scan starts right at it: a
		// cursor inside the range replaces the range's start, and a cursor
		// before the range excludes nothing.
		if q.AfterKey >= k && (q.AfterKey != "" || q.AfterPIN != "") {
			where = append(where, fmt.Sprintf("(p.name_key, p.pin) > (%s, %s)", arg(q.AfterKey), arg(q.AfterPIN)))
		} else {
			where = append(where, "p.name_key >= "+arg(k))
		}
		where = append(where, prefix("p.name_key", k))
	} else if q.AfterPIN != "" {
		where = append(where, "p.pin > "+arg(q.AfterPIN))
	}
	if f := q.NameFold; f != "" {
		where = append(where, "p.name_fold >= "+arg(f)+" AND "+prefix("p.name_fold", f))
	}
	if q.BirthDate != "" {
		eq("p.birth_date", q.BirthDate)
	}
	if q.BirthYear != 0 {
		eq("p.birth_year", q.BirthYear)
	}
	if q.Sex != "" {
		eq("p.sex", q.Sex)
	}
	if q.Province != "" {
		eq("p.province", q.Province)
	}
	if q.Commune != "" {
		eq("p.commune", q.Commune)
	}
	if q.State != "" {
		eq("p.state", q.State)
	}
	var b strings.Builder
	b.WriteString(`SELECT p.pin, p.version, p.name_key, p.name_fold, p.birth_year, p.birth_date, p.sex,
		p.province, p.commune, p.state, p.household_id, v.data
		FROM persons p JOIN person_versions v ON v.pin = p.pin AND v.version = p.version`)
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	fmt.Fprintf(&b, " ORDER BY %s LIMIT %s", order, arg(q.Limit))
	return all(ctx, s.pool, "search persons", func(row pgx.Row) (store.PersonRow, error) {
		var r store.PersonRow
		err := row.Scan(&r.PIN, &r.Version, &r.NameKey, &r.NameFold, &r.BirthYear, &r.BirthDate, &r.Sex,
			&r.Province, &r.Commune, &r.State, &r.HouseholdID, &r.Data)
		return r, err
	}, b.String(), args...)
}

// Household returns the current version of a household, or store.ErrNotFound.
func (s *Store) Household(ctx context.Context, id string) (store.HouseholdVersion, error) {
	return one(ctx, s.pool, "household", scanHouseholdVersion, sqlCurrentHousehold, id)
}

// HouseholdHistory returns every version of a household, oldest first, or
// store.ErrNotFound if there is none.
func (s *Store) HouseholdHistory(ctx context.Context, id string) ([]store.HouseholdVersion, error) {
	vs, err := all(ctx, s.pool, "household history", scanHouseholdVersion,
		`SELECT `+householdVersionCols+` FROM household_versions WHERE id = $1 ORDER BY version`, id)
	if err == nil && len(vs) == 0 {
		return nil, sentinel("household history", store.ErrNotFound)
	}
	return vs, err
}

// Event returns a recorded event by id, or store.ErrNotFound.
func (s *Store) Event(ctx context.Context, id string) (store.EventRow, error) {
	return one(ctx, s.pool, "event", scanEvent, sqlEvent, id)
}

// Events returns events after q.AfterSeq in Seq order. A Limit of zero or
// less means no limit.
func (s *Store) Events(ctx context.Context, q store.EventQuery) ([]store.EventRow, error) {
	sql := `SELECT ` + eventCols + ` FROM events WHERE seq > $1`
	args := []any{q.AfterSeq}
	if q.Type != "" {
		args = append(args, q.Type)
		sql += fmt.Sprintf(" AND type = $%d", len(args))
	}
	if q.Subject != "" {
		// @> rather than = ANY so that the GIN index on subjects can serve it.
		args = append(args, []string{q.Subject})
		sql += fmt.Sprintf(" AND subjects @> $%d::text[]", len(args))
	}
	sql += " ORDER BY seq"
	if q.Limit > 0 {
		args = append(args, q.Limit)
		sql += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	return all(ctx, s.pool, "events", scanEvent, sql, args...)
}

// Outbox returns up to limit outbox rows after afterSeq in Seq order.
func (s *Store) Outbox(ctx context.Context, afterSeq int64, limit int) ([]store.OutboxRow, error) {
	if limit <= 0 {
		return nil, nil
	}
	return all(ctx, s.pool, "outbox", scanOutbox,
		`SELECT `+outboxCols+` FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2`, afterSeq, limit)
}

// Setting returns the value stored under key, or store.ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", sentinel("setting", store.ErrNotFound)
	}
	return v, wrapErr("setting", err)
}

// SetSettingIfAbsent stores value under key unless one is there, and returns
// the stored value. ON CONFLICT DO NOTHING waits for a concurrent insert of
// the same key to commit, and the following SELECT, a new statement under READ
// COMMITTED, sees the winner's value.
func (s *Store) SetSettingIfAbsent(ctx context.Context, key, value string) (string, error) {
	if _, err := s.pool.Exec(ctx,
		`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", wrapErr("set setting if absent", err)
	}
	return s.Setting(ctx, key)
}

// PutSetting stores value under key, replacing any earlier value.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return wrapErr("put setting", err)
}

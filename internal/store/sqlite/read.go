package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/store"
)

type scanner interface {
	Scan(dest ...any) error
}

func scanPersonVersion(sc scanner) (store.PersonVersion, error) {
	var v store.PersonVersion
	var at sql.NullInt64
	err := sc.Scan(&v.PIN, &v.Version, &v.NameKey, &v.NameFold, &v.BirthYear, &v.BirthDate,
		&v.Sex, &v.Province, &v.Commune, &v.State, &v.HouseholdID, &v.Data,
		&v.EventID, &v.EventType, &v.Actor, &v.Reason, &v.ValidFrom, &at)
	v.RecordedAt = timeFromNull(at)
	return v, err
}

func scanHouseholdVersion(sc scanner) (store.HouseholdVersion, error) {
	var v store.HouseholdVersion
	var at sql.NullInt64
	err := sc.Scan(&v.ID, &v.Version, &v.HeadPIN, &v.Province, &v.Commune, &v.Data,
		&v.EventID, &v.EventType, &v.Actor, &v.Reason, &v.ValidFrom, &at)
	v.RecordedAt = timeFromNull(at)
	return v, err
}

func scanEvent(sc scanner) (store.EventRow, error) {
	var e store.EventRow
	var at sql.NullInt64
	var subjects sql.NullString
	err := sc.Scan(&e.Seq, &e.ID, &e.Type, &e.Actor, &e.Reason, &e.EffectiveDate, &at,
		&subjects, &e.Request, &e.Result)
	if err != nil {
		return e, err
	}
	e.RecordedAt = timeFromNull(at)
	if subjects.Valid {
		if err := json.Unmarshal([]byte(subjects.String), &e.Subjects); err != nil {
			return e, fmt.Errorf("event subjects: %w", err)
		}
	}
	return e, nil
}

func scanOutbox(sc scanner) (store.OutboxRow, error) {
	var o store.OutboxRow
	var at int64
	err := sc.Scan(&o.Seq, &o.EventID, &o.EventType, &o.PIN, &o.Data, &at)
	o.CreatedAt = time.Unix(0, at).UTC()
	return o, err
}

// queryOne runs a read on the read pool and scans its single row; no row is
// store.ErrNotFound. what names the operation in errors, never the key.
func queryOne[T any](ctx context.Context, s *Store, what string, scan func(scanner) (T, error), q string, args ...any) (T, error) {
	var zero T
	st, err := s.rq.get(ctx, q)
	if err != nil {
		return zero, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	v, err := scan(st.QueryRowContext(ctx, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return zero, fmt.Errorf("sqlite: %s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return zero, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return v, nil
}

// queryAll runs a read on the read pool and scans every row.
func queryAll[T any](ctx context.Context, s *Store, what string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	st, err := s.rq.get(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return out, nil
}

// Person returns the current version of a person, or store.ErrNotFound.
func (s *Store) Person(ctx context.Context, pin string) (store.PersonVersion, error) {
	return queryOne(ctx, s, "person", scanPersonVersion, qPerson, pin)
}

// PersonAsOf returns the highest version whose ValidFrom is on or before
// date. ValidFrom holds full ISO dates, so comparing the strings compares the
// dates.
func (s *Store) PersonAsOf(ctx context.Context, pin, date string) (store.PersonVersion, error) {
	return queryOne(ctx, s, "person as of", scanPersonVersion, qPersonAsOf, pin, date)
}

// PersonHistory returns every version of a person, oldest first.
func (s *Store) PersonHistory(ctx context.Context, pin string) ([]store.PersonVersion, error) {
	vs, err := queryAll(ctx, s, "person history", scanPersonVersion, qPersonHistory, pin)
	if err == nil && len(vs) == 0 {
		err = fmt.Errorf("sqlite: person history: %w", store.ErrNotFound)
	}
	return vs, err
}

// CountPersons reads the running count that every first version and every
// bulk load adds to in its own transaction, rather than counting a table of
// millions of rows.
func (s *Store) CountPersons(ctx context.Context) (int64, error) {
	return queryOne(ctx, s, "count persons", func(sc scanner) (int64, error) {
		var n int64
		err := sc.Scan(&n)
		return n, err
	}, qCountPersons)
}

// Household returns the current version of a household, or store.ErrNotFound.
func (s *Store) Household(ctx context.Context, id string) (store.HouseholdVersion, error) {
	return queryOne(ctx, s, "household", scanHouseholdVersion, qHousehold, id)
}

// HouseholdHistory returns every version of a household, oldest first, or
// store.ErrNotFound if there is none.
func (s *Store) HouseholdHistory(ctx context.Context, id string) ([]store.HouseholdVersion, error) {
	vs, err := queryAll(ctx, s, "household history", scanHouseholdVersion, qHouseholdHistory, id)
	if err == nil && len(vs) == 0 {
		err = fmt.Errorf("sqlite: household history: %w", store.ErrNotFound)
	}
	return vs, err
}

// Event returns a recorded event by its id, or store.ErrNotFound.
func (s *Store) Event(ctx context.Context, id string) (store.EventRow, error) {
	return queryOne(ctx, s, "event", scanEvent, qEvent, id)
}

// Events returns events after q.AfterSeq in Seq order. A Limit of zero or less
// means no limit.
func (s *Store) Events(ctx context.Context, q store.EventQuery) ([]store.EventRow, error) {
	query, args := eventsSQL(q)
	return queryAll(ctx, s, "events", scanEvent, query, args...)
}

// eventsSQL builds the statement of Events. A subject filter walks that PIN's
// entries of event_subjects in seq order and fetches each event; otherwise
// the events table (or its type index) is walked in seq order.
func eventsSQL(q store.EventQuery) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("SELECT " + eventCols)
	if q.Subject != "" {
		b.WriteString(" FROM event_subjects s CROSS JOIN events e ON e.seq = s.seq WHERE s.pin = ? AND s.seq > ?")
		args = append(args, q.Subject, q.AfterSeq)
	} else {
		b.WriteString(" FROM events e WHERE e.seq > ?")
		args = append(args, q.AfterSeq)
	}
	if q.Type != "" {
		if q.Subject != "" {
			b.WriteString(" AND +e.type = ?")
		} else {
			b.WriteString(" AND e.type = ?")
		}
		args = append(args, q.Type)
	}
	if q.Subject != "" {
		b.WriteString(" ORDER BY s.seq")
	} else {
		b.WriteString(" ORDER BY e.seq")
	}
	if q.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, q.Limit)
	}
	return b.String(), args
}

// Outbox returns up to limit outbox rows with Seq > afterSeq, in Seq order.
func (s *Store) Outbox(ctx context.Context, afterSeq int64, limit int) ([]store.OutboxRow, error) {
	if limit <= 0 {
		return nil, nil
	}
	return queryAll(ctx, s, "outbox", scanOutbox, qOutbox, afterSeq, limit)
}

// SearchPersons returns current records matching q, ordered by (NameKey, PIN)
// when q.NameKey is set and by PIN otherwise, starting after the cursor.
func (s *Store) SearchPersons(ctx context.Context, q store.PersonQuery) ([]store.PersonRow, error) {
	if q.Limit <= 0 {
		return nil, errors.New("sqlite: search persons: limit must be positive")
	}
	query, args := searchSQL(q)
	return queryAll(ctx, s, "search persons", scanPersonRow, query, args...)
}

const personRowCols = `p.pin, p.version, p.name_key, p.name_fold, p.birth_year, p.birth_date,
	p.sex, p.province, p.commune, p.state, p.household_id, v.data`

func scanPersonRow(sc scanner) (store.PersonRow, error) {
	var r store.PersonRow
	err := sc.Scan(&r.PIN, &r.Version, &r.NameKey, &r.NameFold, &r.BirthYear, &r.BirthDate,
		&r.Sex, &r.Province, &r.Commune, &r.State, &r.HouseholdID, &r.Data)
	return r, err
}

// searchSQL builds the search statement. It decides which index serves the
// query rather than leaving it to the planner, which has no statistics: the
// index must return rows in the documented order, or SQLite would sort every
// match (a third of the country for "nguyen") to return one page. Filters the
// chosen index does not serve are written on +column, which stops SQLite from
// using another index for them.
//
//   - NameKey set: persons_name, walked in (name_key, pin) order from the
//     cursor; birth_year is checked in the index entry.
//   - else Commune set: persons_commune, in PIN order.
//   - else Province set: persons_province, in PIN order.
//   - else BirthDate and Sex set: persons_birth_date, in PIN order.
//   - else: the persons table itself, in PIN order.
//
// Exact name or word prefix: "nguyen van" must match "nguyen van" and
// "nguyen van an" but not "nguyen vanh". Every such key lies in
// ["nguyen van", "nguyen van!") — '!' follows ' ' — which is one index range;
// the residual test drops the few keys in that range that continue with a
// control character instead of a space.
func searchSQL(q store.PersonQuery) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	byName := q.NameKey != ""
	if byName {
		k := q.NameKey
		// One lower bound, so that SQLite seeks straight to it: a cursor
		// inside the range replaces the range's start, and one before the
		// range excludes nothing.
		if q.AfterKey >= k && (q.AfterKey != "" || q.AfterPIN != "") {
			add("(p.name_key, p.pin) > (?, ?)", q.AfterKey, q.AfterPIN)
		} else {
			add("p.name_key >= ?", k)
		}
		add("p.name_key < ?", k+"!")
		add("(+p.name_key = ? OR +p.name_key >= ?)", k, k+" ")
	} else if q.AfterPIN != "" {
		add("p.pin > ?", q.AfterPIN)
	}
	if f := q.NameFold; f != "" {
		add("(+p.name_fold = ? OR (+p.name_fold >= ? AND +p.name_fold < ?))", f, f+" ", f+"!")
	}
	byDate := !byName && q.Commune == "" && q.Province == "" && q.BirthDate != "" && q.Sex != ""
	if byDate {
		add("p.birth_date = ?", q.BirthDate)
		add("p.sex = ?", q.Sex)
	} else {
		if q.BirthDate != "" {
			add("+p.birth_date = ?", q.BirthDate)
		}
		if q.Sex != "" {
			add("+p.sex = ?", q.Sex)
		}
	}
	if q.BirthYear != 0 {
		add("+p.birth_year = ?", q.BirthYear)
	}
	if q.State != "" {
		add("+p.state = ?", q.State)
	}
	switch {
	case !byName && q.Commune != "":
		add("p.commune = ?", q.Commune)
		if q.Province != "" {
			add("+p.province = ?", q.Province)
		}
	case !byName && q.Province != "":
		add("p.province = ?", q.Province)
	default:
		if q.Commune != "" {
			add("+p.commune = ?", q.Commune)
		}
		if q.Province != "" {
			add("+p.province = ?", q.Province)
		}
	}
	var b strings.Builder
	b.WriteString("SELECT " + personRowCols + " FROM persons p CROSS JOIN person_versions v ON v.vid = p.cur")
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	if byName {
		b.WriteString(" ORDER BY p.name_key, p.pin LIMIT ?")
	} else {
		b.WriteString(" ORDER BY p.pin LIMIT ?")
	}
	args = append(args, q.Limit)
	return b.String(), args
}

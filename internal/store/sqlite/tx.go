package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Update runs fn in one write transaction on the writer connection and
// commits if fn returns nil. The transaction begins IMMEDIATE, taking SQLite's
// write lock at once: every transaction that writes is serialised, in this
// process by the one-connection writer pool and across processes by the lock,
// so what fn reads stays current until the commit.
//
// fn is called again, after a short jittered backoff, when it or the store
// fails with store.ErrConflict or SQLite reports the database busy for longer
// than the busy timeout; after a few attempts the last error is returned. fn
// must not call Update, Loader methods or settings writes of the same store:
// they wait for the writer connection that fn's transaction holds.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return retry(ctx, func() error { return s.updateOnce(ctx, fn) }, func(err error) bool {
		return errors.Is(err, store.ErrConflict) || isBusy(err)
	})
}

func (s *Store) updateOnce(ctx context.Context, fn func(tx store.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			// fn failed or panicked.
			tx.Rollback()
		}
	}()
	if err := fn(&txView{s: s, tx: tx}); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// txView is store.Tx over one SQLite transaction. Its reads run on the
// transaction's connection and so see its own writes.
type txView struct {
	s  *Store
	tx *sql.Tx
}

func (t *txView) stmt(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	return t.tx.StmtContext(ctx, st)
}

func txOne[T any](ctx context.Context, t *txView, what string, scan func(scanner) (T, error), st *sql.Stmt, args ...any) (T, error) {
	var zero T
	v, err := scan(t.stmt(ctx, st).QueryRowContext(ctx, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return zero, fmt.Errorf("sqlite: %s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return zero, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return v, nil
}

// Person returns the current version of a person as this transaction sees it.
func (t *txView) Person(ctx context.Context, pin string) (store.PersonVersion, error) {
	return txOne(ctx, t, "person", scanPersonVersion, t.s.ws.person, pin)
}

// Household returns the current version of a household as this transaction
// sees it.
func (t *txView) Household(ctx context.Context, id string) (store.HouseholdVersion, error) {
	return txOne(ctx, t, "household", scanHouseholdVersion, t.s.ws.household, id)
}

// Event returns a recorded event as this transaction sees it.
func (t *txView) Event(ctx context.Context, id string) (store.EventRow, error) {
	return txOne(ctx, t, "event", scanEvent, t.s.ws.event, id)
}

// currentVersion returns the current version of the key st looks up, or 0
// when the key was never used.
func (t *txView) currentVersion(ctx context.Context, st *sql.Stmt, key string) (int64, error) {
	var v int64
	err := t.stmt(ctx, st).QueryRowContext(ctx, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// PersonExists reports whether a PIN has ever been used. persons keeps a row
// for every PIN ever written, whatever the person's state.
func (t *txView) PersonExists(ctx context.Context, pin string) (bool, error) {
	v, err := t.currentVersion(ctx, t.s.ws.personVersion, pin)
	if err != nil {
		return false, fmt.Errorf("sqlite: person exists: %w", err)
	}
	return v > 0, nil
}

// checkNext applies the version rule of PutPerson and PutHousehold.
func checkNext(what string, cur, next int64) error {
	if next == 1 && cur > 0 {
		return fmt.Errorf("sqlite: %s: version 1 of a key already used: %w", what, store.ErrExists)
	}
	if next != cur+1 {
		return fmt.Errorf("sqlite: %s: version %d does not follow %d: %w", what, next, cur, store.ErrConflict)
	}
	return nil
}

// PutPerson appends a version to person_versions and points persons at it.
func (t *txView) PutPerson(ctx context.Context, v store.PersonVersion) error {
	const what = "put person"
	cur, err := t.currentVersion(ctx, t.s.ws.personVersion, v.PIN)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if err := checkNext(what, cur, v.Version); err != nil {
		return err
	}
	at, err := timeArg(v.RecordedAt)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	res, err := t.stmt(ctx, t.s.ws.insPersonVersion).ExecContext(ctx, v.PIN, v.Version,
		v.NameKey, v.NameFold, v.BirthYear, v.BirthDate, v.Sex, v.Province, v.Commune, v.State,
		v.HouseholdID, v.EventID, v.EventType, v.Actor, v.Reason, v.ValidFrom, at, v.Data)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	vid, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if cur == 0 {
		_, err = t.stmt(ctx, t.s.ws.insPerson).ExecContext(ctx, v.PIN, v.Version, vid,
			v.NameKey, v.NameFold, v.BirthYear, v.BirthDate, v.Sex, v.Province, v.Commune,
			v.State, v.HouseholdID)
		if err == nil {
			_, err = t.stmt(ctx, t.s.ws.addPersons).ExecContext(ctx, 1)
		}
	} else {
		_, err = t.stmt(ctx, t.s.ws.updPerson).ExecContext(ctx, v.Version, vid,
			v.NameKey, v.NameFold, v.BirthYear, v.BirthDate, v.Sex, v.Province, v.Commune,
			v.State, v.HouseholdID, v.PIN)
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}

// PutHousehold appends a household version under the same rules as PutPerson.
func (t *txView) PutHousehold(ctx context.Context, v store.HouseholdVersion) error {
	const what = "put household"
	cur, err := t.currentVersion(ctx, t.s.ws.householdVersion, v.ID)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if err := checkNext(what, cur, v.Version); err != nil {
		return err
	}
	at, err := timeArg(v.RecordedAt)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	res, err := t.stmt(ctx, t.s.ws.insHouseholdVersion).ExecContext(ctx, v.ID, v.Version,
		v.HeadPIN, v.Province, v.Commune, v.EventID, v.EventType, v.Actor, v.Reason,
		v.ValidFrom, at, v.Data)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	vid, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if cur == 0 {
		_, err = t.stmt(ctx, t.s.ws.insHousehold).ExecContext(ctx, v.ID, v.Version, vid)
	} else {
		_, err = t.stmt(ctx, t.s.ws.updHousehold).ExecContext(ctx, v.Version, vid, v.ID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}

// subjectsArg encodes an event's subjects as a JSON array, keeping their order
// (the first is the main subject); nil stays NULL.
func subjectsArg(subjects []string) (any, error) {
	if subjects == nil {
		return nil, nil
	}
	b, err := json.Marshal(subjects)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// distinct returns the subjects without repeats, for event_subjects: an event
// is listed once for a PIN however often the PIN appears in it.
func distinct(subjects []string) []string {
	if len(subjects) < 2 {
		return subjects
	}
	out := make([]string, 0, len(subjects))
outer:
	for i, p := range subjects {
		for _, q := range subjects[:i] {
			if p == q {
				continue outer
			}
		}
		out = append(out, p)
	}
	return out
}

// PutEvent records an event and returns its seq, which AUTOINCREMENT draws in
// commit order, since one transaction writes at a time.
func (t *txView) PutEvent(ctx context.Context, e store.EventRow) (int64, error) {
	const what = "put event"
	at, err := timeArg(e.RecordedAt)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	subjects, err := subjectsArg(e.Subjects)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	res, err := t.stmt(ctx, t.s.ws.insEvent).ExecContext(ctx, e.ID, e.Type, e.Actor, e.Reason,
		e.EffectiveDate, at, subjects, e.Request, e.Result)
	if isUniqueViolation(err) {
		return 0, fmt.Errorf("sqlite: %s: %w", what, store.ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	ins := t.stmt(ctx, t.s.ws.insEventSubject)
	for _, pin := range distinct(e.Subjects) {
		if _, err := ins.ExecContext(ctx, seq, pin); err != nil {
			return 0, fmt.Errorf("sqlite: %s: %w", what, err)
		}
	}
	return seq, nil
}

// AppendOutbox adds an outbox row; its seq, like an event's, follows commit
// order.
func (t *txView) AppendOutbox(ctx context.Context, o store.OutboxRow) error {
	_, err := t.stmt(ctx, t.s.ws.insOutbox).ExecContext(ctx, o.EventID, o.EventType, o.PIN, o.Data,
		time.Now().UTC().UnixNano())
	if err != nil {
		return fmt.Errorf("sqlite: append outbox: %w", err)
	}
	return nil
}

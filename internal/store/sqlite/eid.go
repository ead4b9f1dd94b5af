package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Electronic identification rows are small and written one at a time, each
// write one short transaction on the single writer.
const (
	eidAccountCols = `id, kind, pin, parent, version, created_at, data`
	qEIDAccount    = `SELECT ` + eidAccountCols + ` FROM eid_accounts WHERE id = ?`
	qEIDAccountPIN = `SELECT ` + eidAccountCols + ` FROM eid_accounts WHERE pin = ? AND pin <> ''`
	qEIDAccountsBy = `SELECT ` + eidAccountCols + ` FROM eid_accounts WHERE parent = ? AND parent <> '' ORDER BY id`
	eidSessionCols = `id, account_id, created_at, last_seen, expires_at, revoked_at, data`
	qEIDSession    = `SELECT ` + eidSessionCols + ` FROM eid_sessions WHERE id = ?`
	qEIDSessions   = `SELECT ` + eidSessionCols + ` FROM eid_sessions
		WHERE account_id = ? AND revoked_at = 0 AND expires_at > ? ORDER BY created_at DESC, id`
	qEIDEvents = `SELECT seq, account_id, at, type, data FROM eid_events
		WHERE account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`
	qEIDTransient = `SELECT kind, id, version, expires, data FROM eid_transient
		WHERE kind = ? AND id = ? AND expires > ?`
)

// eidPurgeBatch bounds how many expired transient records one write
// deletes, so that a write's cost stays flat however long the table went
// unswept.
const eidPurgeBatch = 100

func scanEIDAccount(sc scanner) (store.EIDAccount, error) {
	var a store.EIDAccount
	var created int64
	err := sc.Scan(&a.ID, &a.Kind, &a.PIN, &a.Parent, &a.Version, &created, &a.Data)
	a.CreatedAt = time.Unix(0, created).UTC()
	return a, err
}

func scanEIDSession(sc scanner) (store.EIDSession, error) {
	var s store.EIDSession
	var created, seen, expires, revoked int64
	err := sc.Scan(&s.ID, &s.AccountID, &created, &seen, &expires, &revoked, &s.Data)
	s.CreatedAt, s.LastSeen, s.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, seen).UTC(), time.Unix(0, expires).UTC()
	if revoked != 0 {
		s.RevokedAt = time.Unix(0, revoked).UTC()
	}
	return s, err
}

func scanEIDEvent(sc scanner) (store.EIDEvent, error) {
	var e store.EIDEvent
	var at int64
	err := sc.Scan(&e.Seq, &e.AccountID, &at, &e.Type, &e.Data)
	e.At = time.Unix(0, at).UTC()
	return e, err
}

func scanEIDTransient(sc scanner) (store.EIDTransient, error) {
	var r store.EIDTransient
	var exp int64
	err := sc.Scan(&r.Kind, &r.ID, &r.Version, &exp, &r.Data)
	r.Expires = time.Unix(0, exp).UTC()
	return r, err
}

// nanosAll converts several times for storage, failing on the first out of
// range.
func nanosAll(ts ...time.Time) ([]int64, error) {
	out := make([]int64, len(ts))
	for i, t := range ts {
		n, err := nanos(t)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// CreateEIDAccount implements store.EID.
func (s *Store) CreateEIDAccount(ctx context.Context, a store.EIDAccount) error {
	if a.ID == "" || a.Kind == "" || a.Version != 1 {
		return errors.New("sqlite: create eid account: id, kind and version 1 are required")
	}
	ns, err := nanosAll(a.CreatedAt, time.Now())
	if err != nil {
		return fmt.Errorf("sqlite: create eid account: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO eid_accounts (id, kind, pin, parent, version, created_at, updated_at, data)
			VALUES (?, ?, ?, ?, 1, ?, ?, ?)`, a.ID, a.Kind, a.PIN, a.Parent, ns[0], ns[1], nonNil(a.Data))
		if isUniqueViolation(err) {
			return store.ErrExists
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create eid account: %w", err)
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// EIDAccount implements store.EID.
func (s *Store) EIDAccount(ctx context.Context, id string) (store.EIDAccount, error) {
	return queryOne(ctx, s, "eid account", scanEIDAccount, qEIDAccount, id)
}

// EIDAccountByPIN implements store.EID.
func (s *Store) EIDAccountByPIN(ctx context.Context, pin string) (store.EIDAccount, error) {
	return queryOne(ctx, s, "eid account by pin", scanEIDAccount, qEIDAccountPIN, pin)
}

// EIDAccountsByParent implements store.EID.
func (s *Store) EIDAccountsByParent(ctx context.Context, parent string) ([]store.EIDAccount, error) {
	return queryAll(ctx, s, "eid accounts by parent", scanEIDAccount, qEIDAccountsBy, parent)
}

// PutEIDAccount implements store.EID: an update guarded by the previous
// version, so that of two writers who read the same version only the first
// succeeds.
func (s *Store) PutEIDAccount(ctx context.Context, a store.EIDAccount) error {
	if a.ID == "" || a.Version < 2 {
		return errors.New("sqlite: put eid account: id and a version of at least 2 are required")
	}
	now, err := nanos(time.Now())
	if err != nil {
		return fmt.Errorf("sqlite: put eid account: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE eid_accounts SET parent = ?, version = ?, updated_at = ?, data = ?
			WHERE id = ? AND version = ?`, a.Parent, a.Version, now, nonNil(a.Data), a.ID, a.Version-1)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			return nil
		}
		var v int64
		switch err := tx.QueryRowContext(ctx, `SELECT version FROM eid_accounts WHERE id = ?`, a.ID).Scan(&v); {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		}
		return store.ErrConflict
	})
	if err != nil {
		return fmt.Errorf("sqlite: put eid account: %w", err)
	}
	return nil
}

// CreateEIDSession implements store.EID.
func (s *Store) CreateEIDSession(ctx context.Context, e store.EIDSession) error {
	if e.ID == "" || e.AccountID == "" {
		return errors.New("sqlite: create eid session: id and account are required")
	}
	ns, err := nanosAll(e.CreatedAt, e.LastSeen, e.ExpiresAt, e.RevokedAt)
	if err != nil {
		return fmt.Errorf("sqlite: create eid session: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO eid_sessions (id, account_id, created_at, last_seen, expires_at, revoked_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, e.ID, e.AccountID, ns[0], ns[1], ns[2], ns[3], nonNil(e.Data))
		if isUniqueViolation(err) {
			return store.ErrExists
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create eid session: %w", err)
	}
	return nil
}

// EIDSession implements store.EID.
func (s *Store) EIDSession(ctx context.Context, id string) (store.EIDSession, error) {
	return queryOne(ctx, s, "eid session", scanEIDSession, qEIDSession, id)
}

// EIDSessions implements store.EID.
func (s *Store) EIDSessions(ctx context.Context, accountID string, now time.Time) ([]store.EIDSession, error) {
	n, err := nanos(now)
	if err != nil {
		return nil, fmt.Errorf("sqlite: eid sessions: %w", err)
	}
	return queryAll(ctx, s, "eid sessions", scanEIDSession, qEIDSessions, accountID, n)
}

// TouchEIDSession implements store.EID.
func (s *Store) TouchEIDSession(ctx context.Context, id string, at time.Time) error {
	n, err := nanos(at)
	if err != nil {
		return fmt.Errorf("sqlite: touch eid session: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE eid_sessions SET last_seen = max(last_seen, ?) WHERE id = ?`, n, id)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("sqlite: touch eid session: %w", err)
	}
	return nil
}

// RevokeEIDSessions implements store.EID.
func (s *Store) RevokeEIDSessions(ctx context.Context, accountID, id string, at time.Time) (int, error) {
	n, err := nanos(at)
	if err != nil || n == 0 {
		return 0, errors.New("sqlite: revoke eid sessions: time out of range")
	}
	var count int64
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if id == "" {
			res, err = tx.ExecContext(ctx, `UPDATE eid_sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at = 0`, n, accountID)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE eid_sessions SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at = 0`, n, accountID, id)
		}
		if err != nil {
			return err
		}
		count, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: revoke eid sessions: %w", err)
	}
	return int(count), nil
}

// AppendEIDEvent implements store.EID.
func (s *Store) AppendEIDEvent(ctx context.Context, e store.EIDEvent) error {
	if e.AccountID == "" || e.Type == "" {
		return errors.New("sqlite: append eid event: account and type are required")
	}
	n, err := nanos(e.At)
	if err != nil {
		return fmt.Errorf("sqlite: append eid event: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO eid_events (account_id, at, type, data) VALUES (?, ?, ?, ?)`,
			e.AccountID, n, e.Type, nonNil(e.Data))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: append eid event: %w", err)
	}
	return nil
}

// EIDEvents implements store.EID.
func (s *Store) EIDEvents(ctx context.Context, accountID string, before int64, limit int) ([]store.EIDEvent, error) {
	if limit <= 0 {
		return nil, errors.New("sqlite: eid events: limit must be positive")
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	return queryAll(ctx, s, "eid events", scanEIDEvent, qEIDEvents, accountID, before, limit)
}

// EIDTransient implements store.EID.
func (s *Store) EIDTransient(ctx context.Context, kind, id string) (store.EIDTransient, error) {
	return queryOne(ctx, s, "eid transient", scanEIDTransient, qEIDTransient, kind, id, time.Now().UnixNano())
}

// PutEIDTransient implements store.EID. A create takes over an expired row
// and is refused by a live one; a replace is guarded by the live row's
// version.
func (s *Store) PutEIDTransient(ctx context.Context, r store.EIDTransient) error {
	if r.Kind == "" || r.ID == "" || r.Version < 1 {
		return errors.New("sqlite: put eid transient: kind, id and a version of at least 1 are required")
	}
	ns, err := nanosAll(r.Expires, time.Now())
	if err != nil {
		return fmt.Errorf("sqlite: put eid transient: %w", err)
	}
	exp, now := ns[0], ns[1]
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM eid_transient WHERE (kind, id) IN
			(SELECT kind, id FROM eid_transient WHERE expires <= ? LIMIT ?) AND NOT (kind = ? AND id = ?)`,
			now, eidPurgeBatch, r.Kind, r.ID); err != nil {
			return err
		}
		var res sql.Result
		var err error
		if r.Version == 1 {
			res, err = tx.ExecContext(ctx, `INSERT INTO eid_transient (kind, id, version, expires, data) VALUES (?, ?, 1, ?, ?)
				ON CONFLICT (kind, id) DO UPDATE SET version = 1, expires = excluded.expires, data = excluded.data
				WHERE eid_transient.expires <= ?`, r.Kind, r.ID, exp, nonNil(r.Data), now)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE eid_transient SET version = ?, expires = ?, data = ?
				WHERE kind = ? AND id = ? AND version = ? AND expires > ?`, r.Version, exp, nonNil(r.Data), r.Kind, r.ID, r.Version-1, now)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if r.Version == 1 {
				return store.ErrExists
			}
			return store.ErrConflict
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: put eid transient: %w", err)
	}
	return nil
}

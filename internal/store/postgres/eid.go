package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// eidPurgeBatch bounds how many expired transient records one write
// deletes, so that a write's cost stays flat however long the table went
// unswept.
const eidPurgeBatch = 100

const (
	eidAccountCols = `id, kind, pin, parent, version, created_at, data`
	eidSessionCols = `id, account_id, created_at, last_seen, expires_at, revoked_at, data`
)

func scanEIDAccount(row pgx.Row) (store.EIDAccount, error) {
	var a store.EIDAccount
	err := row.Scan(&a.ID, &a.Kind, &a.PIN, &a.Parent, &a.Version, &a.CreatedAt, &a.Data)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

func scanEIDSession(row pgx.Row) (store.EIDSession, error) {
	var s store.EIDSession
	var revoked *time.Time
	err := row.Scan(&s.ID, &s.AccountID, &s.CreatedAt, &s.LastSeen, &s.ExpiresAt, &revoked, &s.Data)
	s.CreatedAt, s.LastSeen, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeen.UTC(), s.ExpiresAt.UTC()
	if revoked != nil {
		s.RevokedAt = revoked.UTC()
	}
	return s, err
}

func scanEIDEvent(row pgx.Row) (store.EIDEvent, error) {
	var e store.EIDEvent
	err := row.Scan(&e.Seq, &e.AccountID, &e.At, &e.Type, &e.Data)
	e.At = e.At.UTC()
	return e, err
}

func scanEIDTransient(row pgx.Row) (store.EIDTransient, error) {
	var r store.EIDTransient
	err := row.Scan(&r.Kind, &r.ID, &r.Version, &r.Expires, &r.Data)
	r.Expires = r.Expires.UTC()
	return r, err
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nullTime maps the zero time to NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateEIDAccount implements store.EID. The primary key and the unique
// index on pin refuse a taken id or PIN, also between processes.
func (s *Store) CreateEIDAccount(ctx context.Context, a store.EIDAccount) error {
	if a.ID == "" || a.Kind == "" || a.Version != 1 {
		return errors.New("postgres: create eid account: id, kind and version 1 are required")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO eid_accounts (id, kind, pin, parent, version, created_at, updated_at, data)
		VALUES ($1, $2, $3, $4, 1, $5, $6, $7) ON CONFLICT DO NOTHING`,
		a.ID, a.Kind, a.PIN, a.Parent, a.CreatedAt.UTC(), time.Now().UTC(), nonNil(a.Data))
	if err != nil {
		return wrapErr("create eid account", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("create eid account", store.ErrExists)
	}
	return nil
}

// EIDAccount implements store.EID.
func (s *Store) EIDAccount(ctx context.Context, id string) (store.EIDAccount, error) {
	return one(ctx, s.pool, "eid account", scanEIDAccount, `SELECT `+eidAccountCols+` FROM eid_accounts WHERE id = $1`, id)
}

// EIDAccountByPIN implements store.EID.
func (s *Store) EIDAccountByPIN(ctx context.Context, pin string) (store.EIDAccount, error) {
	return one(ctx, s.pool, "eid account by pin", scanEIDAccount,
		`SELECT `+eidAccountCols+` FROM eid_accounts WHERE pin = $1 AND pin <> ''`, pin)
}

// EIDAccountsByParent implements store.EID.
func (s *Store) EIDAccountsByParent(ctx context.Context, parent string) ([]store.EIDAccount, error) {
	return all(ctx, s.pool, "eid accounts by parent", scanEIDAccount,
		`SELECT `+eidAccountCols+` FROM eid_accounts WHERE parent = $1 AND parent <> '' ORDER BY id`, parent)
}

// PutEIDAccount implements store.EID: an update guarded by the previous
// version, which under READ COMMITTED re-checks the guard on the latest row
// after waiting for a concurrent writer.
func (s *Store) PutEIDAccount(ctx context.Context, a store.EIDAccount) error {
	if a.ID == "" || a.Version < 2 {
		return errors.New("postgres: put eid account: id and a version of at least 2 are required")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE eid_accounts SET parent = $1, version = $2, updated_at = $3, data = $4
		WHERE id = $5 AND version = $6`, a.Parent, a.Version, time.Now().UTC(), nonNil(a.Data), a.ID, a.Version-1)
	if err != nil {
		return wrapErr("put eid account", err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var v int64
	switch err := s.pool.QueryRow(ctx, `SELECT version FROM eid_accounts WHERE id = $1`, a.ID).Scan(&v); {
	case errors.Is(err, pgx.ErrNoRows):
		return sentinel("put eid account", store.ErrNotFound)
	case err != nil:
		return wrapErr("put eid account", err)
	}
	return sentinel("put eid account", store.ErrConflict)
}

// CreateEIDSession implements store.EID.
func (s *Store) CreateEIDSession(ctx context.Context, e store.EIDSession) error {
	if e.ID == "" || e.AccountID == "" {
		return errors.New("postgres: create eid session: id and account are required")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO eid_sessions (id, account_id, created_at, last_seen, expires_at, revoked_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		e.ID, e.AccountID, e.CreatedAt.UTC(), e.LastSeen.UTC(), e.ExpiresAt.UTC(), nullTime(e.RevokedAt), nonNil(e.Data))
	if err != nil {
		return wrapErr("create eid session", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("create eid session", store.ErrExists)
	}
	return nil
}

// EIDSession implements store.EID.
func (s *Store) EIDSession(ctx context.Context, id string) (store.EIDSession, error) {
	return one(ctx, s.pool, "eid session", scanEIDSession, `SELECT `+eidSessionCols+` FROM eid_sessions WHERE id = $1`, id)
}

// EIDSessions implements store.EID.
func (s *Store) EIDSessions(ctx context.Context, accountID string, now time.Time) ([]store.EIDSession, error) {
	return all(ctx, s.pool, "eid sessions", scanEIDSession, `SELECT `+eidSessionCols+` FROM eid_sessions
		WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id`, accountID, now.UTC())
}

// TouchEIDSession implements store.EID.
func (s *Store) TouchEIDSession(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE eid_sessions SET last_seen = greatest(last_seen, $1) WHERE id = $2`, at.UTC(), id)
	if err != nil {
		return wrapErr("touch eid session", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("touch eid session", store.ErrNotFound)
	}
	return nil
}

// RevokeEIDSessions implements store.EID.
func (s *Store) RevokeEIDSessions(ctx context.Context, accountID, id string, at time.Time) (int, error) {
	if at.IsZero() {
		return 0, errors.New("postgres: revoke eid sessions: a time is required")
	}
	q := `UPDATE eid_sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL`
	args := []any{at.UTC(), accountID}
	if id != "" {
		q += ` AND id = $3`
		args = append(args, id)
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return 0, wrapErr("revoke eid sessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// AppendEIDEvent implements store.EID.
func (s *Store) AppendEIDEvent(ctx context.Context, e store.EIDEvent) error {
	if e.AccountID == "" || e.Type == "" {
		return errors.New("postgres: append eid event: account and type are required")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO eid_events (account_id, at, type, data) VALUES ($1, $2, $3, $4)`,
		e.AccountID, e.At.UTC(), e.Type, nonNil(e.Data))
	return wrapErr("append eid event", err)
}

// EIDEvents implements store.EID.
func (s *Store) EIDEvents(ctx context.Context, accountID string, before int64, limit int) ([]store.EIDEvent, error) {
	if limit <= 0 {
		return nil, errors.New("postgres: eid events: limit must be positive")
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	return all(ctx, s.pool, "eid events", scanEIDEvent, `SELECT seq, account_id, at, type, data FROM eid_events
		WHERE account_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`, accountID, before, limit)
}

// EIDTransient implements store.EID.
func (s *Store) EIDTransient(ctx context.Context, kind, id string) (store.EIDTransient, error) {
	return one(ctx, s.pool, "eid transient", scanEIDTransient, `SELECT kind, id, version, expires, data FROM eid_transient
		WHERE kind = $1 AND id = $2 AND expires > $3`, kind, id, time.Now().UTC())
}

// PutEIDTransient implements store.EID. A create takes over an expired row
// and leaves a live one alone (the upsert's WHERE); a replace is guarded by
// the live row's version. Two processes writing the same version meet on
// the row lock, and the second finds the version moved.
func (s *Store) PutEIDTransient(ctx context.Context, r store.EIDTransient) error {
	if r.Kind == "" || r.ID == "" || r.Version < 1 {
		return errors.New("postgres: put eid transient: kind, id and a version of at least 1 are required")
	}
	now := time.Now().UTC()
	if _, err := s.pool.Exec(ctx, `DELETE FROM eid_transient WHERE (kind, id) IN
		(SELECT kind, id FROM eid_transient WHERE expires <= $1 AND NOT (kind = $3 AND id = $4) LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		now, eidPurgeBatch, r.Kind, r.ID); err != nil {
		return wrapErr("put eid transient: purge", err)
	}
	var tagN int64
	if r.Version == 1 {
		tag, err := s.pool.Exec(ctx, `INSERT INTO eid_transient (kind, id, version, expires, data) VALUES ($1, $2, 1, $3, $4)
			ON CONFLICT (kind, id) DO UPDATE SET version = 1, expires = excluded.expires, data = excluded.data
			WHERE eid_transient.expires <= $5`, r.Kind, r.ID, r.Expires.UTC(), nonNil(r.Data), now)
		if err != nil {
			return wrapErr("put eid transient", err)
		}
		if tagN = tag.RowsAffected(); tagN == 0 {
			return sentinel("put eid transient", store.ErrExists)
		}
		return nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE eid_transient SET version = $1, expires = $2, data = $3
		WHERE kind = $4 AND id = $5 AND version = $6 AND expires > $7`,
		r.Version, r.Expires.UTC(), nonNil(r.Data), r.Kind, r.ID, r.Version-1, now)
	if err != nil {
		return wrapErr("put eid transient", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("put eid transient", store.ErrConflict)
	}
	return nil
}

package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dancu/dancu/internal/store"
)

// The OpenID Connect provider's state. Every single-use value is consumed by
// one guarded UPDATE, which PostgreSQL re-checks on the latest row after
// waiting for a concurrent writer, so of two processes exactly one wins.
// Expiry is judged by this process's clock.
const (
	oidcReqCols   = `id, client_id, COALESCE(code_hash, ''), code_used, data, created_at, expires_at`
	oidcTokenCols = `id, kind, grant_id, client_id, account_id, COALESCE(refresh_hash, ''), data, created_at, expires_at, used, revoked`
	oidcKeyCols   = `id, algorithm, private_jwk, created_at, sign_until, publish_until`
)

func scanOIDCRequest(row pgx.Row) (store.OIDCAuthRequest, error) {
	var r store.OIDCAuthRequest
	err := row.Scan(&r.ID, &r.ClientID, &r.CodeHash, &r.CodeUsed, &r.Data, &r.CreatedAt, &r.ExpiresAt)
	r.CreatedAt, r.ExpiresAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	return r, err
}

func scanOIDCToken(row pgx.Row) (store.OIDCToken, error) {
	var t store.OIDCToken
	err := row.Scan(&t.ID, &t.Kind, &t.GrantID, &t.ClientID, &t.AccountID, &t.RefreshHash, &t.Data,
		&t.CreatedAt, &t.ExpiresAt, &t.Used, &t.Revoked)
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	return t, err
}

func scanOIDCConsent(row pgx.Row) (store.OIDCConsent, error) {
	var c store.OIDCConsent
	var scopes string
	err := row.Scan(&c.AccountID, &c.ClientID, &scopes, &c.GrantedAt)
	c.Scopes = strings.Fields(scopes)
	c.GrantedAt = c.GrantedAt.UTC()
	return c, err
}

func scanOIDCKey(row pgx.Row) (store.OIDCKey, error) {
	var k store.OIDCKey
	err := row.Scan(&k.ID, &k.Algorithm, &k.PrivateJWK, &k.CreatedAt, &k.SignUntil, &k.PublishUntil)
	k.CreatedAt, k.SignUntil, k.PublishUntil = k.CreatedAt.UTC(), k.SignUntil.UTC(), k.PublishUntil.UTC()
	return k, err
}

// one runs a query expected to return at most one row.
func oidcOne[T any](ctx context.Context, s *Store, op string, scan func(pgx.Row) (T, error), q string, args ...any) (T, error) {
	v, err := scan(s.pool.QueryRow(ctx, q, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		var zero T
		return zero, sentinel(op, store.ErrNotFound)
	}
	return v, wrapErr(op, err)
}

// PutOIDCAuthRequest implements store.OIDC.
func (s *Store) PutOIDCAuthRequest(ctx context.Context, r store.OIDCAuthRequest) error {
	if r.ID == "" || r.ClientID == "" {
		return errors.New("postgres: put oidc auth request: id and client id are required")
	}
	return wrapErr("put oidc auth request", s.oidcWrite(ctx, func(q oidcQuerier) error {
		_, err := q.Exec(ctx, `INSERT INTO oidc_auth_requests (id, client_id, code_hash, data, created_at, expires_at)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6) ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
			r.ID, r.ClientID, r.CodeHash, r.Data, r.CreatedAt.UTC(), r.ExpiresAt.UTC())
		if sqlState(err) == codeUniqueViolation {
			return store.ErrExists
		}
		return err
	}))
}

// OIDCAuthRequest implements store.OIDC.
func (s *Store) OIDCAuthRequest(ctx context.Context, id string) (store.OIDCAuthRequest, error) {
	return oidcOne(ctx, s, "oidc auth request", scanOIDCRequest,
		`SELECT `+oidcReqCols+` FROM oidc_auth_requests WHERE id = $1 AND expires_at > $2`, id, time.Now().UTC())
}

// SetOIDCAuthCode implements store.OIDC.
func (s *Store) SetOIDCAuthCode(ctx context.Context, id, codeHash string, data []byte) error {
	if codeHash == "" {
		return errors.New("postgres: set oidc auth code: empty code hash")
	}
	now := time.Now().UTC()
	var tag pgconn.CommandTag
	err := s.oidcWrite(ctx, func(q oidcQuerier) error {
		var err error
		tag, err = q.Exec(ctx, `UPDATE oidc_auth_requests SET code_hash = $1, data = COALESCE($4, data)
		WHERE id = $2 AND expires_at > $3 AND code_hash IS NULL`, codeHash, id, now, data)
		return err
	})
	if sqlState(err) == codeUniqueViolation {
		return sentinel("set oidc auth code", store.ErrExists)
	}
	if err != nil {
		return wrapErr("set oidc auth code", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM oidc_auth_requests WHERE id = $1 AND expires_at > $2)`,
		id, now).Scan(&exists); err != nil {
		return wrapErr("set oidc auth code", err)
	}
	if exists {
		return sentinel("set oidc auth code", store.ErrExists)
	}
	return sentinel("set oidc auth code", store.ErrNotFound)
}

// UseOIDCAuthCode implements store.OIDC.
func (s *Store) UseOIDCAuthCode(ctx context.Context, codeHash string) (store.OIDCAuthRequest, error) {
	now := time.Now().UTC()
	var r store.OIDCAuthRequest
	err := s.oidcWrite(ctx, func(q oidcQuerier) error {
		var err error
		r, err = scanOIDCRequest(q.QueryRow(ctx, `UPDATE oidc_auth_requests SET code_used = true
		WHERE code_hash = $1 AND expires_at > $2 AND NOT code_used RETURNING `+oidcReqCols, codeHash, now))
		return err
	})
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return store.OIDCAuthRequest{}, wrapErr("use oidc auth code", err)
	}
	r, err = oidcOne(ctx, s, "use oidc auth code", scanOIDCRequest,
		`SELECT `+oidcReqCols+` FROM oidc_auth_requests WHERE code_hash = $1 AND expires_at > $2`, codeHash, now)
	if err != nil {
		return store.OIDCAuthRequest{}, err
	}
	return r, sentinel("use oidc auth code", store.ErrConflict)
}

// PutOIDCToken implements store.OIDC.
func (s *Store) PutOIDCToken(ctx context.Context, t store.OIDCToken) error {
	if t.ID == "" || t.GrantID == "" || t.ClientID == "" || (t.Kind != store.OIDCAccessToken && t.Kind != store.OIDCRefreshToken) {
		return errors.New("postgres: put oidc token: id, kind, grant id and client id are required")
	}
	var refresh *string
	if t.RefreshHash != "" {
		refresh = &t.RefreshHash
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO oidc_tokens (id, kind, grant_id, client_id, account_id,
		refresh_hash, data, created_at, expires_at, used, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		t.ID, t.Kind, t.GrantID, t.ClientID, t.AccountID, refresh, t.Data, t.CreatedAt.UTC(), t.ExpiresAt.UTC(), t.Used, t.Revoked)
	if sqlState(err) == codeUniqueViolation {
		return sentinel("put oidc token", store.ErrExists)
	}
	return wrapErr("put oidc token", err)
}

// OIDCToken implements store.OIDC.
func (s *Store) OIDCToken(ctx context.Context, id string) (store.OIDCToken, error) {
	return oidcOne(ctx, s, "oidc token", scanOIDCToken,
		`SELECT `+oidcTokenCols+` FROM oidc_tokens WHERE id = $1 AND expires_at > $2`, id, time.Now().UTC())
}

// OIDCTokenByRefresh implements store.OIDC.
func (s *Store) OIDCTokenByRefresh(ctx context.Context, refreshHash string) (store.OIDCToken, error) {
	return oidcOne(ctx, s, "oidc refresh token", scanOIDCToken,
		`SELECT `+oidcTokenCols+` FROM oidc_tokens WHERE refresh_hash = $1 AND expires_at > $2`, refreshHash, time.Now().UTC())
}

// UseOIDCRefreshToken implements store.OIDC.
func (s *Store) UseOIDCRefreshToken(ctx context.Context, refreshHash string) error {
	now := time.Now().UTC()
	tag, err := s.pool.Exec(ctx, `UPDATE oidc_tokens SET used = true
		WHERE refresh_hash = $1 AND NOT used AND NOT revoked AND expires_at > $2`, refreshHash, now)
	if err != nil {
		return wrapErr("use oidc refresh token", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM oidc_tokens WHERE refresh_hash = $1 AND expires_at > $2)`,
		refreshHash, now).Scan(&exists); err != nil {
		return wrapErr("use oidc refresh token", err)
	}
	if exists {
		return sentinel("use oidc refresh token", store.ErrConflict)
	}
	return sentinel("use oidc refresh token", store.ErrNotFound)
}

// RevokeOIDCTokens implements store.OIDC.
func (s *Store) RevokeOIDCTokens(ctx context.Context, q store.OIDCTokenQuery) (int64, error) {
	var conds []string
	var args []any
	for _, c := range []struct{ col, v string }{
		{"id", q.ID}, {"grant_id", q.GrantID}, {"client_id", q.ClientID}, {"account_id", q.AccountID},
	} {
		if c.v != "" {
			args = append(args, c.v)
			conds = append(conds, c.col+" = $"+strconv.Itoa(len(args)))
		}
	}
	if len(conds) == 0 {
		return 0, errors.New("postgres: revoke oidc tokens: empty selection")
	}
	tag, err := s.pool.Exec(ctx, `UPDATE oidc_tokens SET revoked = true WHERE NOT revoked AND `+strings.Join(conds, " AND "), args...)
	if err != nil {
		return 0, wrapErr("revoke oidc tokens", err)
	}
	return tag.RowsAffected(), nil
}

// PutOIDCConsent implements store.OIDC.
func (s *Store) PutOIDCConsent(ctx context.Context, c store.OIDCConsent) error {
	if c.AccountID == "" || c.ClientID == "" {
		return errors.New("postgres: put oidc consent: account and client are required")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO oidc_consents (account_id, client_id, scopes, granted_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes,
		granted_at = excluded.granted_at`, c.AccountID, c.ClientID, strings.Join(c.Scopes, " "), c.GrantedAt.UTC())
	return wrapErr("put oidc consent", err)
}

// OIDCConsent implements store.OIDC.
func (s *Store) OIDCConsent(ctx context.Context, accountID, clientID string) (store.OIDCConsent, error) {
	return oidcOne(ctx, s, "oidc consent", scanOIDCConsent, `SELECT account_id, client_id, scopes, granted_at
		FROM oidc_consents WHERE account_id = $1 AND client_id = $2`, accountID, clientID)
}

// OIDCConsents implements store.OIDC.
func (s *Store) OIDCConsents(ctx context.Context, accountID string) ([]store.OIDCConsent, error) {
	rows, err := s.pool.Query(ctx, `SELECT account_id, client_id, scopes, granted_at
		FROM oidc_consents WHERE account_id = $1 ORDER BY client_id`, accountID)
	if err != nil {
		return nil, wrapErr("oidc consents", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.OIDCConsent, error) { return scanOIDCConsent(row) })
	return cs, wrapErr("oidc consents", err)
}

// DeleteOIDCConsent implements store.OIDC.
func (s *Store) DeleteOIDCConsent(ctx context.Context, accountID, clientID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM oidc_consents WHERE account_id = $1 AND client_id = $2`, accountID, clientID)
	if err != nil {
		return wrapErr("delete oidc consent", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("delete oidc consent", store.ErrNotFound)
	}
	return nil
}

// AddOIDCKey implements store.OIDC. ON CONFLICT DO NOTHING waits for a
// concurrent inserter of the same id, so the read that follows sees the
// winner's key.
func (s *Store) AddOIDCKey(ctx context.Context, k store.OIDCKey) (store.OIDCKey, error) {
	if k.ID == "" || len(k.PrivateJWK) == 0 {
		return store.OIDCKey{}, errors.New("postgres: add oidc key: id and key are required")
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO oidc_keys (`+oidcKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO NOTHING`, k.ID, k.Algorithm, k.PrivateJWK, k.CreatedAt.UTC(), k.SignUntil.UTC(), k.PublishUntil.UTC()); err != nil {
		return store.OIDCKey{}, wrapErr("add oidc key", err)
	}
	return oidcOne(ctx, s, "add oidc key", scanOIDCKey, `SELECT `+oidcKeyCols+` FROM oidc_keys WHERE id = $1`, k.ID)
}

// OIDCKeys implements store.OIDC.
func (s *Store) OIDCKeys(ctx context.Context) ([]store.OIDCKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+oidcKeyCols+` FROM oidc_keys WHERE publish_until > $1
		ORDER BY created_at DESC, id DESC`, time.Now().UTC())
	if err != nil {
		return nil, wrapErr("oidc keys", err)
	}
	ks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.OIDCKey, error) { return scanOIDCKey(row) })
	return ks, wrapErr("oidc keys", err)
}

// PurgeOIDC implements store.OIDC.
func (s *Store) PurgeOIDC(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM oidc_auth_requests WHERE expires_at <= $1`,
		`DELETE FROM oidc_tokens WHERE expires_at <= $1`,
		`DELETE FROM oidc_keys WHERE publish_until <= $1`,
	} {
		tag, err := s.pool.Exec(ctx, q, before.UTC())
		if err != nil {
			return total, wrapErr("purge oidc", err)
		}
		total += tag.RowsAffected()
	}
	return total, nil
}

// oidcQuerier is what a write of the provider's runs its one statement on:
// the pool, or a batch that turned the commit's wait off first.
type oidcQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// oidcWrite runs fn, whose one statement is its own transaction. When ctx
// is marked store.WithoutSync, the statement goes after set_config(
// 'synchronous_commit', 'off', true) in one batch, which pgx sends in one
// round trip and the server runs as one implicit transaction: the commit
// is at once visible to every process but does not wait for the WAL flush
// (the WAL writer flushes it within wal_writer_delay, and any later
// synchronous commit flushes the WAL up to itself, this commit included).
// A crash of the server in between can lose it, never half of it.
func (s *Store) oidcWrite(ctx context.Context, fn func(q oidcQuerier) error) error {
	if !store.SyncSkipped(ctx) {
		return fn(s.pool)
	}
	return fn(unsyncedQuerier{s.pool})
}

// unsyncedQuerier runs each statement in its own batch after turning the
// commit's wait off.
type unsyncedQuerier struct{ pool *pgxpool.Pool }

func (u unsyncedQuerier) send(ctx context.Context, sql string, args []any) pgx.BatchResults {
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('synchronous_commit', 'off', true)`)
	b.Queue(sql, args...)
	br := u.pool.SendBatch(ctx, b)
	return br
}

func (u unsyncedQuerier) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br := u.send(ctx, sql, args)
	_, err := br.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (u unsyncedQuerier) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return unsyncedRow{u, ctx, sql, args}
}

// unsyncedRow sends its batch when scanned, as pgx's rows do.
type unsyncedRow struct {
	u    unsyncedQuerier
	ctx  context.Context
	sql  string
	args []any
}

func (r unsyncedRow) Scan(dest ...any) error {
	br := r.u.send(r.ctx, r.sql, r.args)
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(dest...)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

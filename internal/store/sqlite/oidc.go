package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// The OpenID Connect provider's state. Reads go to the read pool, writes
// through the single writer, each as one short transaction; expiry is judged
// by this process's clock.
const (
	oidcReqCols   = `id, client_id, COALESCE(code_hash, ''), code_used, data, created_at, expires_at`
	oidcTokenCols = `id, kind, grant_id, client_id, account_id, COALESCE(refresh_hash, ''), data, created_at, expires_at, used, revoked`
	oidcKeyCols   = `id, algorithm, private_jwk, created_at, sign_until, publish_until`
)

func scanOIDCRequest(sc scanner) (store.OIDCAuthRequest, error) {
	var r store.OIDCAuthRequest
	var created, expires int64
	err := sc.Scan(&r.ID, &r.ClientID, &r.CodeHash, &r.CodeUsed, &r.Data, &created, &expires)
	r.CreatedAt, r.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	return r, err
}

func scanOIDCToken(sc scanner) (store.OIDCToken, error) {
	var t store.OIDCToken
	var created, expires int64
	err := sc.Scan(&t.ID, &t.Kind, &t.GrantID, &t.ClientID, &t.AccountID, &t.RefreshHash, &t.Data,
		&created, &expires, &t.Used, &t.Revoked)
	t.CreatedAt, t.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	return t, err
}

func scanOIDCConsent(sc scanner) (store.OIDCConsent, error) {
	var c store.OIDCConsent
	var scopes string
	var at int64
	err := sc.Scan(&c.AccountID, &c.ClientID, &scopes, &at)
	c.Scopes = strings.Fields(scopes)
	c.GrantedAt = time.Unix(0, at).UTC()
	return c, err
}

func scanOIDCKey(sc scanner) (store.OIDCKey, error) {
	var k store.OIDCKey
	var created, sign, publish int64
	err := sc.Scan(&k.ID, &k.Algorithm, &k.PrivateJWK, &created, &sign, &publish)
	k.CreatedAt, k.SignUntil, k.PublishUntil = time.Unix(0, created).UTC(), time.Unix(0, sign).UTC(), time.Unix(0, publish).UTC()
	return k, err
}

func oidcErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// PutOIDCAuthRequest implements store.OIDC.
func (s *Store) PutOIDCAuthRequest(ctx context.Context, r store.OIDCAuthRequest) error {
	if r.ID == "" || r.ClientID == "" {
		return errors.New("sqlite: put oidc auth request: id and client id are required")
	}
	created, expires, err := nanosPair(r.CreatedAt, r.ExpiresAt)
	if err != nil {
		return oidcErr("put oidc auth request", err)
	}
	return oidcErr("put oidc auth request", inOIDCWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_auth_requests (id, client_id, code_hash, data, created_at, expires_at)
			VALUES (?, ?, NULLIF(?, ''), ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
			r.ID, r.ClientID, r.CodeHash, r.Data, created, expires)
		if isUniqueViolation(err) {
			return store.ErrExists
		}
		return err
	}))
}

// OIDCAuthRequest implements store.OIDC.
func (s *Store) OIDCAuthRequest(ctx context.Context, id string) (store.OIDCAuthRequest, error) {
	return queryOne(ctx, s, "oidc auth request", scanOIDCRequest,
		`SELECT `+oidcReqCols+` FROM oidc_auth_requests WHERE id = ? AND expires_at > ?`, id, time.Now().UnixNano())
}

// SetOIDCAuthCode implements store.OIDC.
func (s *Store) SetOIDCAuthCode(ctx context.Context, id, codeHash string, data []byte) error {
	if codeHash == "" {
		return errors.New("sqlite: set oidc auth code: empty code hash")
	}
	return oidcErr("set oidc auth code", inOIDCWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		var has sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT code_hash FROM oidc_auth_requests WHERE id = ? AND expires_at > ?`,
			id, time.Now().UnixNano()).Scan(&has)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if has.Valid {
			return store.ErrExists
		}
		if data != nil {
			_, err = tx.ExecContext(ctx, `UPDATE oidc_auth_requests SET code_hash = ?, data = ? WHERE id = ?`, codeHash, data, id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE oidc_auth_requests SET code_hash = ? WHERE id = ?`, codeHash, id)
		}
		if isUniqueViolation(err) {
			return store.ErrExists
		}
		return err
	}))
}

// UseOIDCAuthCode implements store.OIDC. The single writer serialises the
// read and the update, so exactly one caller sees the code unused.
func (s *Store) UseOIDCAuthCode(ctx context.Context, codeHash string) (store.OIDCAuthRequest, error) {
	var r store.OIDCAuthRequest
	err := inOIDCWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		var err error
		r, err = scanOIDCRequest(tx.QueryRowContext(ctx, `SELECT `+oidcReqCols+` FROM oidc_auth_requests
			WHERE code_hash = ? AND expires_at > ?`, codeHash, time.Now().UnixNano()))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if r.CodeUsed {
			return store.ErrConflict
		}
		_, err = tx.ExecContext(ctx, `UPDATE oidc_auth_requests SET code_used = 1 WHERE id = ?`, r.ID)
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return r, oidcErr("use oidc auth code", err)
	}
	if err != nil {
		return store.OIDCAuthRequest{}, oidcErr("use oidc auth code", err)
	}
	r.CodeUsed = true
	return r, nil
}

// PutOIDCToken implements store.OIDC.
func (s *Store) PutOIDCToken(ctx context.Context, t store.OIDCToken) error {
	if t.ID == "" || t.GrantID == "" || t.ClientID == "" || (t.Kind != store.OIDCAccessToken && t.Kind != store.OIDCRefreshToken) {
		return errors.New("sqlite: put oidc token: id, kind, grant id and client id are required")
	}
	created, expires, err := nanosPair(t.CreatedAt, t.ExpiresAt)
	if err != nil {
		return oidcErr("put oidc token", err)
	}
	var refresh any
	if t.RefreshHash != "" {
		refresh = t.RefreshHash
	}
	return oidcErr("put oidc token", inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_tokens (id, kind, grant_id, client_id, account_id,
			refresh_hash, data, created_at, expires_at, used, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Kind, t.GrantID, t.ClientID, t.AccountID, refresh, t.Data, created, expires, t.Used, t.Revoked)
		if isUniqueViolation(err) {
			return store.ErrExists
		}
		return err
	}))
}

// OIDCToken implements store.OIDC.
func (s *Store) OIDCToken(ctx context.Context, id string) (store.OIDCToken, error) {
	return queryOne(ctx, s, "oidc token", scanOIDCToken,
		`SELECT `+oidcTokenCols+` FROM oidc_tokens WHERE id = ? AND expires_at > ?`, id, time.Now().UnixNano())
}

// OIDCTokenByRefresh implements store.OIDC.
func (s *Store) OIDCTokenByRefresh(ctx context.Context, refreshHash string) (store.OIDCToken, error) {
	return queryOne(ctx, s, "oidc refresh token", scanOIDCToken,
		`SELECT `+oidcTokenCols+` FROM oidc_tokens WHERE refresh_hash = ? AND expires_at > ?`, refreshHash, time.Now().UnixNano())
}

// UseOIDCRefreshToken implements store.OIDC.
func (s *Store) UseOIDCRefreshToken(ctx context.Context, refreshHash string) error {
	return oidcErr("use oidc refresh token", inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE oidc_tokens SET used = 1
			WHERE refresh_hash = ? AND used = 0 AND revoked = 0 AND expires_at > ?`, refreshHash, time.Now().UnixNano())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM oidc_tokens WHERE refresh_hash = ? AND expires_at > ?`,
			refreshHash, time.Now().UnixNano()).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return store.ErrConflict
	}))
}

// RevokeOIDCTokens implements store.OIDC.
func (s *Store) RevokeOIDCTokens(ctx context.Context, q store.OIDCTokenQuery) (int64, error) {
	where, args := oidcTokenWhere(q, func(int) string { return "?" })
	if where == "" {
		return 0, errors.New("sqlite: revoke oidc tokens: empty selection")
	}
	var n int64
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE oidc_tokens SET revoked = 1 WHERE revoked = 0 AND `+where, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, oidcErr("revoke oidc tokens", err)
}

// oidcTokenWhere builds the conjunction of q's set fields; ph gives the
// placeholder for the nth argument. Shared in shape with the PostgreSQL
// backend, which numbers its placeholders.
func oidcTokenWhere(q store.OIDCTokenQuery, ph func(n int) string) (string, []any) {
	var conds []string
	var args []any
	for _, c := range []struct{ col, v string }{
		{"id", q.ID}, {"grant_id", q.GrantID}, {"client_id", q.ClientID}, {"account_id", q.AccountID},
	} {
		if c.v != "" {
			args = append(args, c.v)
			conds = append(conds, c.col+" = "+ph(len(args)))
		}
	}
	return strings.Join(conds, " AND "), args
}

// PutOIDCConsent implements store.OIDC.
func (s *Store) PutOIDCConsent(ctx context.Context, c store.OIDCConsent) error {
	if c.AccountID == "" || c.ClientID == "" {
		return errors.New("sqlite: put oidc consent: account and client are required")
	}
	at, err := timeArg(c.GrantedAt)
	if err != nil || at == nil {
		return errors.New("sqlite: put oidc consent: grant time out of range")
	}
	return oidcErr("put oidc consent", inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_consents (account_id, client_id, scopes, granted_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes,
			granted_at = excluded.granted_at`, c.AccountID, c.ClientID, strings.Join(c.Scopes, " "), at)
		return err
	}))
}

// OIDCConsent implements store.OIDC.
func (s *Store) OIDCConsent(ctx context.Context, accountID, clientID string) (store.OIDCConsent, error) {
	return queryOne(ctx, s, "oidc consent", scanOIDCConsent, `SELECT account_id, client_id, scopes, granted_at
		FROM oidc_consents WHERE account_id = ? AND client_id = ?`, accountID, clientID)
}

// OIDCConsents implements store.OIDC.
func (s *Store) OIDCConsents(ctx context.Context, accountID string) ([]store.OIDCConsent, error) {
	return queryAll(ctx, s, "oidc consents", scanOIDCConsent, `SELECT account_id, client_id, scopes, granted_at
		FROM oidc_consents WHERE account_id = ? ORDER BY client_id`, accountID)
}

// DeleteOIDCConsent implements store.OIDC.
func (s *Store) DeleteOIDCConsent(ctx context.Context, accountID, clientID string) error {
	return oidcErr("delete oidc consent", inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM oidc_consents WHERE account_id = ? AND client_id = ?`, accountID, clientID)
		if err != nil {
			return err
		}
		return mustAffect(res)
	}))
}

// AddOIDCKey implements store.OIDC.
func (s *Store) AddOIDCKey(ctx context.Context, k store.OIDCKey) (store.OIDCKey, error) {
	if k.ID == "" || len(k.PrivateJWK) == 0 {
		return store.OIDCKey{}, errors.New("sqlite: add oidc key: id and key are required")
	}
	created, sign, err := nanosPair(k.CreatedAt, k.SignUntil)
	if err != nil {
		return store.OIDCKey{}, oidcErr("add oidc key", err)
	}
	publish, err := nanos(k.PublishUntil)
	if err != nil {
		return store.OIDCKey{}, oidcErr("add oidc key", err)
	}
	var out store.OIDCKey
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_keys (`+oidcKeyCols+`) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, k.ID, k.Algorithm, k.PrivateJWK, created, sign, publish); err != nil {
			return err
		}
		var err error
		out, err = scanOIDCKey(tx.QueryRowContext(ctx, `SELECT `+oidcKeyCols+` FROM oidc_keys WHERE id = ?`, k.ID))
		return err
	})
	return out, oidcErr("add oidc key", err)
}

// OIDCKeys implements store.OIDC.
func (s *Store) OIDCKeys(ctx context.Context) ([]store.OIDCKey, error) {
	return queryAll(ctx, s, "oidc keys", scanOIDCKey, `SELECT `+oidcKeyCols+` FROM oidc_keys
		WHERE publish_until > ? ORDER BY created_at DESC, id DESC`, time.Now().UnixNano())
}

// PurgeOIDC implements store.OIDC.
func (s *Store) PurgeOIDC(ctx context.Context, before time.Time) (int64, error) {
	b, err := nanos(before)
	if err != nil {
		return 0, oidcErr("purge oidc", err)
	}
	var total int64
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		total = 0
		for _, q := range []string{
			`DELETE FROM oidc_auth_requests WHERE expires_at <= ?`,
			`DELETE FROM oidc_tokens WHERE expires_at <= ?`,
			`DELETE FROM oidc_keys WHERE publish_until <= ?`,
		} {
			res, err := tx.ExecContext(ctx, q, b)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, oidcErr("purge oidc", err)
}

func nanosPair(a, b time.Time) (int64, int64, error) {
	x, err := nanos(a)
	if err != nil {
		return 0, 0, err
	}
	y, err := nanos(b)
	return x, y, err
}

// inOIDCWriteTx runs fn in a write transaction as inWriteTx does. When ctx
// is marked store.WithoutSync the commit does not sync the WAL
// (inWriteTxUnsynced): the frames are written, and the next synced commit
// on the file, or the next checkpoint, makes them durable in order. A crash
// of the machine before then can lose this commit and nothing after it,
// never leave the file inconsistent.
func inOIDCWriteTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	if !store.SyncSkipped(ctx) {
		return inWriteTx(ctx, db, fn)
	}
	return inWriteTxUnsynced(ctx, db, fn)
}

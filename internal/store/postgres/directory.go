package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// noncePurgeBatch bounds how many expired nonces one UseNonce call deletes,
// so that the cost of a call stays flat however long the table went unswept.
const noncePurgeBatch = 100

const dirCols = `kind, id, parent, version, data, updated_at`

func scanDirRecords(rows pgx.Rows) ([]store.DirRecord, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DirRecord, error) {
		var r store.DirRecord
		err := row.Scan(&r.Kind, &r.ID, &r.Parent, &r.Version, &r.Data, &r.UpdatedAt)
		r.UpdatedAt = r.UpdatedAt.UTC()
		return r, err
	})
}

// DirRecord implements store.Directory.
func (s *Store) DirRecord(ctx context.Context, kind, id string) (store.DirRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+dirCols+` FROM directory WHERE kind = $1 AND id = $2`, kind, id)
	if err != nil {
		return store.DirRecord{}, wrapErr("directory record", err)
	}
	rs, err := scanDirRecords(rows)
	if err != nil {
		return store.DirRecord{}, wrapErr("directory record", err)
	}
	if len(rs) == 0 {
		return store.DirRecord{}, sentinel("directory record", store.ErrNotFound)
	}
	return rs[0], nil
}

// DirRecords implements store.Directory.
func (s *Store) DirRecords(ctx context.Context, kind, parent string) ([]store.DirRecord, error) {
	var rows pgx.Rows
	var err error
	if parent == "" {
		rows, err = s.pool.Query(ctx, `SELECT `+dirCols+` FROM directory WHERE kind = $1 ORDER BY id`, kind)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+dirCols+` FROM directory
			WHERE kind = $1 AND parent = $2 ORDER BY id`, kind, parent)
	}
	if err != nil {
		return nil, wrapErr("directory records", err)
	}
	rs, err := scanDirRecords(rows)
	return rs, wrapErr("directory records", err)
}

// PutDirRecord implements store.Directory. A create relies on the primary key
// (ON CONFLICT DO NOTHING waits for a concurrent creator and then reports no
// row); a replace is an update guarded by the previous version, which under
// READ COMMITTED re-checks the guard on the latest row after waiting for a
// concurrent writer, so only one of two writers of the same version wins.
func (s *Store) PutDirRecord(ctx context.Context, r store.DirRecord) error {
	if r.Kind == "" || r.ID == "" || r.Version < 1 {
		return errors.New("postgres: put directory record: kind, id and a version of at least 1 are required")
	}
	now := time.Now().UTC()
	if r.Version == 1 {
		tag, err := s.pool.Exec(ctx, `INSERT INTO directory (kind, id, parent, version, data, updated_at)
			VALUES ($1, $2, $3, 1, $4, $5) ON CONFLICT (kind, id) DO NOTHING`, r.Kind, r.ID, r.Parent, r.Data, now)
		if err != nil {
			return wrapErr("put directory record", err)
		}
		if tag.RowsAffected() == 0 {
			return sentinel("put directory record", store.ErrExists)
		}
		return nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE directory SET parent = $1, version = $2, data = $3, updated_at = $4
		WHERE kind = $5 AND id = $6 AND version = $7`, r.Parent, r.Version, r.Data, now, r.Kind, r.ID, r.Version-1)
	if err != nil {
		return wrapErr("put directory record", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("put directory record", store.ErrConflict)
	}
	return nil
}

// UseNonce implements store.Directory. The upsert takes over a row whose time
// has passed and leaves a live one alone, and whether a row changed tells
// which. Two processes inserting the same value at once meet on the primary
// key: the second waits for the first to commit, then finds a live row and
// changes nothing. Expiry is judged by the caller's clock, the clock that
// computed expires.
func (s *Store) UseNonce(ctx context.Context, scope, value string, expires time.Time) error {
	now := time.Now().UTC()
	if _, err := s.pool.Exec(ctx, `DELETE FROM nonces WHERE (scope, value) IN
		(SELECT scope, value FROM nonces WHERE expires <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		now, noncePurgeBatch); err != nil {
		return wrapErr("use nonce: purge", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO nonces (scope, value, expires) VALUES ($1, $2, $3)
		ON CONFLICT (scope, value) DO UPDATE SET expires = excluded.expires WHERE nonces.expires <= $4`,
		scope, value, expires.UTC(), now)
	if err != nil {
		return wrapErr("use nonce", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("use nonce", store.ErrExists)
	}
	return nil
}

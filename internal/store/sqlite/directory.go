package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Directory reads go to the read pool; writes go through the single writer,
// each as one short transaction.
const (
	dirCols      = `kind, id, parent, version, data, updated_at`
	qDirRecord   = `SELECT ` + dirCols + ` FROM directory WHERE kind = ? AND id = ?`
	qDirRecords  = `SELECT ` + dirCols + ` FROM directory WHERE kind = ? ORDER BY id`
	qDirChildren = `SELECT ` + dirCols + ` FROM directory WHERE kind = ? AND parent = ? ORDER BY id`
)

// noncePurgeBatch bounds how many expired nonces one UseNonce call deletes,
// so that the cost of a call stays flat however long the table went unswept.
const noncePurgeBatch = 100

func scanDirRecord(sc scanner) (store.DirRecord, error) {
	var r store.DirRecord
	var at sql.NullInt64
	err := sc.Scan(&r.Kind, &r.ID, &r.Parent, &r.Version, &r.Data, &at)
	r.UpdatedAt = timeFromNull(at)
	return r, err
}

// DirRecord implements store.Directory.
func (s *Store) DirRecord(ctx context.Context, kind, id string) (store.DirRecord, error) {
	return queryOne(ctx, s, "directory record", scanDirRecord, qDirRecord, kind, id)
}

// DirRecords implements store.Directory.
func (s *Store) DirRecords(ctx context.Context, kind, parent string) ([]store.DirRecord, error) {
	if parent == "" {
		return queryAll(ctx, s, "directory records", scanDirRecord, qDirRecords, kind)
	}
	return queryAll(ctx, s, "directory records", scanDirRecord, qDirChildren, kind, parent)
}

// PutDirRecord implements store.Directory. A create is an insert that the
// primary key refuses when the id is taken; a replace is an update guarded by
// the previous version, so that of two writers who read the same version
// only the first succeeds.
func (s *Store) PutDirRecord(ctx context.Context, r store.DirRecord) error {
	if r.Kind == "" || r.ID == "" || r.Version < 1 {
		return errors.New("sqlite: put directory record: kind, id and a version of at least 1 are required")
	}
	now, err := timeArg(time.Now())
	if err != nil {
		return fmt.Errorf("sqlite: put directory record: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		if r.Version == 1 {
			_, err := tx.ExecContext(ctx, `INSERT INTO directory (kind, id, parent, version, data, updated_at)
				VALUES (?, ?, ?, 1, ?, ?)`, r.Kind, r.ID, r.Parent, r.Data, now)
			if isUniqueViolation(err) {
				return store.ErrExists
			}
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE directory SET parent = ?, version = ?, data = ?, updated_at = ?
			WHERE kind = ? AND id = ? AND version = ?`, r.Parent, r.Version, r.Data, now, r.Kind, r.ID, r.Version-1)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrConflict
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: put directory record: %w", err)
	}
	return nil
}

// UseNonce implements store.Directory. The insert takes over a row whose time
// has passed and leaves a live one alone; whether a row changed tells which.
// Every database writer goes through the file lock, so two processes using
// the same value at once are serialised and exactly one succeeds. Expiry is
// judged by this process's clock, the same clock that computed expires.
func (s *Store) UseNonce(ctx context.Context, scope, value string, expires time.Time) error {
	nowT := time.Now()
	now, err := timeArg(nowT)
	if err != nil {
		return fmt.Errorf("sqlite: use nonce: %w", err)
	}
	exp, err := timeArg(expires)
	if err != nil || exp == nil {
		return errors.New("sqlite: use nonce: expiry time out of range")
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM nonces WHERE (scope, value) IN
			(SELECT scope, value FROM nonces WHERE expires <= ? LIMIT ?)`, now, noncePurgeBatch); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO nonces (scope, value, expires) VALUES (?, ?, ?)
			ON CONFLICT (scope, value) DO UPDATE SET expires = excluded.expires WHERE nonces.expires <= ?`,
			scope, value, exp, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrExists
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: use nonce: %w", err)
	}
	return nil
}

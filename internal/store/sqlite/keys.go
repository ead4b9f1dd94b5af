package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// DataKeys implements store.DataKeys.
func (s *Store) DataKeys(ctx context.Context) ([]store.DataKey, error) {
	return queryAll(ctx, s, "data keys", func(sc scanner) (store.DataKey, error) {
		var k store.DataKey
		var created int64
		err := sc.Scan(&k.ID, &k.Purpose, &k.KEKID, &k.Wrapped, &created)
		k.CreatedAt = time.Unix(created, 0).UTC()
		return k, err
	}, `SELECT id, purpose, kek_id, wrapped, created_at FROM data_keys ORDER BY id`)
}

// AddDataKey implements store.DataKeys.
func (s *Store) AddDataKey(ctx context.Context, k store.DataKey) error {
	err := retry(ctx, func() error {
		_, err := s.w.ExecContext(ctx, `INSERT INTO data_keys (id, purpose, kek_id, wrapped, created_at)
			VALUES (?, ?, ?, ?, ?)`, k.ID, k.Purpose, k.KEKID, k.Wrapped, k.CreatedAt.Unix())
		return err
	}, isBusy)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: add data key: %w", store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("sqlite: add data key: %w", err)
	}
	return nil
}

// RewrapDataKey implements store.DataKeys.
func (s *Store) RewrapDataKey(ctx context.Context, oldKEK string, k store.DataKey) error {
	n, err := s.execAffected(ctx, `UPDATE data_keys SET kek_id = ?, wrapped = ?
		WHERE id = ? AND kek_id = ?`, k.KEKID, k.Wrapped, k.ID, oldKEK)
	if err != nil {
		return fmt.Errorf("sqlite: rewrap data key: %w", err)
	}
	if n == 1 {
		return nil
	}
	var exists bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM data_keys WHERE id = ?)`, k.ID).Scan(&exists); err != nil {
		return fmt.Errorf("sqlite: rewrap data key: %w", err)
	}
	if !exists {
		return fmt.Errorf("sqlite: rewrap data key: %w", store.ErrNotFound)
	}
	return fmt.Errorf("sqlite: rewrap data key: %w", store.ErrConflict)
}

// execAffected runs one statement on the writer, retried while another
// process holds the write lock, and returns the rows it changed.
func (s *Store) execAffected(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := retry(ctx, func() error {
		res, err := s.w.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	}, isBusy)
	return n, err
}

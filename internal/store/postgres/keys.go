package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// DataKeys implements store.DataKeys.
func (s *Store) DataKeys(ctx context.Context) ([]store.DataKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, purpose, kek_id, wrapped, created_at FROM data_keys ORDER BY id`)
	if err != nil {
		return nil, wrapErr("data keys", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.DataKey, error) {
		var k store.DataKey
		err := r.Scan(&k.ID, &k.Purpose, &k.KEKID, &k.Wrapped, &k.CreatedAt)
		k.CreatedAt = k.CreatedAt.UTC()
		return k, err
	})
	return keys, wrapErr("data keys", err)
}

// AddDataKey implements store.DataKeys.
func (s *Store) AddDataKey(ctx context.Context, k store.DataKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO data_keys (id, purpose, kek_id, wrapped, created_at)
		VALUES ($1, $2, $3, $4, $5)`, k.ID, k.Purpose, k.KEKID, k.Wrapped, k.CreatedAt.UTC().Truncate(1e9))
	if sqlState(err) == codeUniqueViolation {
		return sentinel("add data key", store.ErrExists)
	}
	return wrapErr("add data key", err)
}

// RewrapDataKey implements store.DataKeys.
func (s *Store) RewrapDataKey(ctx context.Context, oldKEK string, k store.DataKey) error {
	tag, err := s.pool.Exec(ctx, `UPDATE data_keys SET kek_id = $1, wrapped = $2 WHERE id = $3 AND kek_id = $4`,
		k.KEKID, k.Wrapped, k.ID, oldKEK)
	if err != nil {
		return wrapErr("rewrap data key", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM data_keys WHERE id = $1)`, k.ID).Scan(&exists); err != nil {
		return wrapErr("rewrap data key", err)
	}
	if !exists {
		return sentinel("rewrap data key", store.ErrNotFound)
	}
	return sentinel("rewrap data key", store.ErrConflict)
}

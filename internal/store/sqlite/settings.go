package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/dancu/dancu/internal/store"
)

// Setting returns the value stored under key, or store.ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	return queryOne(ctx, s, "setting", func(sc scanner) (string, error) {
		var v string
		err := sc.Scan(&v)
		return v, err
	}, qSetting, key)
}

// SetSettingIfAbsent stores value under key unless one is there, and returns
// the stored value. The insert and the read share one write transaction, so
// of several processes racing to set a key, all read the first one's value.
func (s *Store) SetSettingIfAbsent(ctx context.Context, key, value string) (string, error) {
	var stored string
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, s.ws.insSettingIfAbsent).ExecContext(ctx, key, value); err != nil {
			return err
		}
		return tx.StmtContext(ctx, s.ws.setting).QueryRowContext(ctx, key).Scan(&stored)
	})
	if errors.Is(err, sql.ErrNoRows) {
		// Not possible after the insert; reported rather than hidden.
		err = store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: set setting if absent: %w", err)
	}
	return stored, nil
}

// PutSetting stores value under key, replacing any earlier value.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	err := retry(ctx, func() error {
		_, err := s.ws.putSetting.ExecContext(ctx, key, value)
		return err
	}, isBusy)
	if err != nil {
		return fmt.Errorf("sqlite: put setting: %w", err)
	}
	return nil
}

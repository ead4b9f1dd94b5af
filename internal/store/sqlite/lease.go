package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// TryLease implements store.Leases. Every process sharing a SQLite file is
// on one machine, so the machine's clock decides expiry.
func (s *Store) TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := time.Now()
	var got string
	err := retry(ctx, func() error {
		return s.w.QueryRowContext(ctx, `INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
			WHERE leases.holder = excluded.holder OR leases.expires < ?
			RETURNING holder`, name, holder, now.Add(ttl).UnixMilli(), now.UnixMilli()).Scan(&got)
	}, isBusy)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // held by another, not expired: the update did nothing
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: try lease: %w", err)
	}
	return got == holder, nil
}

// ReleaseLease implements store.Leases.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	err := retry(ctx, func() error {
		_, err := s.w.ExecContext(ctx, "DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)
		return err
	}, isBusy)
	if err != nil {
		return fmt.Errorf("sqlite: release lease: %w", err)
	}
	return nil
}

// LeaseHolder implements store.Leases.
func (s *Store) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	var holder string
	var expires int64
	err := s.r.QueryRowContext(ctx, "SELECT holder, expires FROM leases WHERE name = ? AND expires >= ?",
		name, time.Now().UnixMilli()).Scan(&holder, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, fmt.Errorf("sqlite: lease %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sqlite: lease holder: %w", err)
	}
	return holder, time.UnixMilli(expires).UTC(), nil
}

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

// Heartbeat implements store.Leases: one short write transaction that
// forgets the group's expired members, renews holder and counts the rest.
func (s *Store) Heartbeat(ctx context.Context, group, holder string, ttl time.Duration) (int, error) {
	from, to := memberRange(group)
	var live int
	err := retry(ctx, func() error {
		now := time.Now().UnixMilli()
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE name >= ? AND name < ? AND expires < ?`, from, to, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires`,
			store.MemberLease(group, holder), holder, now+ttl.Milliseconds()); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM leases WHERE name >= ? AND name < ?`, from, to).Scan(&live); err != nil {
			return err
		}
		return tx.Commit()
	}, isBusy)
	if err != nil {
		return 0, fmt.Errorf("sqlite: heartbeat: %w", err)
	}
	return live, nil
}

// memberRange is the range of lease names of group's members: every name
// that starts with group + "/" sorts at or after from and before to ("0"
// follows "/" in ASCII), so the primary key's index finds them.
func memberRange(group string) (from, to string) {
	return store.MemberLease(group, ""), group + "0"
}

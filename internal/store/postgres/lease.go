package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// TryLease implements store.Leases. The server's clock decides expiry, so
// the processes' clocks need not agree.
func (s *Store) TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	var got string
	err := s.pool.QueryRow(ctx, `INSERT INTO leases (name, holder, expires)
		VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
		WHERE leases.holder = excluded.holder OR leases.expires < clock_timestamp()
		RETURNING holder`, name, holder, ttl.Milliseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // held by another, not expired
	}
	if err != nil {
		return false, wrapErr("try lease", err)
	}
	return got == holder, nil
}

// ReleaseLease implements store.Leases.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder)
	return wrapErr("release lease", err)
}

// LeaseHolder implements store.Leases.
func (s *Store) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	var holder string
	var expires time.Time
	err := s.pool.QueryRow(ctx, "SELECT holder, expires FROM leases WHERE name = $1 AND expires >= clock_timestamp()", name).Scan(&holder, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, sentinel("lease "+name, store.ErrNotFound)
	}
	if err != nil {
		return "", time.Time{}, wrapErr("lease holder", err)
	}
	return holder, expires.UTC(), nil
}

// Heartbeat implements store.Leases in one statement. Its parts see the
// table as it was before the statement, so the count leaves out the
// expired members the DELETE removes, and holder, whom the INSERT adds.
func (s *Store) Heartbeat(ctx context.Context, group, holder string, ttl time.Duration) (int, error) {
	var live int
	err := s.pool.QueryRow(ctx, `WITH gone AS (
			DELETE FROM leases WHERE name >= $1 AND name < $2 AND expires < clock_timestamp()
		), me AS (
			INSERT INTO leases (name, holder, expires) VALUES ($3, $4, clock_timestamp() + $5 * interval '1 millisecond')
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
			RETURNING 1
		)
		SELECT 1 + count(*) FROM leases
		WHERE name >= $1 AND name < $2 AND name <> $3 AND expires >= clock_timestamp()`,
		store.MemberLease(group, ""), group+"0", store.MemberLease(group, holder), holder, ttl.Milliseconds()).Scan(&live)
	if err != nil {
		return 0, wrapErr("heartbeat", err)
	}
	return live, nil
}

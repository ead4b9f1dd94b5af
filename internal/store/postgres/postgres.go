package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dancu/dancu/internal/store"
)

// Advisory lock keys; see "Advisory lock keys" in the package documentation.
const (
	lockKeyBase    int64 = 0x64616e6375 << 24 // "dancu"
	migrateLockKey       = lockKeyBase + 1
	seqLockKey           = lockKeyBase + 2
	loaderLockKey        = lockKeyBase + 3
)

// Store is the PostgreSQL implementation of store.Store. It is safe for
// concurrent use, and several processes may share one database.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or a libpq
// keyword/value string), applies any pending migrations, and rebuilds
// secondary indexes that an interrupted bulk load left missing.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error can quote the DSN, password included.
		return nil, errors.New("postgres: open: invalid DSN")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapErr("open", err)
	}
	s := &Store{pool: pool}
	if err := s.pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, wrapErr("open: ping", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.repairIndexes(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return wrapErr("ping", s.pool.Ping(ctx))
}

// Close closes the pool's connections, waiting for those in use to come
// back. Committed writes are already durable in PostgreSQL, so nothing is
// lost. A loader has a connection of its own and must be closed by itself; if
// the process exits first, the next Open rebuilds its deferred indexes.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// wrapErr gives err the operation's name. Database errors become *dbError so
// that their text carries no personal data, and an outage is marked with
// store.ErrUnavailable (markUnavailable).
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return markUnavailable(&dbError{op: op, pg: pe})
	}
	return markUnavailable(fmt.Errorf("postgres: %s: %w", op, err))
}

package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/dancu/dancu/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations returns the embedded migrations in version order.
func loadMigrations() ([]store.Migration, error) {
	return store.ReadMigrations(migrationFiles, "migrations")
}

// migrate applies the embedded migrations that the database has not recorded.
// It holds a session advisory lock on one connection throughout, so that
// processes starting together wait for the first one instead of racing it;
// the lock goes away with the connection if the process dies.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return wrapErr("migrate: acquire", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return wrapErr("migrate: lock", err)
	}
	defer func() {
		// A failed unlock (the connection broke) leaves nothing held: the
		// server drops session locks with the session.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	var readOnly bool
	if err := conn.QueryRow(ctx, `SELECT current_setting('transaction_read_only') = 'on'`).Scan(&readOnly); err != nil {
		return wrapErr("migrate: read-only?", err)
	}
	if readOnly {
		return checkCurrent(ctx, conn.Conn(), ms)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return wrapErr("migrate: create schema_migrations", err)
	}
	applied := make(map[int]bool)
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return wrapErr("migrate: list", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return wrapErr("migrate: list", err)
	}
	for _, v := range versions {
		applied[int(v)] = true
	}
	// A database migrated by a newer binary may hold versions this one does not
	// know; forward-only migrations keep old code working, so that is not an
	// error.
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// No arguments: pgx sends the file with the simple protocol, which
			// runs several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return wrapErr(fmt.Sprintf("migrate: apply %04d_%s", m.Version, m.Name), err)
		}
	}
	return nil
}

// ErrReadOnlySchema is returned by Open for a read-only database (a hot
// standby, default_transaction_read_only) whose schema lacks migrations this
// release needs: they can only be applied on the primary.
var ErrReadOnlySchema = errors.New("the database is read-only and its schema is not current")

// checkCurrent lets a process open a read-only database (a hot standby, or
// one set default_transaction_read_only) without migrating, if every
// migration it knows is applied already; its writes then fail as the
// storage being unavailable. Otherwise the error names what is missing.
func checkCurrent(ctx context.Context, conn *pgx.Conn, ms []store.Migration) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return wrapErr("migrate: read-only database", err)
	}
	applied := map[int]bool{}
	if exists {
		rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return wrapErr("migrate: read-only database", err)
		}
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return wrapErr("migrate: read-only database", err)
		}
		for _, v := range versions {
			applied[int(v)] = true
		}
	}
	var missing []string
	for _, m := range ms {
		if !applied[m.Version] {
			missing = append(missing, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(missing) > 3 {
		missing = append(missing[:3], fmt.Sprintf("and %d more", len(missing)-3))
	}
	return fmt.Errorf("postgres: %w: migrations %s are not applied; start dancu once against the primary (a writable database) to apply them",
		ErrReadOnlySchema, strings.Join(missing, ", "))
}

// ReadOnly reports whether the database takes no writes (a hot standby, or
// default_transaction_read_only): a store opened on one serves reads only,
// and every write fails with store.ErrUnavailable.
func (s *Store) ReadOnly(ctx context.Context) (bool, error) {
	var ro bool
	err := s.pool.QueryRow(ctx, `SELECT current_setting('transaction_read_only') = 'on'`).Scan(&ro)
	return ro, wrapErr("read-only?", err)
}

package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// migrationFiles holds the schemas, one forward-only file per change, named
// NNNN_name.sql: migrations/ for the registry's file and access_migrations/
// for the access log's own file (accessfile.go).
//
//go:embed migrations/*.sql access_migrations/*.sql
var migrationFiles embed.FS

// schema is one file's set of migrations.
type schema string

const (
	registrySchema schema = "migrations"
	accessSchema   schema = "access_migrations"
)

// migrations returns the schema's migrations in version order.
func (sc schema) migrations() ([]store.Migration, error) {
	return store.ReadMigrations(migrationFiles, string(sc))
}

// migrate applies every migration of the schema not yet recorded in the
// file's schema_migrations, each in its own write transaction. The
// transactions start with BEGIN IMMEDIATE, and each checks again whether its
// migration is already recorded, so several processes opening one file at
// once apply each migration exactly once between them.
func migrate(ctx context.Context, db *sql.DB, sc schema) error {
	ms, err := sc.migrations()
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at TEXT    NOT NULL
	) STRICT`)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	var newest int
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&newest); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if len(ms) > 0 && newest > ms[len(ms)-1].Version {
		// Migrations only go forward: an older program must not write to a
		// schema it does not know.
		return fmt.Errorf("sqlite: migrate: database schema version %d is newer than this program's %d", newest, ms[len(ms)-1].Version)
	}
	applied := map[int]bool{}
	rows, err := db.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	// Each migration not yet applied is applied, whatever its number:
	// areas developed in parallel hold reserved numbers and may land out
	// of order, so a lower number can arrive after a higher one.
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		err := inWriteTx(ctx, db, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, time.Now().UTC().Format(time.RFC3339Nano))
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// inWriteTx runs fn in one transaction on the writer and commits it, trying
// again a few times if another process held the write lock for longer than
// the busy timeout.
func inWriteTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	return retry(ctx, func() error { return runTx(ctx, db, fn) }, isBusy)
}

// inWriteTxUnsynced is inWriteTx with synchronous=NORMAL for the one
// transaction: in WAL mode its commit writes the WAL without syncing it.
// Only for writes that may be lost together with a crash and that a later
// synced commit on the same file makes durable. The connection goes back to
// the pool with synchronous=FULL, or not at all.
func inWriteTxUnsynced(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return err
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); err != nil {
			// A writer that does not sync must not commit an append:
			// discard the connection; the pool opens a new one (FULL, from
			// the DSN).
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return retry(ctx, func() error { return runTx(ctx, conn, fn) }, isBusy)
}

// runTx runs fn in one transaction begun on b (a pool or a held
// connection) and commits it, or rolls it back if fn fails.
func runTx(ctx context.Context, b interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(tx *sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// rebuildDeferredIndexes builds the indexes a bulk load dropped and did not
// get to build again (the process died during the load). Each index is built
// and struck off the list in one transaction, so a crash here too leaves the
// list right.
func rebuildDeferredIndexes(ctx context.Context, db *sql.DB) error {
	var exists int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'deferred_indexes'").Scan(&exists)
	if err != nil {
		return fmt.Errorf("sqlite: rebuild indexes: %w", err)
	}
	if exists == 0 {
		return nil
	}
	type index struct{ name, sql string }
	var idx []index
	rows, err := db.QueryContext(ctx, "SELECT name, sql FROM deferred_indexes ORDER BY name")
	if err != nil {
		return fmt.Errorf("sqlite: rebuild indexes: %w", err)
	}
	for rows.Next() {
		var i index
		if err := rows.Scan(&i.name, &i.sql); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: rebuild indexes: %w", err)
		}
		idx = append(idx, i)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("sqlite: rebuild indexes: %w", err)
	}
	for _, i := range idx {
		err := inWriteTx(ctx, db, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?", i.name).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				// Another process may have built it meanwhile.
				if _, err := tx.ExecContext(ctx, i.sql); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, "DELETE FROM deferred_indexes WHERE name = ?", i.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: rebuild index %s: %w", i.name, err)
		}
	}
	return nil
}

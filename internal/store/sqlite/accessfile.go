package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// accessFile is the access log's own SQLite file, with its own writer and
// read pool. Every logged read commits an entry there, so apart from the
// registry's file its commits do not queue behind registry writes (each file
// has its own write lock and WAL), and they do not empty the page caches of
// the registry's readers: in WAL mode a read transaction that starts after
// any commit to its file discards its connection's cache.
type accessFile struct {
	path string
	w, r *sql.DB
	ws   accessStmts
	// ckpt checkpoints the file's WAL in the background (walcheckpoint.go).
	ckpt *walCheckpointer
}

// accessStmts are the append's statements, prepared once on the access
// file's writer: every group commit runs them, and compiling them again for
// every batch cost a third of the append's CPU.
type accessStmts struct {
	state, insEntry, insEntries, hashBlock, putHashes, setState *sql.Stmt
}

func (a *accessStmts) list() stmtList {
	return stmtList{
		{&a.state, "SELECT size, hash_count FROM access_log_state WHERE id = 1"},
		{&a.insEntry, insertEntrySQL},
		{&a.insEntries, insertEntriesSQL},
		{&a.hashBlock, "SELECT hashes FROM access_hashes WHERE block = ?"},
		{&a.putHashes, "INSERT INTO access_hashes (block, hashes) VALUES (?, ?) ON CONFLICT (block) DO UPDATE SET hashes = excluded.hashes"},
		{&a.setState, "UPDATE access_log_state SET size = ?, hash_count = ? WHERE id = 1"},
	}
}

// AccessLogPath returns the file that holds the access log of the SQLite
// store at path: beside it, with "-access" before the extension, so that
// "dancu.db" keeps its log in "dancu-access.db". Both files, with their
// -wal and -shm companions, make up the store.
func AccessLogPath(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-access" + ext
}

// accessConfig is the access file's share of the store's settings: its
// writer appends sequential rows and needs a small cache; its readers serve
// proofs and the data trackers.
func accessConfig(cfg config) config {
	c := cfg
	c.writeCacheKiB = min(cfg.writeCacheKiB, 8<<10)
	c.readCacheKiB = min(cfg.readCacheKiB, 8<<10)
	// Its WAL is checkpointed in the background (walcheckpoint.go).
	c.walAutoCheckpoint = accessAutoCheckpoint
	// Statement journals and sorts stay in memory: the old person
	// index's INSERT ... SELECT kept its journal in a temporary file, 13%
	// of the log's CPU in write system calls at 1M entries. What is left
	// (the multi-row inserts, a merge step's deletes) is small.
	c.tempInMemory = true
	return c
}

// openAccessFile opens (creating if needed) the access log's file and
// migrates its schema. Its read pool is opened by openReaders, once the
// registry's file has handed over any log it held (moveAccessLog).
func openAccessFile(ctx context.Context, path string, cfg config) (*sql.DB, error) {
	w, err := openWriter(ctx, path, cfg)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, w, accessSchema); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// moveAccessLog copies the access log that files from before migration 0016
// hold in the registry's file into the access file, before that migration
// drops the tables there. The copy is one transaction of the access file,
// taken while the registry's write lock is held, so no other process can
// drop the tables meanwhile; a crash before migration 0016 leaves both
// copies, and the next Open finds the access file already complete and only
// checks it. Its person index is built again by the indexer.
func (s *Store) moveAccessLog(ctx context.Context) error {
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'access_log_state'").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil // moved already, or never there
		}
		var old logState
		if err := tx.QueryRowContext(ctx, "SELECT size, hash_count FROM access_log_state WHERE id = 1").Scan(&old.size, &old.hashes); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM access_checkpoints").Scan(&old.checkpoints); err != nil {
			return err
		}
		return s.copyAccessLog(ctx, old)
	})
	if err != nil {
		return fmt.Errorf("sqlite: move the access log to %s: %w", filepath.Base(s.log.path), err)
	}
	return nil
}

// logState is what must agree between the two copies of a moved log.
type logState struct{ size, hashes, checkpoints int64 }

func (s *Store) copyAccessLog(ctx context.Context, old logState) error {
	conn, err := s.log.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	src := "file:" + (&url.URL{Path: s.path}).EscapedPath() + "?mode=ro"
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS registry", src); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE registry")

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cur, err := readLogState(ctx, tx)
	if err != nil {
		return err
	}
	if cur == old {
		return nil // copied by an earlier Open that did not get to migrate
	}
	if cur != (logState{}) {
		return fmt.Errorf("both files hold an access log (%d entries in the registry's file, %d in the access file); "+
			"restore the pair from one backup", old.size, cur.size)
	}
	// The old file's person index is not copied: the indexer builds the
	// new one from the entries (listings scan what it has not reached).
	steps := []string{
		"INSERT INTO main.access_log (idx, person, data) SELECT idx, person, data FROM registry.access_log ORDER BY idx",
		"INSERT INTO main.access_hashes (block, hashes) SELECT block, hashes FROM registry.access_hashes ORDER BY block",
		"INSERT INTO main.access_checkpoints (size, root, note, signed_at) SELECT size, root, note, signed_at FROM registry.access_checkpoints ORDER BY size",
		"UPDATE main.access_log_state SET (size, hash_count) = (SELECT size, hash_count FROM registry.access_log_state WHERE id = 1) WHERE id = 1",
	}
	for _, q := range steps {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if cur, err = readLogState(ctx, tx); err != nil {
		return err
	}
	if cur != old {
		return fmt.Errorf("the copy holds %d entries, %d hashes and %d checkpoints, want %d, %d and %d",
			cur.size, cur.hashes, cur.checkpoints, old.size, old.hashes, old.checkpoints)
	}
	return tx.Commit()
}

func readLogState(ctx context.Context, tx *sql.Tx) (logState, error) {
	var st logState
	err := tx.QueryRowContext(ctx, `SELECT size, hash_count, (SELECT count(*) FROM main.access_checkpoints)
		FROM main.access_log_state WHERE id = 1`).Scan(&st.size, &st.hashes, &st.checkpoints)
	return st, err
}

// closeAccessFile closes the access file's pools, readers first.
func (a *accessFile) close() error {
	var errs []error
	errs = append(errs, a.ckpt.close())
	if a.r != nil {
		errs = append(errs, a.r.Close())
	}
	a.ws.list().close()
	if a.w != nil {
		errs = append(errs, a.w.Close())
	}
	return errors.Join(errs...)
}

package duckstore

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// writable returns an error if the analytics file cannot be written now.
// DuckDB ends the whole process when its file system has turned read-only
// under it: undoing a commit whose WAL write failed, it throws from a
// context that cannot throw ("terminate called after throwing an instance
// of 'duckdb::IOException' ... Could not truncate file stats.duckdb.wal"),
// which took dancu serve down in the disk-fault test. So no write starts
// while the file is not writable; the feed logs the error and tries again
// later. What is left is a file system that turns read-only during a commit
// already running.
func (s *Store) writable(op string) error {
	if s.path == "" {
		return nil
	}
	if err := canWrite(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("duckstore: %s: %s cannot be written: %w", op, filepath.Base(s.path), err)
	}
	return nil
}

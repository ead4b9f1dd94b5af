package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// errDirectoryPending marks the Directory methods that the agencies issue is
// implementing right now; they are replaced, not shipped.
var errDirectoryPending = errors.New("postgres: directory not implemented yet")

// DirRecord implements store.Directory.
func (s *Store) DirRecord(ctx context.Context, kind, id string) (store.DirRecord, error) {
	return store.DirRecord{}, errDirectoryPending
}

// DirRecords implements store.Directory.
func (s *Store) DirRecords(ctx context.Context, kind, parent string) ([]store.DirRecord, error) {
	return nil, errDirectoryPending
}

// PutDirRecord implements store.Directory.
func (s *Store) PutDirRecord(ctx context.Context, r store.DirRecord) error {
	return errDirectoryPending
}

// UseNonce implements store.Directory.
func (s *Store) UseNonce(ctx context.Context, scope, value string, expires time.Time) error {
	return errDirectoryPending
}

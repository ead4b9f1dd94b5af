//go:build unix

package crash_test

import (
	"context"
	"path/filepath"
	"sync"

	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/sealed"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// pgStore is where a server whose data folder is registered in pgStores
// keeps its store instead of the folder's SQLite file.
type pgStore struct{ dsn, keyFile string }

// pgStores maps a serve process's data folder to its PostgreSQL store.
var pgStores sync.Map

// openStore opens the store of the data folder holding path (its SQLite
// database, or the PostgreSQL database registered for the folder) as dancu
// does: its documents are sealed under the key file.
func openStore(ctx context.Context, path string) (*sealed.Store, error) {
	var backend store.Store
	var err error
	keyFile := filepath.Join(filepath.Dir(path), config.KeyFileName)
	if pg, ok := pgStores.Load(filepath.Dir(path)); ok {
		keyFile = pg.(pgStore).keyFile
		backend, err = postgres.Open(ctx, pg.(pgStore).dsn)
	} else {
		backend, err = sqlite.Open(ctx, path)
	}
	if err != nil {
		return nil, err
	}
	kf, err := seal.OpenKeyFile(keyFile)
	if err == nil {
		var st *sealed.Store
		if st, err = sealed.Open(ctx, backend, kf); err == nil {
			return st, nil
		}
	}
	backend.Close()
	return nil, err
}

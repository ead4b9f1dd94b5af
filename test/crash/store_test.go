//go:build unix

package crash_test

import (
	"context"
	"path/filepath"

	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store/sealed"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// openStore opens the SQLite database at path as dancu does: its
// documents are sealed under the key file beside it.
func openStore(ctx context.Context, path string) (*sealed.Store, error) {
	backend, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	kf, err := seal.OpenKeyFile(filepath.Join(filepath.Dir(path), config.KeyFileName))
	if err == nil {
		var st *sealed.Store
		if st, err = sealed.Open(ctx, backend, kf); err == nil {
			return st, nil
		}
	}
	backend.Close()
	return nil, err
}

package main

import (
	"context"
	"path/filepath"

	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/store"
)

// openData opens the SQLite database at path as dancu does, with its
// documents sealed under the key file beside it, so that a test reads what
// a command wrote.
func openData(ctx context.Context, path string) (store.Store, error) {
	cfg := config.Default()
	cfg.Data = filepath.Dir(path)
	cfg.DB = config.DSN("sqlite:" + path)
	st, _, err := openStore(ctx, cfg)
	return st, err
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/sealed"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// openStore opens the backend the configuration selects, with its documents
// sealed at rest under the keys of the configured key file (see
// openKeyFile). It is the only place in the program that knows which
// backends exist. The description names the store for people, without any
// password.
func openStore(ctx context.Context, cfg config.Config) (s store.Store, description string, err error) {
	backend, desc, err := openBackend(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	kf, err := openKeyFile(ctx, cfg, backend)
	if err == nil {
		s, err = sealed.Open(ctx, backend, kf, sealed.Strict(cfg.Encryption.Strict))
	}
	if err != nil {
		backend.Close()
		return nil, "", fmt.Errorf("encryption keys (key file %s): %w", cfg.KeyFile(), err)
	}
	return s, desc, nil
}

// openBackend opens the store itself, without encryption.
func openBackend(ctx context.Context, cfg config.Config) (store.Store, string, error) {
	kind, target := cfg.Store()
	switch kind {
	case config.SQLite:
		// The folder holds personal data: only its owner may enter it.
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return nil, "", fmt.Errorf("create data folder: %w", err)
		}
		if cfg.AccessLog != "" {
			if err := os.MkdirAll(filepath.Dir(cfg.AccessLog), 0o700); err != nil {
				return nil, "", fmt.Errorf("create the access log's folder: %w", err)
			}
		}
		st, err := sqlite.Open(ctx, target, sqlite.WithAccessLogPath(cfg.AccessLog))
		if err != nil {
			return nil, "", err
		}
		return st, "SQLite " + target, nil
	case config.Postgres:
		st, err := postgres.Open(ctx, target)
		if err != nil {
			return nil, "", err
		}
		return st, "PostgreSQL " + cfg.DB.String(), nil
	}
	return nil, "", fmt.Errorf("no store backend %q", kind)
}

// openKeyFile opens the key file of the store's key-encryption keys. A
// store that holds no data keys yet (a new one, or one from before
// encryption) gets a new key file if there is none; a store whose keys are
// wrapped already needs its key file, and says which keys it misses.
func openKeyFile(ctx context.Context, cfg config.Config, backend store.Store) (*seal.KeyFile, error) {
	path := cfg.KeyFile()
	kf, err := seal.OpenKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return kf, err
	}
	keys, kerr := backend.DataKeys(ctx)
	if kerr != nil {
		return nil, kerr
	}
	if len(keys) > 0 {
		return nil, fmt.Errorf("the file is missing, and the store's data keys are wrapped under %s: restore the key file from where it is kept",
			strings.Join(kekIDs(keys), ", "))
	}
	kf, _, err = seal.OpenOrCreateKeyFile(path)
	return kf, err
}

// kekIDs lists the distinct key-encryption keys that wrap keys.
func kekIDs(keys []store.DataKey) []string {
	var ids []string
	for _, k := range keys {
		if !slices.Contains(ids, k.KEKID) {
			ids = append(ids, k.KEKID)
		}
	}
	return ids
}

// withStore loads the configuration bound to fl, opens the store it names,
// runs fn with it and closes it again; a failure to close is reported when
// fn itself succeeded.
func withStore(ctx context.Context, fl *config.Flags, lookupEnv func(string) (string, bool),
	fn func(cfg config.Config, st store.Store, desc string) error) (err error) {
	cfg, err := fl.Load(lookupEnv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	st, desc, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	return fn(cfg, st, desc)
}

// newLogger returns the process logger, writing to w in the configured
// format and level.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel()}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// baseURL is the URL people can open for a listener: an unspecified host
// (":8080", "0.0.0.0:8080") is reached as localhost.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// requireWritable refuses to serve from a read-only database (a PostgreSQL
// hot standby): the store opens there, for the commands that only read
// (audit verify, keys status), but serve writes on every request — each
// read goes to the access log — so it would answer nothing but 503.
func requireWritable(ctx context.Context, st store.Store) error {
	if s, ok := st.(interface{ Backend() store.Store }); ok {
		st = s.Backend()
	}
	ro, ok := st.(interface {
		ReadOnly(context.Context) (bool, error)
	})
	if !ok {
		return nil
	}
	yes, err := ro.ReadOnly(ctx)
	if err != nil {
		return err
	}
	if yes {
		return errors.New("the PostgreSQL database is read-only (a hot standby, or default_transaction_read_only is on): dancu serve needs a writable one, since every read is written to the access log; point --db at the primary")
	}
	return nil
}

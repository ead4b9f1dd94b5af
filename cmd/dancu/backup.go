package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sealed"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// errPostgresBackup explains where PostgreSQL's backups come from.
var errPostgresBackup = errors.New("a PostgreSQL store is backed up with PostgreSQL's own tools " +
	"(pg_dump --format=custom, or pg_basebackup with WAL archiving for point-in-time recovery); " +
	"see docs/operations.md")

// runBackup writes an online, consistent snapshot of the SQLite store.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", "dancu backup --to FILE [--data DIR | --db sqlite:PATH]", stderr)
	to := fs.String("to", "", "the snapshot `file` to write, with the access log beside it (x.db and x-access.db); neither may exist")
	fl := config.Bind(fs, "data", "db")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *to == "" {
		return usageError{msg: "--to is required"}
	}
	return withStore(ctx, fl, os.LookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		if sd, ok := st.(*sealed.Store); ok {
			st = sd.Backend()
		}
		sq, ok := st.(*sqlite.Store)
		if !ok {
			return errPostgresBackup
		}
		start := time.Now()
		if err := sq.Backup(ctx, *to); err != nil {
			return err
		}
		var size int64
		files := []string{*to, sqlite.AccessLogPath(*to)}
		for _, f := range files {
			info, err := os.Stat(f)
			if err != nil {
				return err
			}
			size += info.Size()
		}
		fmt.Fprintf(stdout, "snapshot of %s written to %s and %s (%s bytes) in %s\n", desc, files[0], files[1],
			thousands(int(size)), time.Since(start).Round(time.Millisecond))
		fmt.Fprintln(stdout, "It holds personal data: keep it encrypted and access-controlled like the data folder.")
		return nil
	})
}

// runRestore checks a snapshot and makes it the store of a new data folder,
// then verifies the access log in it and reports what it holds.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore", "dancu restore --from FILE --data DIR", stderr)
	from := fs.String("from", "", "the snapshot `file` written by dancu backup")
	skipVerify := fs.Bool("skip-verify", false, "do not recompute the access log (faster for very large logs)")
	fl := config.Bind(fs, "data")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *from == "" {
		return usageError{msg: "--from is required"}
	}
	cfg, err := fl.Load(os.LookupEnv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if kind, _ := cfg.Store(); kind != config.SQLite {
		return errPostgresBackup
	}
	_, target := cfg.Store()
	// The folder holds personal data: only its owner may enter it.
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	if err := sqlite.Restore(ctx, *from, target, sqlite.WithAccessLogPath(cfg.AccessLog)); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already holds a database: restore only into a new data folder", filepath.Dir(target))
		}
		return err
	}
	return withStore(ctx, fl, os.LookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		n, err := registry.New(st).Count(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restored %s into %s\npeople: %s\n", *from, desc, thousands(int(n)))
		if *skipVerify {
			return nil
		}
		rep, err := audit.Verify(ctx, st)
		if err != nil {
			return fmt.Errorf("the restored access log does not verify: %w", err)
		}
		fmt.Fprintf(stdout, "access log: OK, %d entries, root %s, %d checkpoints checked\n",
			rep.Size, base64.StdEncoding.EncodeToString(rep.Root[:]), rep.Checkpoints)
		return nil
	})
}

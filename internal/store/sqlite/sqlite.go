package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	// The pure-Go driver registers itself as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/dancu/dancu/internal/store"
)

// Store is the SQLite implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	path string
	cfg  config
	// w is the only connection that writes: SQLite admits one writer at a
	// time anyway, and queueing writers in database/sql is cheaper and fairer
	// than having them spin on the file lock.
	w *sql.DB
	// r is the read pool. In WAL mode readers never block the writer or one
	// another, and each sees the last commit as of its statement's start.
	r *sql.DB

	rq stmtCache
	ws writeStmts
	// dossiers groups concurrent new dossiers into shared transactions.
	dossiers dossierBatcher
}

var _ store.Store = (*Store)(nil)

// Option changes how Open sets up a store.
type Option func(*config)

type config struct {
	readConns   int
	busyTimeout time.Duration
	// writeCacheKiB is the writer's page cache. Writes at the rate of life
	// events need little; the bulk loader grows it while it runs (see
	// loader.growCache).
	writeCacheKiB int
	readCacheKiB  int
}

const (
	// pageSize is the page size of new files. 8 KiB rather than SQLite's
	// 4 KiB: a version row with its document is about a kilobyte, and with
	// twice the page the file came out 12% smaller for the same CPU time per
	// person loaded; on the random writes of ordinary updates the difference
	// is a few kilobytes more per commit.
	pageSize = 8192
	// mmapBytes is how much of the file readers map. Reading through the map
	// saves a pread and a copy on every page-cache miss. SQLite caps it at
	// its compile-time limit (2 GiB on 64-bit Linux).
	mmapBytes = 1 << 30
)

func defaultConfig() config {
	return config{
		readConns:     max(4, runtime.GOMAXPROCS(0)),
		busyTimeout:   5 * time.Second,
		writeCacheKiB: 32 << 10,
		readCacheKiB:  16 << 10,
	}
}

// WithReadConns sets the number of connections in the read pool (default: the
// larger of 4 and GOMAXPROCS).
func WithReadConns(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.readConns = n
		}
	}
}

// WithBusyTimeout sets how long a statement waits for a lock held by another
// process before it fails with SQLITE_BUSY (default 5s).
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.busyTimeout = d
		}
	}
}

// WithCacheSize sets the page cache of the writer connection and of each read
// connection, in KiB (defaults 32 MiB and 16 MiB).
func WithCacheSize(writerKiB, readerKiB int) Option {
	return func(c *config) {
		if writerKiB > 0 {
			c.writeCacheKiB = writerKiB
		}
		if readerKiB > 0 {
			c.readCacheKiB = readerKiB
		}
	}
}

// Open opens the SQLite database at path, creating it if needed, applies
// pending migrations and rebuilds any index a crashed bulk load left dropped.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		// A writer and a read pool must share one file; an in-memory database
		// would give each connection its own.
		return nil, errors.New("sqlite: open: path must name a file")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	_, statErr := os.Stat(abs)
	created := errors.Is(statErr, fs.ErrNotExist)

	s := &Store{path: abs, cfg: cfg}
	s.w, err = sql.Open("sqlite", dsn(abs, cfg, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.setup(ctx, created); err != nil {
		s.w.Close()
		return nil, err
	}

	s.r, err = sql.Open("sqlite", dsn(abs, cfg, true))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s.r.SetMaxOpenConns(cfg.readConns)
	s.r.SetMaxIdleConns(cfg.readConns)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	s.rq.db = s.r
	if err := s.ws.prepare(ctx, s.w); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// setup checks the writer connection, migrates the schema and rebuilds
// indexes a crashed load left behind.
func (s *Store) setup(ctx context.Context, created bool) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		// WAL is what lets reads run beside the writer; a file system that
		// cannot hold the shared-memory index (some network mounts) ends here.
		return fmt.Errorf("sqlite: open: journal mode is %q, want wal", mode)
	}
	if created {
		// The new file's directory entry must reach the disk too, or a power
		// loss could take the whole database with it.
		if err := syncDir(filepath.Dir(s.path)); err != nil {
			return fmt.Errorf("sqlite: open: %w", err)
		}
	}
	// Indexes first: a pending migration may have been written against the
	// full schema.
	if err := rebuildDeferredIndexes(ctx, s.w); err != nil {
		return err
	}
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	return nil
}

// dsn builds the connection string. Pragmas go in the DSN so that they apply
// to every connection the pools open, not only the first.
func dsn(path string, cfg config, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "cache_size(-"+strconv.Itoa(cfg.readCacheKiB)+")")
		// Reading pages through a memory map saves a pread system call and a
		// copy per page-cache miss; the map is address space, shared by all
		// connections through the OS cache.
		q.Add("_pragma", "mmap_size("+strconv.Itoa(mmapBytes)+")")
		q.Add("_pragma", "query_only(1)")
	} else {
		// page_size only takes effect on a new file, and must come before
		// the journal mode (which writes the header): _pragma entries run
		// before _journal_mode.
		q.Add("_pragma", "page_size("+strconv.Itoa(pageSize)+")")
		q.Set("_journal_mode", "WAL")
		// FULL syncs the WAL at every commit: an acknowledged write survives
		// a power loss, not only a crash of the process.
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "cache_size(-"+strconv.Itoa(cfg.writeCacheKiB)+")")
		// Lets CREATE INDEX sort with a helper thread.
		q.Add("_pragma", "threads(2)")
		// Every transaction on the writer takes the write lock at BEGIN, so
		// that two processes never both read and then fail to upgrade.
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Ping reports whether both the writer and the read pool can reach the file.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes the read pool and then the writer. Every acknowledged write is
// already on disk (synchronous=FULL), so Close loses nothing; closing the last
// connection also checkpoints the WAL into the main file.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		s.rq.close()
		errs = append(errs, s.r.Close())
	}
	s.ws.close()
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Backup writes a consistent snapshot of the database to destPath, which must
// not exist yet. It runs on a read connection (VACUUM INTO reads in one
// transaction), so writers carry on meanwhile; the copy is compacted, and is
// synced to disk before Backup returns.
func (s *Store) Backup(ctx context.Context, destPath string) error {
	abs, err := filepath.Abs(destPath)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Stat(abs); err == nil {
		return fmt.Errorf("sqlite: backup: destination: %w", fs.ErrExist)
	}
	// A connection of its own: VACUUM INTO writes a file, which a query_only
	// connection refuses to do.
	db, err := sql.Open("sqlite", dsnBackup(s.path, s.cfg))
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		os.Remove(abs)
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(abs))
	}
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

func dsnBackup(path string, cfg config) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10)+")")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Restore checks that srcPath is an intact dancu database — SQLite's
// integrity check passes and it has a schema this program knows — and copies
// it to destPath, which must not exist, syncing the copy and its folder
// before it is renamed into place: a crash leaves either no destPath or a
// complete one. Open destPath afterwards as usual.
func Restore(ctx context.Context, srcPath, destPath string) error {
	if _, err := os.Stat(destPath); err == nil {
		return fmt.Errorf("sqlite: restore: destination: %w", fs.ErrExist)
	}
	if err := checkSnapshot(ctx, srcPath); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	tmp := destPath + ".restoring"
	if err := copyFileSynced(srcPath, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	if err := os.Rename(tmp, destPath); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	if err := syncDir(filepath.Dir(destPath)); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	return nil
}

// checkSnapshot opens a snapshot read-only and checks it.
func checkSnapshot(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(&result); err != nil {
		return fmt.Errorf("%s is not a SQLite database: %w", filepath.Base(path), err)
	}
	if result != "ok" {
		return fmt.Errorf("%s fails SQLite's integrity check", filepath.Base(path))
	}
	var newest int
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&newest); err != nil {
		return fmt.Errorf("%s is not a dancu database (no schema_migrations)", filepath.Base(path))
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	if len(ms) > 0 && newest > ms[len(ms)-1].Version {
		return fmt.Errorf("%s has schema version %d, newer than this program's %d", filepath.Base(path), newest, ms[len(ms)-1].Version)
	}
	return nil
}

func copyFileSynced(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

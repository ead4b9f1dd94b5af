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
	// snap is the read snapshot that a bulk verification job's batches
	// share (verify.go).
	snap batchSnapshot
	ws   writeStmts
	// dossiers groups concurrent new dossiers into shared transactions.
	dossiers dossierBatcher
	// log is the access log's own file (accessfile.go).
	log accessFile
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
	// accessLogPath overrides AccessLogPath(path).
	accessLogPath string
	// walAutoCheckpoint, when positive, sets the writer's automatic
	// checkpoint threshold in pages (SQLite's default is 1,000).
	walAutoCheckpoint int
	// tempInMemory keeps the writer's temporary files in memory
	// (temp_store=MEMORY), for a file whose statements sort and journal
	// little, so that a statement journal costs no write system calls.
	tempInMemory bool
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

// WithAccessLogPath keeps the access log in the file at path instead of
// beside the registry's file (AccessLogPath): on a disk of its own, its
// commits' syncs do not wait behind the registry's.
func WithAccessLogPath(path string) Option {
	return func(c *config) { c.accessLogPath = path }
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
	s := &Store{path: abs, cfg: cfg, log: accessFile{path: AccessLogPath(abs)}}
	if cfg.accessLogPath != "" {
		if s.log.path, err = filepath.Abs(cfg.accessLogPath); err != nil {
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
	}
	if err := s.open(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// open opens both files' writers, brings both schemas up to date (moving
// the access log out of the registry's file on the way), then opens the
// read pools and prepares the writers' statements.
func (s *Store) open(ctx context.Context) error {
	var err error
	if s.w, err = openWriter(ctx, s.path, s.cfg); err != nil {
		return err
	}
	// Indexes first: a pending migration may have been written against the
	// full schema.
	if err := rebuildDeferredIndexes(ctx, s.w); err != nil {
		return err
	}
	acfg := accessConfig(s.cfg)
	if s.log.w, err = openAccessFile(ctx, s.log.path, acfg); err != nil {
		return err
	}
	if err := s.moveAccessLog(ctx); err != nil {
		return err
	}
	if err := migrate(ctx, s.w, registrySchema); err != nil {
		return err
	}
	if s.r, err = openReaders(s.path, s.cfg); err != nil {
		return err
	}
	s.rq.db = s.r
	if err := s.snap.open(s.path, s.cfg); err != nil {
		return err
	}
	if s.log.r, err = openReaders(s.log.path, acfg); err != nil {
		return err
	}
	if acfg.walAutoCheckpoint > 0 {
		if s.log.ckpt, err = startWALCheckpointer(s.log.path, acfg); err != nil {
			return err
		}
	}
	if err := s.ws.list().prepare(ctx, s.w); err != nil {
		return err
	}
	return s.log.ws.list().prepare(ctx, s.log.w)
}

// openWriter opens a file's writer pool, creating the file if needed, and
// checks that it is in WAL mode.
func openWriter(ctx context.Context, path string, cfg config) (*sql.DB, error) {
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	w, err := openDB(dsn(path, cfg, false), false)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", filepath.Base(path), err)
	}
	if !strings.EqualFold(mode, "wal") {
		// WAL is what lets reads run beside the writer; a file system that
		// cannot hold the shared-memory index (some network mounts) ends here.
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: journal mode is %q, want wal", filepath.Base(path), mode)
	}
	if created {
		// The new file's directory entry must reach the disk too, or a power
		// loss could take the whole database with it.
		if err := syncDir(filepath.Dir(path)); err != nil {
			w.Close()
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
	}
	return w, nil
}

// openReaders opens a file's read pool.
func openReaders(path string, cfg config) (*sql.DB, error) {
	r, err := openDB(dsn(path, cfg, true), true)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	r.SetMaxOpenConns(cfg.readConns)
	r.SetMaxIdleConns(cfg.readConns)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	return r, nil
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
		if cfg.walAutoCheckpoint > 0 {
			q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(cfg.walAutoCheckpoint)+")")
		}
		q.Add("_pragma", "cache_size(-"+strconv.Itoa(cfg.writeCacheKiB)+")")
		if cfg.tempInMemory {
			q.Add("_pragma", "temp_store(MEMORY)")
		}
		// Lets CREATE INDEX sort with a helper thread.
		q.Add("_pragma", "threads(2)")
		// Every transaction on the writer takes the write lock at BEGIN, so
		// that two processes never both read and then fail to upgrade.
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Ping reports whether the writers and the read pools can reach both files.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range []*sql.DB{s.r, s.w, s.log.r, s.log.w} {
		if err := db.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlite: ping: %w", err)
		}
	}
	return nil
}

// Close closes the read pools and then the writers. Every acknowledged write
// is already on disk (synchronous=FULL), so Close loses nothing; closing the
// last connection also checkpoints a file's WAL into it.
func (s *Store) Close() error {
	var errs []error
	errs = append(errs, s.snap.close())
	if s.r != nil {
		s.rq.close()
		errs = append(errs, s.r.Close())
	}
	s.ws.list().close()
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	errs = append(errs, s.log.close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Backup writes a consistent snapshot of the store to destPath and of its
// access log to AccessLogPath(destPath); neither may exist yet. Each file's
// copy is one read transaction (VACUUM INTO), so writers carry on meanwhile.
// The access log is copied first, so that everything its entries and
// checkpoints refer to is in the registry's copy. The copies are compacted
// and synced to disk before Backup returns.
func (s *Store) Backup(ctx context.Context, destPath string) error {
	abs, err := filepath.Abs(destPath)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	for _, p := range []string{abs, AccessLogPath(abs)} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("sqlite: backup: destination %s: %w", filepath.Base(p), fs.ErrExist)
		}
	}
	if err := snapshotFile(ctx, s.log.path, AccessLogPath(abs), s.cfg); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := snapshotFile(ctx, s.path, abs, s.cfg); err != nil {
		os.Remove(AccessLogPath(abs))
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := syncDir(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

// snapshotFile copies the database at src to dst with VACUUM INTO and syncs
// the copy.
func snapshotFile(ctx context.Context, src, dst string, cfg config) error {
	// A connection of its own: VACUUM INTO writes a file, which a query_only
	// connection refuses to do.
	db, err := sql.Open("sqlite", dsnBackup(src, cfg))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		os.Remove(dst)
		return err
	}
	f, err := os.Open(dst)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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
// it to destPath, and the access log beside it (AccessLogPath) likewise to
// AccessLogPath(destPath) or the path WithAccessLogPath gives; neither
// destination may exist. Each copy is synced, with its folder, before it is
// renamed into place, the access log first: a crash leaves either no
// destPath or a complete pair. A snapshot from before the access log had a
// file of its own has none beside it; Open moves its log out as usual.
func Restore(ctx context.Context, srcPath, destPath string, opts ...Option) error {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	accessDest := cfg.accessLogPath
	if accessDest == "" {
		accessDest = AccessLogPath(destPath)
	}
	type file struct {
		src, dst string
		sc       schema
	}
	files := []file{{srcPath, destPath, registrySchema}}
	if _, err := os.Stat(AccessLogPath(srcPath)); err == nil {
		files = []file{{AccessLogPath(srcPath), accessDest, accessSchema}, files[0]}
	}
	for _, f := range files {
		if _, err := os.Stat(f.dst); err == nil {
			return fmt.Errorf("sqlite: restore: destination %s: %w", filepath.Base(f.dst), fs.ErrExist)
		}
		if err := checkSnapshot(ctx, f.src, f.sc); err != nil {
			return fmt.Errorf("sqlite: restore: %w", err)
		}
	}
	for _, f := range files {
		tmp := f.dst + ".restoring"
		if err := copyFileSynced(f.src, tmp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("sqlite: restore: %w", err)
		}
		if err := os.Rename(tmp, f.dst); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("sqlite: restore: %w", err)
		}
		if err := syncDir(filepath.Dir(f.dst)); err != nil {
			return fmt.Errorf("sqlite: restore: %w", err)
		}
	}
	return nil
}

// checkSnapshot opens a snapshot read-only and checks it.
func checkSnapshot(ctx context.Context, path string, sc schema) error {
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
	ms, err := sc.migrations()
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

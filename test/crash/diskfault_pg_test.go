//go:build linux

package crash_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgCluster is a PostgreSQL server of the test's own, started from the
// installed binaries as the postgres user: its data directory (tables,
// indexes, catalogs, temporary files) is on a faultFS, its write-ahead log
// on the ordinary disk, as on a server whose WAL has a volume of its own.
// The shared server other tests use is never touched.
type pgCluster struct {
	t    *testing.T
	bin  string // the directory of initdb, pg_ctl and postgres
	data string
	log  string
	port int
	uid  int
	gid  int
	dsn  string // of the database dancu uses
}

// newPGCluster creates and starts a cluster on fs.
func newPGCluster(t *testing.T, fs *faultFS) *pgCluster {
	t.Helper()
	initdbs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(initdbs) == 0 {
		faultUnavailable(t, "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		faultUnavailable(t, "no postgres user to run a PostgreSQL server as: %v", err)
	}
	c := &pgCluster{t: t, bin: filepath.Dir(initdbs[len(initdbs)-1])}
	c.uid, _ = strconv.Atoi(u.Uid)
	c.gid, _ = strconv.Atoi(u.Gid)
	// The server's user must reach the mount point and its own folders.
	for _, d := range []string{filepath.Dir(fs.dir), fs.dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c.data = filepath.Join(fs.dir, "pgdata")
	own := t.TempDir() // the WAL, the server's log and its socket
	if err := os.Chmod(filepath.Dir(own), 0o755); err != nil {
		t.Fatal(err)
	}
	wal := filepath.Join(own, "pg_wal")
	c.log = filepath.Join(own, "server.log")
	for _, d := range []string{c.data, own} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, c.uid, c.gid); err != nil {
			t.Fatal(err)
		}
	}
	c.run("initdb", "-D", c.data, "--waldir", wal, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale", "C.UTF-8", "--no-sync", "--no-instructions")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	c.run("pg_ctl", "-D", c.data, "-l", c.log, "-w", "-t", "60", "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c shared_buffers=16MB -c max_connections=60", c.port, own),
		"start")
	// Registered after the file system's, so it runs before its unmount.
	t.Cleanup(func() {
		if out, err := c.cmd("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
			t.Logf("stop the test's PostgreSQL server: %v\n%s", err, out)
		}
	})
	base := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%%s?sslmode=disable", c.port)
	conn, err := pgx.Connect(context.Background(), fmt.Sprintf(base, "postgres"))
	if err != nil {
		t.Fatalf("connect to the test's PostgreSQL server: %v\n%s", err, c.serverLog())
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE DATABASE dancu"); err != nil {
		t.Fatal(err)
	}
	c.dsn = fmt.Sprintf(base, "dancu")
	return c
}

func (c *pgCluster) cmd(tool string, args ...string) *exec.Cmd {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.bin, tool)}, args...)...)
}

func (c *pgCluster) run(tool string, args ...string) {
	c.t.Helper()
	if out, err := c.cmd(tool, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s: %v\n%s\n%s", tool, err, out, c.serverLog())
	}
}

// serverLog is the end of the server's own log, for failure messages.
func (c *pgCluster) serverLog() string {
	b, _ := os.ReadFile(c.log)
	return tail(string(bytes.TrimSpace(b)), 15)
}

// TestDisk_FullPostgres runs dancu serve on a PostgreSQL server whose data
// disk fills up (its WAL is on another volume; a full WAL volume makes
// PostgreSQL itself stop, which docs/operations.md describes). Writes are
// either acknowledged (and then kept) or refused with 503 and Retry-After
// (and then absent), never 500: PostgreSQL refuses to extend a table with
// SQLSTATE 53100 and rolls the transaction back. When space is freed the
// same process serves writes again, without a restart; after a restart
// everything acknowledged is there and the access log verifies.
func TestDisk_FullPostgres(t *testing.T) {
	t.Parallel()
	fs := newFaultFS(t, 96<<20)
	pg := newPGCluster(t, fs)
	dir := t.TempDir()
	keys := filepath.Join(t.TempDir(), "dancu.keys")
	pgStores.Store(dir, pgStore{dsn: pg.dsn, keyFile: keys})
	args := []string{"--db", pg.dsn, "--data", dir, "--key-file", keys}
	srv, base := startServeWith(t, args...)
	w := setUp(t, base)

	began := time.Now()
	refusedReads := fillAndRecover(t, fs, w, base, false)
	t.Logf("full and freed in %v; the PostgreSQL server's log:\n%s", time.Since(began).Round(time.Millisecond), pg.serverLog())
	srv.stop()

	srv, base = startServeWith(t, args...)
	w.checkAfter(base, refusedReads)
	checkEvents(t, base, dir, w.sent, srv) // stops the server
	v := startDancu(t, environ(), "audit", "verify", "--db", pg.dsn, "--key-file", keys)
	if st := v.wait(60 * time.Second); !st.Success() {
		t.Fatalf("dancu audit verify: %v\n%s%s", st, v.stdout.String(), v.stderr.String())
	}
	t.Logf("dancu audit verify: %s", bytes.ReplaceAll(bytes.TrimSpace([]byte(v.stdout.String())), []byte("\n"), []byte("; ")))
}

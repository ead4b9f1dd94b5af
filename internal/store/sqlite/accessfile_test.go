package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func TestAccessLogPath(t *testing.T) {
	for in, want := range map[string]string{
		"/srv/dancu/dancu.db": "/srv/dancu/dancu-access.db",
		"/srv/da.ta/dancu":    "/srv/da.ta/dancu-access",
		"x.sqlite":            "x-access.sqlite",
	} {
		if got := AccessLogPath(in); got != want {
			t.Errorf("AccessLogPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// fillLog appends n entries (about two people), indexes them all and signs a
// checkpoint, through the store.
func fillLog(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	size, err := s.AccessLogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := store.AccessBatch{First: size, HashStart: size * 2}
	for i := range n {
		idx := size + int64(i)
		b.Entries = append(b.Entries, store.AccessEntry{Index: idx, Person: []byte{byte(idx % 2)}, Data: []byte(fmt.Sprintf("entry %d", idx))})
		b.Hashes = append(b.Hashes, [32]byte{byte(idx)}, [32]byte{byte(idx), 1})
	}
	if err := s.AppendAccess(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IndexAccesses(ctx, n); err != nil {
		t.Fatal(err)
	}
	c := store.Checkpoint{Size: size + int64(n), Root: [32]byte{9}, Note: []byte("note"), SignedAt: time.Unix(1700000000, 0)}
	if err := s.PutCheckpoint(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// accessTablesIn lists the access-log tables in the registry's file.
func accessTablesIn(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'access%' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

// makeOldLayout turns a closed store's pair of files back into the layout of
// a file from before migration 0016: the access log's tables and rows in the
// registry's file, migration 0016 unrecorded. With keepAccessFile the access
// file stays as well, as a crash after the copy and before the migration
// leaves it.
func makeOldLayout(t *testing.T, path string, keepAccessFile bool) {
	t.Helper()
	schemaSQL, err := migrationFiles.ReadFile("access_migrations/0001_access_log.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	stmts := []string{string(schemaSQL),
		"ATTACH DATABASE '" + AccessLogPath(path) + "' AS a",
		"DELETE FROM main.access_log_state", "DELETE FROM main.access_index_state",
		"INSERT INTO main.access_log SELECT * FROM a.access_log",
		"INSERT INTO main.access_hashes SELECT * FROM a.access_hashes",
		"INSERT INTO main.access_checkpoints SELECT * FROM a.access_checkpoints",
		"INSERT INTO main.access_log_state SELECT * FROM a.access_log_state",
		"INSERT INTO main.access_person SELECT person, idx FROM a.access_log",
		"INSERT INTO main.access_index_state SELECT * FROM a.access_index_state",
		"DETACH DATABASE a",
		"DELETE FROM schema_migrations WHERE version = 16",
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	if !keepAccessFile {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(AccessLogPath(path) + suffix)
		}
	}
}

// checkLog checks that the store holds the log fillLog wrote, n entries.
func checkLog(t *testing.T, s *Store, n int64) {
	t.Helper()
	ctx := context.Background()
	if size, err := s.AccessLogSize(ctx); err != nil || size != n {
		t.Fatalf("size %d, %v; want %d", size, err, n)
	}
	es, err := s.AccessEntries(ctx, 0, n)
	if err != nil || int64(len(es)) != n || string(es[n-1].Data) != fmt.Sprintf("entry %d", n-1) {
		t.Fatalf("entries: %d, %v", len(es), err)
	}
	hs, err := s.AccessHashes(ctx, []int64{0, 2*n - 1})
	if err != nil || hs[1] != [32]byte{byte(n - 1), 1} {
		t.Fatalf("hashes %x, %v", hs, err)
	}
	if c, err := s.LatestCheckpoint(ctx); err != nil || c.Size != n {
		t.Fatalf("latest checkpoint %d, %v; want %d", c.Size, err, n)
	}
	if missing, err := s.MissingFromAccessIndex(ctx); err != nil || missing != -1 {
		t.Fatalf("missing from the person index: %d, %v", missing, err)
	}
	mine, err := s.PersonAccesses(ctx, store.AccessQuery{Person: []byte{1}, Limit: 1000})
	if err != nil || int64(len(mine)) != n/2 {
		t.Fatalf("person accesses: %d, %v; want %d", len(mine), err, n/2)
	}
}

// A file from before migration 0016 keeps its access log: Open moves it, person
// index and checkpoints too, to the access file and drops it from the
// registry's file; the log then grows in its new file.
func TestOpen_MovesAccessLogOutOfRegistryFile(t *testing.T) {
	for _, crashed := range []bool{false, true} {
		t.Run(fmt.Sprintf("copy_already_made=%v", crashed), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "dancu.db")
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			fillLog(t, s, 300)
			s.Close()
			makeOldLayout(t, path, crashed)
			if got := accessTablesIn(t, path); len(got) != 6 {
				t.Fatalf("old layout has tables %v", got)
			}

			s, err = Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := accessTablesIn(t, path); len(got) != 0 {
				t.Errorf("the registry's file still has %v", got)
			}
			checkLog(t, s, 300)
			fillLog(t, s, 10)
			checkLog(t, s, 310)
		})
	}
}

// Two different logs, one in each file, are not merged or overwritten: Open
// refuses and says so.
func TestOpen_RefusesTwoDifferentAccessLogs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dancu.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	fillLog(t, s, 20)
	s.Close()
	makeOldLayout(t, path, true)
	// The access file grows on after the copy: the two differ.
	s2, err := Open(ctx, filepath.Join(t.TempDir(), "other.db"), WithAccessLogPath(AccessLogPath(path)))
	if err != nil {
		t.Fatal(err)
	}
	fillLog(t, s2, 5)
	s2.Close()

	_, err = Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "both files hold an access log") {
		t.Fatalf("Open = %v, want a refusal naming both logs", err)
	}
	if got := accessTablesIn(t, path); len(got) != 6 {
		t.Errorf("the refused Open changed the registry's file: tables %v", got)
	}
}

// The access log is written to its own file only: the registry's file
// neither grows nor changes with appends.
func TestAccessLog_OwnFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "dancu.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// data_version changes on a connection when another commits to its file.
	var before int64
	conn, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&before); err != nil {
		t.Fatal(err)
	}
	fillLog(t, s, 50)
	var after int64
	if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("appends changed the registry's file (data_version %d → %d)", before, after)
	}
	if _, err := os.Stat(AccessLogPath(path)); err != nil {
		t.Errorf("no access file: %v", err)
	}
}

// WithAccessLogPath puts the log where it says, and nothing beside the
// registry's file; Restore puts a backup's log there too.
func TestAccessLog_ElsewhereAndRestoredThere(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dancu.db")
	elsewhere := filepath.Join(t.TempDir(), "log-disk", "log.db")
	os.MkdirAll(filepath.Dir(elsewhere), 0o700)
	s, err := Open(ctx, path, WithAccessLogPath(elsewhere))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fillLog(t, s, 12)
	if _, err := os.Stat(AccessLogPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a log file beside the registry's: %v", err)
	}
	if _, err := os.Stat(elsewhere); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "dancu.db")
	destLog := filepath.Join(t.TempDir(), "restored-log.db")
	if err := Restore(ctx, backup, dest, WithAccessLogPath(destLog)); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, dest, WithAccessLogPath(destLog))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkLog(t, r, 12)
}

// A backup is a pair of files; restoring it gives back the log too, and a
// backup refuses to overwrite either file.
func TestBackup_IncludesAccessLog(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	fillLog(t, s, 40)
	dir := t.TempDir()
	dest := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(AccessLogPath(dest), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, dest); !errors.Is(err, os.ErrExist) {
		t.Fatalf("Backup over an existing access file: %v", err)
	}
	os.Remove(AccessLogPath(dest))
	if err := s.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "dancu.db")
	if err := Restore(ctx, dest, restored); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkLog(t, r, 40)
}

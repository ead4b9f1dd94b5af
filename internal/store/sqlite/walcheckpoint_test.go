package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// The access file's writer leaves its WAL to the background checkpointer:
// its own automatic checkpoint is only a distant safety net, and the
// checkpointer copies the appends' pages into the file without a commit
// waiting for it.
func TestAccessFile_CheckpointsInBackground(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var auto int
	if err := s.log.w.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil {
		t.Fatal(err)
	}
	if auto != accessAutoCheckpoint {
		t.Fatalf("access writer's wal_autocheckpoint = %d, want %d", auto, accessAutoCheckpoint)
	}
	for range 5 {
		fillLog(t, s, 300)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.AccessWALCheckpoints().Pages == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no background checkpoint copied a page: %+v", s.AccessWALCheckpoints())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Everything the appends committed is readable through the file.
	if n, err := s.AccessLogSize(ctx); err != nil || n != 1500 {
		t.Fatalf("AccessLogSize = %d, %v; want 1500", n, err)
	}
}

// The person index's transactions skip the WAL sync, and hand the writer
// back to the appends syncing every commit again.
func TestIndexAccesses_LeavesWriterSynced(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	fillLog(t, s, 10)
	fillLog(t, s, 10)
	var mode int
	if err := s.log.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != 2 {
		t.Fatalf("access writer's synchronous = %d after indexing, want 2 (FULL)", mode)
	}
	got, err := s.PersonAccesses(ctx, store.AccessQuery{Person: []byte{1}, Limit: 100})
	if err != nil || len(got) != 10 {
		t.Fatalf("PersonAccesses = %d entries, %v; want 10", len(got), err)
	}
}

// Close may run twice (tests and deferred cleanups do).
func TestClose_Twice(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir()+"/dancu.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// The access file's writer keeps its statement journals in memory (the
// person index's INSERT ... SELECT); the registry's writer, whose sorts can
// be large, keeps temp_store's default.
func TestAccessFile_TempStoreInMemory(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var access, registry int
	if err := s.log.w.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&access); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&registry); err != nil {
		t.Fatal(err)
	}
	if access != 2 || registry != 0 {
		t.Errorf("temp_store: access writer %d, registry writer %d; want 2 (MEMORY) and 0 (default)", access, registry)
	}
}

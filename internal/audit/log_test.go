package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// openStore opens a fresh SQLite store and returns it with its file path.
func openStore(t testing.TB) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dancu.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// openLog opens a log with no background signer: tests sign when they mean to.
func openLog(t testing.TB, st audit.Store) *audit.Log {
	t.Helper()
	l, err := audit.Open(context.Background(), st, audit.Options{CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func access(pin string, i int) audit.Access {
	return audit.Access{
		ActorKind: "admin", Actor: "admin", Purpose: "registry.administration",
		PIN: pin, Fields: []string{"full_name", "birth_date"}, Action: "read",
		RequestID: fmt.Sprintf("req-%d", i),
	}
}

func record(t testing.TB, l *audit.Log, as ...audit.Access) {
	t.Helper()
	if err := l.Record(context.Background(), as...); err != nil {
		t.Fatalf("Record: %v", err)
	}
}

func hashes(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

// TestLog_proofsVerifyIndependently checks the log's checkpoints with
// note.Open and its proofs with transparency-dev/merkle, an RFC 6962
// implementation that shares no code with the log.
func TestLog_proofsVerifyIndependently(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	l := openLog(t, st)
	v, err := note.NewVerifier(l.VerifierKey())
	if err != nil {
		t.Fatalf("NewVerifier(%q): %v", l.VerifierKey(), err)
	}
	var leaves [][]byte
	var sizes []int64
	for round, n := range []int{1, 2, 5, 13, 64, 200} {
		for i := range n {
			record(t, l, access("079190000001", round*1000+i))
		}
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatalf("Checkpoint: %v", err)
		}
		n, err := note.Open(cp.Note, note.VerifierList(v))
		if err != nil {
			t.Fatalf("note.Open: %v", err)
		}
		parsed, err := audit.ParseCheckpoint([]byte(n.Text))
		if err != nil || parsed != cp.Checkpoint || parsed.Origin != audit.DefaultOrigin {
			t.Fatalf("checkpoint text parses to %+v, %v; want %+v", parsed, err, cp.Checkpoint)
		}
		sizes = append(sizes, cp.Size)
	}
	size := sizes[len(sizes)-1]
	es, err := st.AccessEntries(ctx, 0, size)
	if err != nil || int64(len(es)) != size {
		t.Fatalf("AccessEntries = %d, %v", len(es), err)
	}
	for _, e := range es {
		leaves = append(leaves, e.Data)
	}
	cp, _ := l.LatestCheckpoint(ctx)
	h := rfc6962.DefaultHasher
	for _, idx := range []int64{0, 1, 2, 7, 100, size - 1} {
		p, err := l.InclusionProof(ctx, idx, size)
		if err != nil {
			t.Fatalf("InclusionProof(%d): %v", idx, err)
		}
		if err := proof.VerifyInclusion(h, uint64(idx), uint64(size), h.HashLeaf(leaves[idx]), hashes(p), cp.Root[:]); err != nil {
			t.Errorf("entry %d: inclusion proof does not verify: %v", idx, err)
		}
	}
	roots := map[int64][]byte{}
	all, _ := st.Checkpoints(ctx, 0, 100)
	for _, c := range all {
		roots[c.Size] = c.Root[:]
	}
	for _, from := range sizes {
		p, err := l.ConsistencyProof(ctx, from, size)
		if err != nil {
			t.Fatalf("ConsistencyProof(%d, %d): %v", from, size, err)
		}
		if err := proof.VerifyConsistency(h, uint64(from), uint64(size), hashes(p), roots[from], cp.Root[:]); err != nil {
			t.Errorf("consistency %d→%d does not verify: %v", from, size, err)
		}
	}
	for _, tc := range []struct{ index, size int64 }{{0, size + 1}, {size, size}, {-1, size}, {0, 0}} {
		if _, err := l.InclusionProof(ctx, tc.index, tc.size); !errors.Is(err, audit.ErrRange) {
			t.Errorf("InclusionProof(%d, %d) = %v, want ErrRange", tc.index, tc.size, err)
		}
	}
	if _, err := l.ConsistencyProof(ctx, 0, size); !errors.Is(err, audit.ErrRange) {
		t.Errorf("ConsistencyProof(0, n) = %v, want ErrRange", err)
	}
	rep, err := l.Verify(ctx)
	if err != nil || rep.Size != size || rep.Root != cp.Root || rep.Checkpoints != len(sizes) {
		t.Errorf("Verify = %+v, %v; want size %d, root %v, %d checkpoints", rep, err, size, cp.Root, len(sizes))
	}
}

func TestLog_concurrentRecord(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	l := openLog(t, st)
	const writers, each = 64, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				pin := fmt.Sprintf("0791900%05d", w)
				if err := l.Record(ctx, access(pin, i), access(pin, -i)); err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 {
					if _, err := l.Checkpoint(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if n, _ := st.AccessLogSize(ctx); n != writers*each*2 {
		t.Fatalf("size = %d, want %d", n, writers*each*2)
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(ctx)
	if err != nil || rep.Size != writers*each*2 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	tr, err := l.Accesses(ctx, "079190000007", 0, 1000, audit.OfficerView)
	if err != nil || len(tr.Entries) != each*2 {
		t.Fatalf("Accesses = %d entries, %v; want %d", len(tr.Entries), err, each*2)
	}
}

func TestLog_recordRejectsIncompleteAccess(t *testing.T) {
	st, _ := openStore(t)
	l := openLog(t, st)
	for _, tc := range []struct {
		name string
		edit func(*audit.Access)
	}{
		{"no person", func(a *audit.Access) { a.PIN = "" }},
		{"no actor", func(a *audit.Access) { a.Actor = "" }},
		{"no action", func(a *audit.Access) { a.Action = "" }},
		{"no purpose", func(a *audit.Access) { a.Purpose = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := access("079190000001", 1)
			tc.edit(&a)
			if err := l.Record(context.Background(), a); err == nil {
				t.Error("Record: want an error")
			}
		})
	}
	l.Close()
	if err := l.Record(context.Background(), access("079190000001", 1)); !errors.Is(err, audit.ErrClosed) {
		t.Errorf("Record after Close = %v, want ErrClosed", err)
	}
}

// lyingStore returns corrupted stored hashes below a stored-hash index, as
// a store whose old rows someone rewrote would.
type lyingStore struct {
	audit.Store
	below int64
}

func (s lyingStore) AccessHashes(ctx context.Context, idx []int64) ([][32]byte, error) {
	hs, err := s.Store.AccessHashes(ctx, idx)
	for i, x := range idx {
		if err == nil && x < s.below {
			hs[i][0] ^= 0xff
		}
	}
	return hs, err
}

// TestLog_neverSignsInconsistentTree tampers with the tree in two ways after
// a checkpoint and checks that no later checkpoint is signed.
func TestLog_neverSignsInconsistentTree(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, st *sqlite.Store, path string) audit.Store
	}{
		{"old stored hashes rewritten", func(t *testing.T, st *sqlite.Store, path string) audit.Store {
			return lyingStore{Store: st, below: tlog.StoredHashCount(10)}
		}},
		{"new entry changed", func(t *testing.T, st *sqlite.Store, path string) audit.Store {
			tamperAccessLog(t, path, "UPDATE access_log SET data = CAST(replace(CAST(data AS TEXT), 'read', 'rEad') AS BLOB) WHERE idx = 12")
			return st
		}},
		{"new entry deleted", func(t *testing.T, st *sqlite.Store, path string) audit.Store {
			tamperAccessLog(t, path, "DELETE FROM access_log WHERE idx = 12")
			return st
		}},
		{"new entries swapped", func(t *testing.T, st *sqlite.Store, path string) audit.Store {
			tamperAccessLog(t, path, "UPDATE access_log SET idx = -1 WHERE idx = 12",
				"UPDATE access_log SET idx = 12 WHERE idx = 13", "UPDATE access_log SET idx = 13 WHERE idx = -1")
			return st
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, path := openStore(t)
			l := openLog(t, st)
			for i := range 10 {
				record(t, l, access("079190000001", i))
			}
			first, err := l.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				record(t, l, access("079190000001", 10+i))
			}
			l.Close()
			bad := tc.tamper(t, st, path)
			l2 := openLog(t, bad)
			_, err = l2.Checkpoint(ctx)
			if !errors.Is(err, audit.ErrInconsistent) {
				t.Errorf("Checkpoint = %v, want ErrInconsistent", err)
			}
			if bad := (*audit.BadEntryError)(nil); errors.As(err, &bad) && bad.Index != 12 {
				t.Errorf("Checkpoint names entry %d, want 12", bad.Index)
			}
			latest, err := st.LatestCheckpoint(ctx)
			if err != nil || latest.Size != first.Size {
				t.Errorf("latest checkpoint has size %d (%v), want the first one's %d", latest.Size, err, first.Size)
			}
		})
	}
}

// tamperAccessLog changes the access log's file behind the store's back, as an attacker with
// the file would.
func tamperAccessLog(t testing.TB, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+sqlite.AccessLogPath(path)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestVerify_tampering(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		stmts     []string
		wantIndex int64
	}{
		{"changed", []string{"UPDATE access_log SET data = CAST(replace(CAST(data AS TEXT), 'read', 'rEad') AS BLOB) WHERE idx = 7"}, 7},
		{"deleted", []string{"DELETE FROM access_log WHERE idx = 5"}, 5},
		{"last deleted", []string{"DELETE FROM access_log WHERE idx = 19"}, 19},
		{"swapped", []string{
			"UPDATE access_log SET idx = -1 WHERE idx = 3",
			"UPDATE access_log SET idx = 3 WHERE idx = 9",
			"UPDATE access_log SET idx = 9 WHERE idx = -1",
		}, 3},
		{"refiled under another person", []string{"UPDATE access_log SET person = (SELECT person FROM access_log WHERE idx = 0) WHERE idx = 11"}, 11},
		{"dropped from the person index", []string{ // the run that starts at 13 (see below) loses its blocks
			"DELETE FROM access_person_blocks WHERE run = (SELECT run FROM access_person_runs WHERE lo = 13)"}, 13},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, path := openStore(t)
			// No background indexer: it would cut the index's runs
			// elsewhere than at 13 whenever it ran between the appends.
			l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for i := range 20 {
				record(t, l, access(fmt.Sprintf("07919000%04d", i%3), i))
			}
			if _, err := l.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{13, 1000} { // two runs on SQLite: [0, 13) and [13, 20)
				if _, err := st.IndexAccesses(ctx, n); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := l.Verify(ctx); err != nil {
				t.Fatalf("Verify before tampering: %v", err)
			}
			tamperAccessLog(t, path, tc.stmts...)
			_, err = l.Verify(ctx)
			var bad *audit.BadEntryError
			if !errors.As(err, &bad) || bad.Index != tc.wantIndex {
				t.Fatalf("Verify = %v, want a bad entry at %d", err, tc.wantIndex)
			}
			if !errors.Is(err, audit.ErrInconsistent) {
				t.Errorf("Verify error %v does not match ErrInconsistent", err)
			}
		})
	}
}

func TestLog_accessesWithProofs(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	day := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, Now: func() time.Time { return day }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const pin, other = "079190000001", "079190000002"
	sealed := access(pin, 2)
	sealed.CaseRef, sealed.SealedUntil = "case-9", "2026-12-31"
	expired := access(pin, 3)
	expired.CaseRef, expired.SealedUntil = "case-1", "2026-04-30"
	record(t, l, access(pin, 0), access(other, 1), sealed)
	record(t, l, expired, access(other, 4))
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	record(t, l, access(pin, 5)) // after the checkpoint: no proof yet

	for _, tc := range []struct {
		name        string
		view        audit.View
		wantIndexes []int64
		wantSealed  []bool
	}{
		{"officer", audit.OfficerView, []int64{5, 3, 2, 0}, []bool{false, false, true, false}},
		{"citizen", audit.CitizenView, []int64{5, 3, 0}, []bool{false, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := l.Accesses(ctx, pin, 0, 10, tc.view)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Checkpoint == nil || tr.Checkpoint.Size != cp.Size {
				t.Fatalf("listing checkpoint = %+v, want size %d", tr.Checkpoint, cp.Size)
			}
			var got []int64
			var gotSealed []bool
			for _, e := range tr.Entries {
				got, gotSealed = append(got, e.Index), append(gotSealed, e.Sealed)
				if e.Access.PIN != "" {
					t.Errorf("entry %d carries a PIN", e.Index)
				}
				if e.Index >= cp.Size {
					if e.Proof != nil {
						t.Errorf("entry %d is newer than the checkpoint but has a proof", e.Index)
					}
					continue
				}
				h := rfc6962.DefaultHasher
				if err := proof.VerifyInclusion(h, uint64(e.Index), uint64(cp.Size), h.HashLeaf(e.Leaf), hashes(e.Proof), cp.Root[:]); err != nil {
					t.Errorf("entry %d: %v", e.Index, err)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.wantIndexes) || fmt.Sprint(gotSealed) != fmt.Sprint(tc.wantSealed) {
				t.Errorf("entries %v sealed %v, want %v sealed %v", got, gotSealed, tc.wantIndexes, tc.wantSealed)
			}
		})
	}
	page, err := l.Accesses(ctx, pin, 0, 2, audit.OfficerView)
	if err != nil || len(page.Entries) != 2 || page.NextBefore != 3 {
		t.Fatalf("first page = %+v, %v; want 2 entries and next before 3", page, err)
	}
	page, err = l.Accesses(ctx, pin, page.NextBefore, 2, audit.OfficerView)
	if err != nil || len(page.Entries) != 2 || page.Entries[0].Index != 2 {
		t.Fatalf("second page = %+v, %v; want entries 2 and 0", page, err)
	}
}

// TestLog_noPINInClear greps the database file for the PINs of the
// accesses recorded: the log keeps pseudonyms only.
func TestLog_noPINInClear(t *testing.T) {
	ctx := context.Background()
	st, path := openStore(t)
	l := openLog(t, st)
	pins := []string{"079190000123", "001085004567", "048203998877"}
	for i, p := range pins {
		record(t, l, access(p, i))
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(path + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pins {
			if bytes.Contains(b, []byte(p)) {
				t.Errorf("%s contains PIN %s", filepath.Base(f), p)
			}
		}
	}
}

func TestLog_keysPersist(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	l1 := openLog(t, st)
	record(t, l1, access("079190000001", 1))
	cp, err := l1.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l1.Close()
	l2 := openLog(t, st)
	if l2.VerifierKey() != l1.VerifierKey() {
		t.Errorf("verifier key changed across restarts")
	}
	if !bytes.Equal(l2.Pseudonym("079190000001"), l1.Pseudonym("079190000001")) {
		t.Errorf("pseudonym changed across restarts")
	}
	record(t, l2, access("079190000001", 2))
	cp2, err := l2.Checkpoint(ctx)
	if err != nil || cp2.Size != cp.Size+1 {
		t.Errorf("Checkpoint after restart = %+v, %v", cp2, err)
	}
	if _, err := audit.Open(ctx, st, audit.Options{Origin: "other.example/log", CheckpointEvery: -1}); err == nil {
		t.Error("Open with another origin than the key's: want an error")
	}
	var _ store.AccessLog = st
}

// TestLog_unindexedEntriesListed stops the process between the commit of
// entries and their indexing (the indexer is off, as if killed before it
// ran): listings are complete all the same, Verify passes, and after a
// restart the indexer catches up while entries appended since stay listed.
func TestLog_unindexedEntriesListed(t *testing.T) {
	ctx := context.Background()
	st, path := openStore(t)
	const pin, other = "079190000001", "079190000002"
	listing := func(l *audit.Log) []int64 {
		t.Helper()
		tr, err := l.Accesses(ctx, pin, 0, 100, audit.OfficerView)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, e := range tr.Entries {
			got = append(got, e.Index)
		}
		return got
	}
	indexed := func() int64 {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+sqlite.AccessLogPath(path)+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int64
		if err := db.QueryRow("SELECT indexed FROM access_index_state").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		p := pin
		if i%2 == 1 {
			p = other
		}
		record(t, l, access(p, i))
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(listing(l)), "[8 6 4 2 0]"; got != want {
		t.Errorf("listing before indexing = %s, want %s", got, want)
	}
	if n := indexed(); n != 0 {
		t.Fatalf("indexed = %d with the indexer off", n)
	}
	if _, err := l.Verify(ctx); err != nil {
		t.Errorf("Verify before indexing: %v", err)
	}
	l.Close()

	// Restart: the indexer catches up at once, in batches of 3.
	l, err = audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, IndexEvery: time.Hour, IndexBatch: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for deadline := time.Now().Add(10 * time.Second); indexed() != 10; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("indexed = %d after restart, want 10", indexed())
		}
	}
	record(t, l, access(pin, 10), access(other, 11)) // the new tail
	if got, want := fmt.Sprint(listing(l)), "[10 8 6 4 2 0]"; got != want {
		t.Errorf("listing after restart = %s, want %s", got, want)
	}
	if _, err := l.Verify(ctx); err != nil {
		t.Errorf("Verify after restart: %v", err)
	}
}

// TestLog_twoWritersOneStore has two logs, each over its own handle on one
// SQLite file, append at once, as a server and an operator's command do:
// every entry lands exactly once and the tree verifies.
func TestLog_twoWritersOneStore(t *testing.T) {
	ctx := context.Background()
	st1, path := openStore(t)
	st2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	logs := []*audit.Log{openLog(t, st1), openLog(t, st2)}
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		l := logs[w%2]
		wg.Go(func() {
			for i := range each {
				if err := l.Record(ctx, access(fmt.Sprintf("0791900%05d", w), i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n, _ := st1.AccessLogSize(ctx); n != writers*each {
		t.Fatalf("size = %d, want %d", n, writers*each)
	}
	for i, l := range logs {
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatalf("log %d: checkpoint: %v", i, err)
		}
	}
	rep, err := logs[0].Verify(ctx)
	if err != nil || rep.Size != writers*each || rep.Checkpoints < 1 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}

package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	accessLogTests = []conformanceTest{
		{"AccessLogEmpty", testAccessLogEmpty},
		{"AccessLogAppendAndRead", testAccessLogAppendAndRead},
		{"AccessLogLeaves", testAccessLogLeaves},
		{"AccessLogAppendConflict", testAccessLogAppendConflict},
		{"AccessLogHashBlocks", testAccessLogHashBlocks},
		{"AccessLogPersonAccesses", testAccessLogPersonAccesses},
		{"AccessLogIndexAccesses", testAccessLogIndexAccesses},
		{"AccessLogIndexInManySteps", testAccessLogIndexInManySteps},
		{"AccessLogCheckpoints", testAccessLogCheckpoints},
		{"AccessLogConcurrentAppendersNoGap", testAccessLogConcurrentAppenders},
	}
}

// hashOf is a recognisable fake hash for stored-hash index i: the store does
// not interpret hashes, so any 32 bytes do.
func hashOf(i int64) [32]byte {
	var h [32]byte
	copy(h[:], fmt.Sprintf("hash-%026d", i))
	return h
}

// accessBatch builds a batch of n entries at first, about people[i%len], with
// hashCount stored hashes before it and two hashes per entry (the exact count
// is the audit package's business; the store only checks contiguity).
func accessBatch(first, hashStart int64, n int, people ...string) store.AccessBatch {
	b := store.AccessBatch{First: first, HashStart: hashStart}
	for i := range n {
		idx := first + int64(i)
		b.Entries = append(b.Entries, store.AccessEntry{
			Index:  idx,
			Person: []byte(people[int(idx)%len(people)]),
			Data:   []byte(fmt.Sprintf("entry %d", idx)),
		})
		b.Hashes = append(b.Hashes, hashOf(hashStart+2*int64(i)), hashOf(hashStart+2*int64(i)+1))
	}
	return b
}

func testAccessLogEmpty(t *testing.T, s store.Store) {
	ctx := context.Background()
	if n, err := s.AccessLogSize(ctx); n != 0 || err != nil {
		t.Errorf("AccessLogSize = %d, %v; want 0", n, err)
	}
	if _, err := s.LatestCheckpoint(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LatestCheckpoint = %v, want ErrNotFound", err)
	}
	if _, err := s.AccessHashes(ctx, []int64{0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccessHashes(0) = %v, want ErrNotFound", err)
	}
	if es, err := s.AccessEntries(ctx, 0, 10); len(es) != 0 || err != nil {
		t.Errorf("AccessEntries = %v, %v; want none", es, err)
	}
}

func testAccessLogAppendAndRead(t *testing.T, s store.Store) {
	ctx := context.Background()
	b1 := accessBatch(0, 0, 3, "p1", "p2")
	b2 := accessBatch(3, 6, 4, "p1", "p2")
	for _, b := range []store.AccessBatch{b1, b2} {
		if err := s.AppendAccess(ctx, b); err != nil {
			t.Fatalf("AppendAccess(%d): %v", b.First, err)
		}
	}
	if n, err := s.AccessLogSize(ctx); n != 7 || err != nil {
		t.Errorf("AccessLogSize = %d, %v; want 7", n, err)
	}
	got, err := s.AccessEntries(ctx, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]store.AccessEntry{}, b1.Entries[2:]...), b2.Entries[:2]...)
	if len(got) != len(want) {
		t.Fatalf("AccessEntries(2, 5) = %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Index != want[i].Index || !bytes.Equal(got[i].Person, want[i].Person) || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	hs, err := s.AccessHashes(ctx, []int64{13, 0, 7, 6})
	if err != nil {
		t.Fatal(err)
	}
	for i, idx := range []int64{13, 0, 7, 6} {
		if hs[i] != hashOf(idx) {
			t.Errorf("AccessHashes[%d] (index %d) = %q, want %q", i, idx, hs[i][:], hashOf(idx))
		}
	}
	if _, err := s.AccessHashes(ctx, []int64{14}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccessHashes(14) = %v, want ErrNotFound", err)
	}
}

func testAccessLogAppendConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.AppendAccess(ctx, accessBatch(0, 0, 2, "p")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    store.AccessBatch
	}{
		{"same index again", accessBatch(0, 0, 1, "p")},
		{"gap", accessBatch(3, 4, 1, "p")},
		{"hash count behind", accessBatch(2, 3, 1, "p")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.AppendAccess(ctx, tc.b); !errors.Is(err, store.ErrConflict) {
				t.Errorf("AppendAccess = %v, want ErrConflict", err)
			}
		})
	}
	bad := accessBatch(2, 4, 2, "p")
	bad.Entries[1].Index = 9
	if err := s.AppendAccess(ctx, bad); err == nil {
		t.Error("AppendAccess with a misnumbered entry: want an error")
	}
	if n, _ := s.AccessLogSize(ctx); n != 2 {
		t.Errorf("size after refused appends = %d, want 2", n)
	}
	if es, _ := s.AccessEntries(ctx, 0, 100); len(es) != 2 {
		t.Errorf("%d entries after refused appends, want 2", len(es))
	}
}

// testAccessLogHashBlocks appends batches whose hashes straddle the
// backends' block boundaries in every way and reads every hash back.
func testAccessLogHashBlocks(t *testing.T, s store.Store) {
	ctx := context.Background()
	var first, hashes int64
	for _, n := range []int{1, 127, 128, 1, 300, 5, 600} {
		b := accessBatch(first, hashes, n, "p")
		if err := s.AppendAccess(ctx, b); err != nil {
			t.Fatalf("AppendAccess(%d, %d): %v", first, n, err)
		}
		first += int64(n)
		hashes += int64(2 * n)
	}
	idx := make([]int64, hashes)
	for i := range idx {
		idx[i] = int64(i)
	}
	got, err := s.AccessHashes(ctx, idx)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range got {
		if h != hashOf(int64(i)) {
			t.Fatalf("hash %d = %q, want %q", i, h[:], hashOf(int64(i)))
		}
	}
}

func testAccessLogPersonAccesses(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.AppendAccess(ctx, accessBatch(0, 0, 10, "alice", "bob")); err != nil {
		t.Fatal(err)
	}
	indexes := func(q store.AccessQuery) []int64 {
		t.Helper()
		es, err := s.PersonAccesses(ctx, q)
		if err != nil {
			t.Fatalf("PersonAccesses: %v", err)
		}
		var out []int64
		for _, e := range es {
			if string(e.Person) != string(q.Person) {
				t.Errorf("entry %d is about %q, not %q", e.Index, e.Person, q.Person)
			}
			out = append(out, e.Index)
		}
		return out
	}
	// The listing is the same whether the person index covers none, part
	// or all of the entries: the unindexed tail is scanned.
	for _, step := range []struct {
		name  string
		index int // entries IndexAccesses may add before the cases run
		want  int64
	}{
		{"unindexed", 0, 0},
		{"partly indexed", 3, 3},
		{"more indexed", 2, 5},
		{"indexed", 100, 10},
	} {
		if step.index > 0 {
			got, err := s.IndexAccesses(ctx, step.index)
			if err != nil || got != step.want {
				t.Fatalf("%s: IndexAccesses(%d) = %d, %v; want %d", step.name, step.index, got, err, step.want)
			}
		}
		for _, tc := range []struct {
			name string
			q    store.AccessQuery
			want []int64
		}{
			{"all newest first", store.AccessQuery{Person: []byte("alice"), Limit: 100}, []int64{8, 6, 4, 2, 0}},
			{"limit", store.AccessQuery{Person: []byte("bob"), Limit: 2}, []int64{9, 7}},
			{"limit across the tail", store.AccessQuery{Person: []byte("alice"), Limit: 3}, []int64{8, 6, 4}},
			{"before", store.AccessQuery{Person: []byte("bob"), Before: 7, Limit: 100}, []int64{5, 3, 1}},
			{"before 1", store.AccessQuery{Person: []byte("alice"), Before: 1, Limit: 100}, []int64{0}},
			{"nobody", store.AccessQuery{Person: []byte("carol"), Limit: 100}, nil},
		} {
			t.Run(step.name+"/"+tc.name, func(t *testing.T) {
				got := indexes(tc.q)
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
	}
}

// testAccessLogIndexAccesses checks that indexing stops at the log's size,
// picks up entries appended later, and indexes each entry once when several
// indexers run at once.
func testAccessLogIndexAccesses(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.IndexAccesses(ctx, 0); err == nil {
		t.Error("IndexAccesses(0): want an error")
	}
	if got, err := s.IndexAccesses(ctx, 10); got != 0 || err != nil {
		t.Fatalf("IndexAccesses on an empty log = %d, %v; want 0", got, err)
	}
	if err := s.AppendAccess(ctx, accessBatch(0, 0, 50, "alice", "bob", "carol")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				n, err := s.IndexAccesses(ctx, 7)
				if err != nil {
					t.Errorf("IndexAccesses: %v", err)
					return
				}
				if n == 50 {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := s.AppendAccess(ctx, accessBatch(50, 100, 5, "alice", "bob", "carol")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.IndexAccesses(ctx, 1000); got != 55 || err != nil {
		t.Fatalf("IndexAccesses = %d, %v; want 55", got, err)
	}
	es, err := s.PersonAccesses(ctx, store.AccessQuery{Person: []byte("carol"), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, e := range es {
		got = append(got, e.Index)
	}
	var want []int64
	for i := int64(54); i >= 0; i-- {
		if i%3 == 2 {
			want = append(want, i)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("carol's entries = %v, want %v", got, want)
	}
	if got, err := s.MissingFromAccessIndex(ctx); got != -1 || err != nil {
		t.Errorf("MissingFromAccessIndex = %d, %v; want -1", got, err)
	}
}

// testAccessLogIndexInManySteps indexes a log of 700 entries one entry at a
// time, then a few at a time, so that a store that keeps its index in runs
// merges them over several levels (the SQLite store's fan-in is 16), and
// checks that every person's entries are listed whole and in order, page by
// page, from every stage, and that the index check finds nothing missing.
func testAccessLogIndexInManySteps(t *testing.T, s store.Store) {
	ctx := context.Background()
	people := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}
	const n = 700
	for first := int64(0); first < n; first += 100 {
		if err := s.AppendAccess(ctx, accessBatch(first, 2*first, 100, people...)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(stage string) {
		t.Helper()
		for k, p := range people {
			var got []int64
			for before := int64(0); ; {
				es, err := s.PersonAccesses(ctx, store.AccessQuery{Person: []byte(p), Before: before, Limit: 13})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					if string(e.Person) != p || string(e.Data) != fmt.Sprintf("entry %d", e.Index) {
						t.Fatalf("%s: %s's listing holds entry %d of %q: %q", stage, p, e.Index, e.Person, e.Data)
					}
					got = append(got, e.Index)
				}
				if len(es) < 13 {
					break
				}
				before = es[len(es)-1].Index
			}
			var want []int64
			for i := int64(n - 1); i >= 0; i-- {
				if i%int64(len(people)) == int64(k) {
					want = append(want, i)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s: %s's entries = %v, want %v", stage, p, got, want)
			}
		}
		if got, err := s.MissingFromAccessIndex(ctx); got != -1 || err != nil {
			t.Fatalf("%s: MissingFromAccessIndex = %d, %v; want -1", stage, got, err)
		}
	}
	for step, want := range []struct{ by, upTo int64 }{{1, 300}, {5, 600}, {64, n}} {
		for i := int64(0); ; i++ {
			got, err := s.IndexAccesses(ctx, int(want.by))
			if err != nil {
				t.Fatal(err)
			}
			if got >= want.upTo {
				break
			}
			if i > n {
				t.Fatalf("IndexAccesses stuck at %d", got)
			}
		}
		check(fmt.Sprintf("step %d", step))
	}
}

func testAccessLogCheckpoints(t *testing.T, s store.Store) {
	ctx := context.Background()
	cp := func(size int64) store.Checkpoint {
		var root [32]byte
		copy(root[:], fmt.Sprintf("root %d", size))
		return store.Checkpoint{Size: size, Root: root, Note: []byte(fmt.Sprintf("note %d\n", size)), SignedAt: t0}
	}
	for _, size := range []int64{1, 5, 9} {
		if err := s.PutCheckpoint(ctx, cp(size)); err != nil {
			t.Fatalf("PutCheckpoint(%d): %v", size, err)
		}
	}
	if err := s.PutCheckpoint(ctx, cp(9)); !errors.Is(err, store.ErrExists) {
		t.Errorf("PutCheckpoint(9) again = %v, want ErrExists", err)
	}
	if err := s.PutCheckpoint(ctx, cp(7)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("PutCheckpoint(7) after 9 = %v, want ErrConflict", err)
	}
	got, err := s.LatestCheckpoint(ctx)
	want := cp(9)
	if err != nil || got.Size != want.Size || got.Root != want.Root || !bytes.Equal(got.Note, want.Note) {
		t.Errorf("LatestCheckpoint = %+v, %v; want %+v", got, err, want)
	}
	if got.SignedAt.Unix() != t0.Unix() {
		t.Errorf("SignedAt = %v, want %v", got.SignedAt, t0)
	}
	list, err := s.Checkpoints(ctx, 1, 10)
	if err != nil || len(list) != 2 || list[0].Size != 5 || list[1].Size != 9 {
		t.Errorf("Checkpoints(after 1) = %+v, %v; want sizes 5, 9", list, err)
	}
	if list, _ := s.Checkpoints(ctx, 0, 1); len(list) != 1 || list[0].Size != 1 {
		t.Errorf("Checkpoints(limit 1) = %+v; want size 1", list)
	}
}

// testAccessLogConcurrentAppenders has several writers race for the same
// next index: exactly one wins each round, the others get ErrConflict, and
// the log never has a gap or a duplicate.
func testAccessLogConcurrentAppenders(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, rounds = 4, 10
	var mu sync.Mutex // guards nothing in the store: only the test's counters
	var size int64
	for range rounds {
		mu.Lock()
		first := size
		mu.Unlock()
		var wg sync.WaitGroup
		wins := make([]bool, writers)
		for w := range writers {
			wg.Go(func() {
				err := s.AppendAccess(ctx, accessBatch(first, 2*first, 3, fmt.Sprint("w", w)))
				if err != nil && !errors.Is(err, store.ErrConflict) {
					t.Errorf("AppendAccess: %v", err)
				}
				wins[w] = err == nil
			})
		}
		wg.Wait()
		n := 0
		for _, w := range wins {
			if w {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d writers won the append at %d, want 1", n, first)
		}
		size += 3
	}
	es, err := s.AccessEntries(ctx, 0, size+10)
	if err != nil || int64(len(es)) != size {
		t.Fatalf("AccessEntries = %d entries, %v; want %d", len(es), err, size)
	}
	for i, e := range es {
		if e.Index != int64(i) {
			t.Fatalf("entry %d has index %d", i, e.Index)
		}
	}
}

// testAccessLogLeaves reads ranges of entries' data with AccessLeaves,
// among them data that is not text (NUL, invalid UTF-8, empty), and checks
// them against AccessEntries.
func testAccessLogLeaves(t *testing.T, s store.Store) {
	ctx := context.Background()
	if l, err := s.AccessLeaves(ctx, 0, 10); l.Len() != 0 || len(l.Data) != 0 || err != nil {
		t.Errorf("AccessLeaves of the empty log = %d leaves, %v; want none", l.Len(), err)
	}
	b := accessBatch(0, 0, 300, "p1", "p2", "p3")
	b.Entries[1].Data = []byte{0, 'a', 0, 0xff, 0xfe, '\n', ','}
	b.Entries[2].Data = []byte{}
	b.Entries[3].Data = bytes.Repeat([]byte("\xc3\x28 long "), 500)
	if err := s.AppendAccess(ctx, b); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ from, to int64 }{{0, 300}, {0, 1}, {1, 4}, {2, 3}, {100, 250}, {299, 300}, {250, 1000}, {300, 400}, {5, 5}, {7, 6}} {
		l, err := s.AccessLeaves(ctx, r.from, r.to)
		if err != nil {
			t.Fatalf("AccessLeaves(%d, %d): %v", r.from, r.to, err)
		}
		want := max(0, min(r.to, 300)-r.from)
		if int64(l.Len()) != want {
			t.Fatalf("AccessLeaves(%d, %d) = %d leaves, want %d", r.from, r.to, l.Len(), want)
		}
		for i := range l.Len() {
			if w := b.Entries[r.from+int64(i)].Data; !bytes.Equal(l.Leaf(i), w) {
				t.Errorf("AccessLeaves(%d, %d) leaf %d = %q, want %q", r.from, r.to, i, l.Leaf(i), w)
			}
		}
	}
}

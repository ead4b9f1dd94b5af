package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	directoryTests = []conformanceTest{
		{"DirRecordNotFound", testDirRecordNotFound},
		{"DirRecordCreateReplace", testDirRecordCreateReplace},
		{"DirRecordConflict", testDirRecordConflict},
		{"DirRecordConcurrentReplace", testDirRecordConcurrentReplace},
		{"DirRecordsByParent", testDirRecordsByParent},
		{"NonceSingleUse", testNonceSingleUse},
		{"NonceExpiredReusable", testNonceExpiredReusable},
		{"NonceConcurrent", testNonceConcurrent},
	}
}

// SharedOpener returns two handles on one new, empty database, as two
// processes sharing it would have; the backend's test closes both and
// removes the database when the test ends.
type SharedOpener func(t *testing.T) (store.Store, store.Store)

// RunShared runs the cases that need two handles on one database: what one
// process writes, another must see and respect.
func RunShared(t *testing.T, open SharedOpener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b store.Store)
	}{
		{"NonceReplayAcrossHandles", testNonceAcrossHandles},
		{"DirRecordAcrossHandles", testDirRecordAcrossHandles},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			tc.fn(t, a, b)
		})
	}
}

func putDir(t *testing.T, s store.Store, r store.DirRecord) {
	t.Helper()
	if err := s.PutDirRecord(context.Background(), r); err != nil {
		t.Fatalf("PutDirRecord(%s/%s v%d): %v", r.Kind, r.ID, r.Version, err)
	}
}

func testDirRecordNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.DirRecord(ctx, "agency", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DirRecord: err = %v, want ErrNotFound", err)
	}
	rs, err := s.DirRecords(ctx, "agency", "")
	if err != nil || len(rs) != 0 {
		t.Errorf("DirRecords = %v, %v; want none", rs, err)
	}
}

func testDirRecordCreateReplace(t *testing.T, s store.Store) {
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	putDir(t, s, store.DirRecord{Kind: "client", ID: "c1", Parent: "a1", Version: 1, Data: []byte(`{"n":1}`)})
	got, err := s.DirRecord(ctx, "client", "c1")
	if err != nil {
		t.Fatalf("DirRecord: %v", err)
	}
	if got.Kind != "client" || got.ID != "c1" || got.Parent != "a1" || got.Version != 1 || string(got.Data) != `{"n":1}` {
		t.Errorf("DirRecord = %+v", got)
	}
	if got.UpdatedAt.Before(before) || got.UpdatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("UpdatedAt = %v, want about now", got.UpdatedAt)
	}
	// The same id under another kind is another record.
	putDir(t, s, store.DirRecord{Kind: "agency", ID: "c1", Version: 1, Data: []byte(`{}`)})

	putDir(t, s, store.DirRecord{Kind: "client", ID: "c1", Parent: "a2", Version: 2, Data: []byte(`{"n":2}`)})
	got, err = s.DirRecord(ctx, "client", "c1")
	if err != nil {
		t.Fatalf("DirRecord: %v", err)
	}
	if got.Version != 2 || got.Parent != "a2" || string(got.Data) != `{"n":2}` {
		t.Errorf("after replace: %+v", got)
	}
	if a, err := s.DirRecord(ctx, "agency", "c1"); err != nil || a.Version != 1 {
		t.Errorf("agency c1 = %+v, %v; want untouched version 1", a, err)
	}
}

func testDirRecordConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	putDir(t, s, store.DirRecord{Kind: "grant", ID: "g", Version: 1, Data: []byte(`1`)})
	tests := []struct {
		name    string
		version int64
		want    error
	}{
		{"create again", 1, store.ErrExists},
		{"skip a version", 3, store.ErrConflict},
		{"stale", 2, nil},
		{"same version twice", 2, store.ErrConflict},
	}
	for _, tc := range tests {
		err := s.PutDirRecord(ctx, store.DirRecord{Kind: "grant", ID: "g", Version: tc.version, Data: []byte(`x`)})
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: PutDirRecord(v%d) = %v, want %v", tc.name, tc.version, err, tc.want)
		}
	}
	if err := s.PutDirRecord(ctx, store.DirRecord{Kind: "grant", ID: "missing", Version: 2}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("replace of a missing record = %v, want ErrConflict", err)
	}
	got, err := s.DirRecord(ctx, "grant", "g")
	if err != nil || got.Version != 2 {
		t.Errorf("DirRecord = %+v, %v; want version 2", got, err)
	}
}

func testDirRecordConcurrentReplace(t *testing.T, s store.Store) {
	ctx := context.Background()
	putDir(t, s, store.DirRecord{Kind: "staff", ID: "s", Version: 1})
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.PutDirRecord(ctx, store.DirRecord{Kind: "staff", ID: "s", Version: 2, Data: []byte(fmt.Sprint(i))})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("PutDirRecord: %v, want nil or ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d writers of version 2 succeeded, want 1", won)
	}
}

func testDirRecordsByParent(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Written out of order, so that the order read back is the store's.
	for _, r := range []store.DirRecord{
		{Kind: "client", ID: "c3", Parent: "a1"},
		{Kind: "client", ID: "c1", Parent: "a2"},
		{Kind: "client", ID: "c2", Parent: "a1"},
		{Kind: "client", ID: "C0", Parent: "a1"},
		{Kind: "grant", ID: "c0", Parent: "a1"},
	} {
		r.Version = 1
		putDir(t, s, r)
	}
	ids := func(rs []store.DirRecord) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		kind, parent string
		want         []string
	}{
		{"client", "", []string{"C0", "c1", "c2", "c3"}},
		{"client", "a1", []string{"C0", "c2", "c3"}},
		{"client", "a2", []string{"c1"}},
		{"client", "a3", nil},
		{"grant", "a1", []string{"c0"}},
		{"staff", "", nil},
	}
	for _, tc := range tests {
		rs, err := s.DirRecords(ctx, tc.kind, tc.parent)
		if err != nil {
			t.Fatalf("DirRecords(%s, %s): %v", tc.kind, tc.parent, err)
		}
		if got := ids(rs); !slices.Equal(got, tc.want) {
			t.Errorf("DirRecords(%s, %q) = %v, want %v", tc.kind, tc.parent, got, tc.want)
		}
	}
}

func testNonceSingleUse(t *testing.T, s store.Store) {
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	if err := s.UseNonce(ctx, "client:a", "jti-1", exp); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := s.UseNonce(ctx, "client:a", "jti-1", exp); !errors.Is(err, store.ErrExists) {
		t.Errorf("replay: err = %v, want ErrExists", err)
	}
	// Scopes are separate: another client may pick the same jti.
	if err := s.UseNonce(ctx, "client:b", "jti-1", exp); err != nil {
		t.Errorf("other scope: %v", err)
	}
}

func testNonceExpiredReusable(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.UseNonce(ctx, "sc", "old", time.Now().Add(-time.Second)); err != nil {
		t.Fatalf("use with a past expiry: %v", err)
	}
	if err := s.UseNonce(ctx, "sc", "old", time.Now().Add(time.Minute)); err != nil {
		t.Errorf("reuse after expiry: %v", err)
	}
	if err := s.UseNonce(ctx, "sc", "old", time.Now().Add(time.Minute)); !errors.Is(err, store.ErrExists) {
		t.Errorf("replay of the renewed value: err = %v, want ErrExists", err)
	}
	if err := s.UseNonce(ctx, "sc", "short", time.Now().Add(50*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.UseNonce(ctx, "sc", "short", time.Now().Add(time.Minute)); err != nil {
		t.Errorf("reuse after the value ran out: %v", err)
	}
}

func testNonceConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = s.UseNonce(ctx, "sc", "race", time.Now().Add(time.Minute)) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrExists):
			t.Errorf("UseNonce: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent uses succeeded, want 1", ok, n)
	}
}

func testNonceAcrossHandles(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	if err := a.UseNonce(ctx, "client:x", "jti", exp); err != nil {
		t.Fatalf("use on a: %v", err)
	}
	if err := b.UseNonce(ctx, "client:x", "jti", exp); !errors.Is(err, store.ErrExists) {
		t.Errorf("replay on b: err = %v, want ErrExists", err)
	}
	// Both at once, from both handles: one wins.
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { errA = a.UseNonce(ctx, "client:x", "jti-2", exp) })
	wg.Go(func() { errB = b.UseNonce(ctx, "client:x", "jti-2", exp) })
	wg.Wait()
	if (errA == nil) == (errB == nil) {
		t.Errorf("concurrent uses on two handles: %v, %v; want exactly one nil", errA, errB)
	}
	for _, err := range []error{errA, errB} {
		if err != nil && !errors.Is(err, store.ErrExists) {
			t.Errorf("UseNonce: %v, want ErrExists", err)
		}
	}
}

func testDirRecordAcrossHandles(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	putDir(t, a, store.DirRecord{Kind: "client", ID: "c", Parent: "p", Version: 1, Data: []byte(`{"status":"active"}`)})
	putDir(t, b, store.DirRecord{Kind: "client", ID: "c", Parent: "p", Version: 2, Data: []byte(`{"status":"disabled"}`)})
	got, err := a.DirRecord(ctx, "client", "c")
	if err != nil || got.Version != 2 || string(got.Data) != `{"status":"disabled"}` {
		t.Errorf("a sees %+v, %v; want b's version 2", got, err)
	}
	if err := a.PutDirRecord(ctx, store.DirRecord{Kind: "client", ID: "c", Version: 2}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale write on a: %v, want ErrConflict", err)
	}
}

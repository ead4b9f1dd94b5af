package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	keyTests = []conformanceTest{{"DataKeys", testDataKeys}}
}

var keyTests []conformanceTest

// testDataKeys covers store.DataKeys: ids are taken once, rows come back in
// id order, and a re-wrap happens only over the wrapping it expects.
func testDataKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	// A store that seals its documents (package sealed) holds its own keys
	// already: the test's keys come after them.
	before, err := s.DataKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var base int64
	for _, k := range before {
		base = max(base, k.ID)
	}
	for _, k := range []store.DataKey{
		{ID: base + 2, Purpose: "data", KEKID: "kek-a", Wrapped: []byte{2}, CreatedAt: at},
		{ID: base + 1, Purpose: "index", KEKID: "kek-a", Wrapped: []byte{1}, CreatedAt: at},
	} {
		if err := s.AddDataKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddDataKey(ctx, store.DataKey{ID: base + 2, Purpose: "data", KEKID: "kek-b", Wrapped: []byte{9}, CreatedAt: at}); !errors.Is(err, store.ErrExists) {
		t.Errorf("AddDataKey of a taken id = %v, want ErrExists", err)
	}
	if err := s.RewrapDataKey(ctx, "kek-a", store.DataKey{ID: base + 2, KEKID: "kek-b", Wrapped: []byte{22}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RewrapDataKey(ctx, "kek-a", store.DataKey{ID: base + 2, KEKID: "kek-c", Wrapped: []byte{23}}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("RewrapDataKey over a changed wrapping = %v, want ErrConflict", err)
	}
	if err := s.RewrapDataKey(ctx, "kek-a", store.DataKey{ID: base + 7, KEKID: "kek-b", Wrapped: []byte{7}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RewrapDataKey of a missing key = %v, want ErrNotFound", err)
	}
	keys, err := s.DataKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys = keys[len(before):]
	want := []store.DataKey{
		{ID: base + 1, Purpose: "index", KEKID: "kek-a", Wrapped: []byte{1}, CreatedAt: at},
		{ID: base + 2, Purpose: "data", KEKID: "kek-b", Wrapped: []byte{22}, CreatedAt: at},
	}
	if len(keys) != len(want) {
		t.Fatalf("DataKeys = %+v, want %+v", keys, want)
	}
	for i := range want {
		g, w := keys[i], want[i]
		if g.ID != w.ID || g.Purpose != w.Purpose || g.KEKID != w.KEKID || string(g.Wrapped) != string(w.Wrapped) || !g.CreatedAt.Equal(w.CreatedAt) {
			t.Errorf("DataKeys[%d] = %+v, want %+v", i, g, w)
		}
	}
}

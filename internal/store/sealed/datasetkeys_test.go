package sealed_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sealed"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// testDatasetKeys runs a store from keys in clear to blind-indexed keys:
// records written before (keys and documents in clear) are found by key,
// paged and listed by PIN while some are moved and some not; an upsert of
// an old key moves its record instead of adding a second one; the
// re-seal pass, stopped half-way and run again, moves the rest, keeping
// versions; afterwards a repeated push changes nothing and no key is left
// in clear.
func testDatasetKeys(t *testing.T, backend store.Store) {
	ctx := context.Background()
	const pin = "079190000001"
	keys := []string{"0912000001", "0912000002", "0912000003", "C-77", "C-78"}
	var recs []store.DatasetRecord
	for _, k := range keys {
		recs = append(recs, store.DatasetRecord{Dataset: "d", Key: k, PIN: pin, Source: "s",
			Hash: []byte("h-" + k), Data: []byte(`{"k":"` + k + `"}`)})
	}
	if _, err := backend.UpsertDatasetRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	kf, err := seal.CreateKeyFile(filepath.Join(t.TempDir(), "dancu.keys"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sealed.Open(ctx, backend, kf)
	if err != nil {
		t.Fatal(err)
	}
	stored := func() []string {
		t.Helper()
		rs, err := backend.DatasetRecords(ctx, "d", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.Key)
		}
		return out
	}
	all := func(what string) {
		t.Helper()
		// By key.
		for _, k := range keys {
			r, err := st.DatasetRecord(ctx, "d", k)
			if err != nil || r.Key != k || string(r.Data) != `{"k":"`+k+`"}` {
				t.Fatalf("%s: record %s = %+v, %v", what, k, r, err)
			}
		}
		if _, err := st.DatasetRecord(ctx, "d", "0912000009"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: a key never written = %v, want ErrNotFound", what, err)
		}
		// By PIN, in the order of the agency's keys.
		rs, err := st.DatasetRecordsByPIN(ctx, "d", pin)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.Key)
		}
		if !slices.Equal(got, keys) {
			t.Errorf("%s: by PIN %v, want %v", what, got, keys)
		}
		// Paged one at a time, each record exactly once.
		got = nil
		after := ""
		for range 20 {
			page, err := st.DatasetRecords(ctx, "d", after, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page[0].Key)
			after = page[0].Key
		}
		slices.Sort(got)
		if !slices.Equal(got, keys) {
			t.Errorf("%s: paged %v, want each of %v once", what, got, keys)
		}
	}
	all("all in clear")
	if yes, err := backend.HasClearDatasetKeys(ctx, "d"); err != nil || !yes {
		t.Errorf("HasClearDatasetKeys before the pass = %t, %v; want true", yes, err)
	}

	// Strict mode refuses a record under its key in clear.
	strict := sealed.New(backend, st.Keyring(), sealed.Strict(true))
	if _, err := strict.DatasetRecordsByPIN(ctx, "d", pin); !errors.Is(err, sealed.ErrClear) || strings.Contains(err.Error(), "0912") {
		t.Errorf("strict read of clear keys = %v, want ErrClear without the key", err)
	}

	// An upsert of an old key moves the record: one row, the next version.
	c, err := st.UpsertDatasetRecords(ctx, []store.DatasetRecord{{Dataset: "d", Key: keys[0], PIN: pin, Source: "s",
		Hash: []byte("h2-" + keys[0]), Data: []byte(`{"k":"` + keys[0] + `","v":2}`)}})
	if err != nil || c.Updated != 1 {
		t.Fatalf("upsert of a clear key = %+v, %v; want 1 updated", c, err)
	}
	if r, err := st.DatasetRecord(ctx, "d", keys[0]); err != nil || r.Version != 2 || !strings.Contains(string(r.Data), `"v":2`) {
		t.Fatalf("moved record = %+v, %v; want version 2 with the new content", r, err)
	}
	if s := stored(); len(s) != len(keys) || slices.Contains(s, keys[0]) {
		t.Fatalf("stored keys after the move = %q: want %d, %s gone", s, len(keys), keys[0])
	}
	// Back to the first content, so that all() reads what it expects.
	if _, err := st.UpsertDatasetRecords(ctx, recs[:1]); err != nil {
		t.Fatal(err)
	}
	all("one moved")

	// A pass stopped after its first batch, as by a crash, then run again.
	stop, cancel := context.WithCancel(ctx)
	res, err := st.Reseal(stop, sealed.ResealOptions{Batch: 1, Progress: func(sealed.ResealProgress) { cancel() }})
	cancel()
	if !errors.Is(err, context.Canceled) || res.Rekeyed != 1 {
		t.Fatalf("stopped pass = %+v, %v; want 1 moved and context.Canceled", res, err)
	}
	all("one moved by the pass")
	res, err = st.Reseal(ctx, sealed.ResealOptions{Batch: 2})
	if err != nil || res.Rekeyed != int64(len(keys)-2) || res.Left != 0 {
		t.Fatalf("pass = %+v, %v; want %d moved, none left", res, err, len(keys)-2)
	}
	for _, k := range stored() {
		if !strings.HasPrefix(k, store.BlindKeyMark) || strings.Contains(k, "0912") || strings.Contains(k, "C-7") {
			t.Errorf("stored key %q is not a blind index", k)
		}
	}
	if left, err := backend.ClearDatasetKeys(ctx, "", "", 10); err != nil || len(left) != 0 {
		t.Errorf("keys left in clear: %d, %v", len(left), err)
	}
	for _, ds := range []string{"d", "c", "e"} { // before and after "d" in key order too
		if yes, err := backend.HasClearDatasetKeys(ctx, ds); err != nil || yes {
			t.Errorf("HasClearDatasetKeys(%s) after the pass = %t, %v; want false", ds, yes, err)
		}
	}
	all("all moved")
	fresh, err := sealed.Open(ctx, backend, kf, sealed.Strict(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys[1:] {
		if r, err := fresh.DatasetRecord(ctx, "d", k); err != nil || r.Version != 1 {
			t.Errorf("record %s after the pass = version %d, %v; want version 1 (kept)", k, r.Version, err)
		}
	}
	// The same push again changes nothing: the pass turned the bare
	// content hashes into the keyed ones an upsert compares with.
	if c, err := fresh.UpsertDatasetRecords(ctx, recs); err != nil || c.Unchanged != len(keys) {
		t.Errorf("repeated push after the pass = %+v, %v; want all unchanged", c, err)
	}
	if s := stored(); len(s) != len(keys) {
		t.Errorf("stored %d records, want %d", len(s), len(keys))
	}
}

func TestDatasetKeys_SQLite(t *testing.T) {
	backend, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	testDatasetKeys(t, backend)
}

func TestDatasetKeys_Postgres(t *testing.T) {
	backend, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	testDatasetKeys(t, backend)
}

package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	keyTests = []conformanceTest{{"DataKeys", testDataKeys}, {"Documents", testDocuments}, {"DocumentsIntegerRows", testDocumentsIntegerRows}}
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

// rawDocs pages through every stored document of col, limit at a time.
func rawDocs(t *testing.T, s store.Store, col store.DocumentColumn, skip []byte, limit int) []store.StoredDocument {
	t.Helper()
	var all []store.StoredDocument
	var after []string
	for range 100 {
		page, err := s.StoredDocuments(context.Background(), col, after, skip, limit)
		if err != nil {
			t.Fatalf("StoredDocuments(%s): %v", col, err)
		}
		if len(page) > limit {
			t.Fatalf("StoredDocuments(%s) returned %d documents, over the limit %d", col, len(page), limit)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Row
	}
	t.Fatal("StoredDocuments never ends")
	return nil
}

// testDocuments covers store.Documents on a text-keyed column: pages in
// key order without the empty documents, the skip prefix, a replace only
// over the bytes read, counts by prefix, and the deletion of a data key.
// It compares stored bytes only, so it holds for a sealing store too.
func testDocuments(t *testing.T, s store.Store) {
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	for _, id := range []string{"r3", "r1", "r5", "r2", "r4", "r0"} {
		r := authReq(id, exp)
		r.Data = []byte(`{"doc":"` + id + `"}`)
		if id == "r0" {
			r.Data = []byte{}
		}
		if err := s.PutOIDCAuthRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	col := store.DocOIDCAuthRequests
	docs := rawDocs(t, s, col, nil, 2)
	raw := map[string][]byte{}
	var order []string
	for _, d := range docs {
		if len(d.Row) != 1 || len(d.Key) != 1 || d.Row[0] != d.Key[0] {
			t.Fatalf("document row %q key %q, want one id in both", d.Row, d.Key)
		}
		order = append(order, d.Key[0])
		raw[d.Key[0]] = d.Doc
	}
	if fmt.Sprint(order) != "[r1 r2 r3 r4 r5]" {
		t.Fatalf("documents in order %v, want [r1 r2 r3 r4 r5] (the empty r0 left out)", order)
	}
	if got := rawDocs(t, s, col, raw["r2"], 10); len(got) != 4 || got[1].Key[0] != "r3" {
		t.Errorf("skipping r2's bytes returned %d documents, want the 4 others", len(got))
	}
	n, err := s.ReplaceDocuments(ctx, col, []store.DocumentSwap{
		{Row: []string{"r1"}, Old: raw["r1"], New: []byte("new-1")},
		{Row: []string{"r2"}, Old: []byte("not what is stored"), New: []byte("new-2")},
		{Row: []string{"r9"}, Old: raw["r3"], New: []byte("new-9")},
	})
	if err != nil || n != 1 {
		t.Fatalf("ReplaceDocuments = %d, %v; want 1 (only r1 still holds what was read)", n, err)
	}
	after := rawDocs(t, s, col, nil, 10)
	if string(after[0].Doc) != "new-1" || !bytes.Equal(after[1].Doc, raw["r2"]) || !bytes.Equal(after[2].Doc, raw["r3"]) {
		t.Errorf("after the replace: r1 %q, r2 changed %t, r3 changed %t", after[0].Doc, !bytes.Equal(after[1].Doc, raw["r2"]), !bytes.Equal(after[2].Doc, raw["r3"]))
	}
	counts, err := s.CountDocuments(ctx, col, []byte("new-"), 1)
	if err != nil || len(counts) != 2 || counts["1"] != 1 || counts[""] != 4 {
		t.Errorf(`CountDocuments = %v, %v; want {"1": 1, "": 4}`, counts, err)
	}
	if err := s.PurgeReplaced(ctx, true); err != nil {
		t.Errorf("PurgeReplaced: %v", err)
	}

	// Dataset records carry their content hash as the document's Index: a
	// replace sets it when given one and keeps it otherwise.
	if _, err := s.UpsertDatasetRecords(ctx, []store.DatasetRecord{
		{Dataset: "d", Key: "k1", PIN: "079190000001", Source: "s", Hash: []byte("h1"), Data: []byte(`{"a":1}`)},
		{Dataset: "d", Key: "k2", PIN: "079190000001", Source: "s", Hash: []byte("h2"), Data: []byte(`{"a":2}`)},
	}); err != nil {
		t.Fatal(err)
	}
	recs := rawDocs(t, s, store.DocDatasetRecords, nil, 10)
	if len(recs) != 2 || len(recs[0].Index) == 0 || bytes.Equal(recs[0].Index, recs[1].Index) {
		t.Fatalf("dataset documents = %+v, want two with their own Index", recs)
	}
	if n, err := s.ReplaceDocuments(ctx, store.DocDatasetRecords, []store.DocumentSwap{
		{Row: recs[0].Row, Old: recs[0].Doc, New: []byte("x1"), NewIndex: []byte("i1")},
		{Row: recs[1].Row, Old: recs[1].Doc, New: []byte("x2")},
	}); err != nil || n != 2 {
		t.Fatalf("ReplaceDocuments of dataset records = %d, %v", n, err)
	}
	again := rawDocs(t, s, store.DocDatasetRecords, nil, 10)
	if string(again[0].Index) != "i1" || !bytes.Equal(again[1].Index, recs[1].Index) || string(again[1].Doc) != "x2" {
		t.Errorf("after the replace: index %q and %q (kept: %t), document %q", again[0].Index, again[1].Index,
			bytes.Equal(again[1].Index, recs[1].Index), again[1].Doc)
	}
	if docs := rawDocs(t, s, col, nil, 10); docs[0].Index != nil {
		t.Errorf("a column without a digest returned Index %q", docs[0].Index)
	}

	keys, err := s.DataKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := int64(len(keys)) + 10
	if err := s.AddDataKey(ctx, store.DataKey{ID: id, Purpose: "data", KEKID: "kek-a", Wrapped: []byte{1}, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataKey(ctx, id); err != nil {
		t.Fatalf("DeleteDataKey: %v", err)
	}
	if err := s.DeleteDataKey(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteDataKey of a deleted key = %v, want ErrNotFound", err)
	}
	if again, err := s.DataKeys(ctx); err != nil || len(again) != len(keys) {
		t.Errorf("DataKeys after the delete: %d keys, %v; want the %d from before", len(again), err, len(keys))
	}
}

// testDocumentsIntegerRows pages through a column whose rows are keyed by
// a number: the cursor compares as a number (10 after 9), not as text.
func testDocumentsIntegerRows(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 12 {
		if err := s.AppendEIDEvent(ctx, store.EIDEvent{AccountID: fmt.Sprintf("acct-%d", i%3), At: time.Now().UTC().Truncate(time.Microsecond),
			Type: "t", Data: []byte(fmt.Sprintf(`{"i":%d}`, i))}); err != nil {
			t.Fatal(err)
		}
	}
	docs := rawDocs(t, s, store.DocEIDEvents, nil, 5)
	if len(docs) != 12 {
		t.Fatalf("%d documents, want 12", len(docs))
	}
	for i, d := range docs {
		if want := fmt.Sprintf("acct-%d", i%3); len(d.Key) != 1 || d.Key[0] != want {
			t.Errorf("document %d bound to %q, want %s", i, d.Key, want)
		}
	}
	n, err := s.ReplaceDocuments(ctx, store.DocEIDEvents, []store.DocumentSwap{{Row: docs[10].Row, Old: docs[10].Doc, New: []byte("x")}})
	if err != nil || n != 1 {
		t.Errorf("ReplaceDocuments of row %q = %d, %v; want 1", docs[10].Row, n, err)
	}
}

package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	datasetTests = []conformanceTest{
		{"DatasetUpsertCounts", testDatasetUpsertCounts},
		{"DatasetUpsertLarge", testDatasetUpsertLarge},
		{"DatasetReads", testDatasetReads},
		{"DatasetExistingPINs", testDatasetExistingPINs},
		{"DatasetCoverage", testDatasetCoverage},
	}
}

func dsRec(dataset, key, pin, content string) store.DatasetRecord {
	return store.DatasetRecord{
		Dataset: dataset, Key: key, PIN: pin, Source: "vss",
		Hash: []byte("h:" + content), Data: []byte(`{"c":"` + content + `"}`),
	}
}

func upsert(t *testing.T, s store.Store, recs ...store.DatasetRecord) store.UpsertCounts {
	t.Helper()
	c, err := s.UpsertDatasetRecords(context.Background(), recs)
	if err != nil {
		t.Fatalf("UpsertDatasetRecords: %v", err)
	}
	return c
}

func testDatasetUpsertCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		recs []store.DatasetRecord
		want store.UpsertCounts
	}{
		{"new records are inserted", []store.DatasetRecord{dsRec("si", "k1", "079190000001", "a"), dsRec("si", "k2", "079190000002", "b")}, store.UpsertCounts{Inserted: 2}},
		{"the same content is unchanged", []store.DatasetRecord{dsRec("si", "k1", "079190000001", "a"), dsRec("si", "k2", "079190000002", "b")}, store.UpsertCounts{Unchanged: 2}},
		{"changed content is updated", []store.DatasetRecord{dsRec("si", "k1", "079190000001", "a2"), dsRec("si", "k3", "079190000003", "c")}, store.UpsertCounts{Inserted: 1, Updated: 1}},
		{"the same key in another dataset is another record", []store.DatasetRecord{dsRec("pp", "k1", "079190000001", "a")}, store.UpsertCounts{Inserted: 1}},
	}
	var before store.DatasetRecord
	for i, tc := range tests {
		if i == 2 {
			var err error
			if before, err = s.DatasetRecord(ctx, "si", "k1"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond) // so that a new updated_at shows
		}
		if got := upsert(t, s, tc.recs...); got != tc.want {
			t.Errorf("%s: counts = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	after, err := s.DatasetRecord(ctx, "si", "k1")
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != 2 || string(after.Data) != `{"c":"a2"}` || !after.UpdatedAt.After(before.UpdatedAt) {
		t.Errorf("after change: version %d, data %s, updated %v (before %v); want version 2, the new data, a later time",
			after.Version, after.Data, after.UpdatedAt, before.UpdatedAt)
	}
	k2, err := s.DatasetRecord(ctx, "si", "k2")
	if err != nil {
		t.Fatal(err)
	}
	if k2.Version != 1 || k2.Source != "vss" || k2.PIN != "079190000002" || len(k2.Hash) == 0 {
		t.Errorf("unchanged record = %+v, want version 1 as first written", k2)
	}
	if _, err := s.DatasetRecord(ctx, "si", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing record: err = %v, want ErrNotFound", err)
	}
}

// testDatasetUpsertLarge crosses the backends' internal chunk sizes.
func testDatasetUpsertLarge(t *testing.T, s store.Store) {
	const n = 1000
	recs := make([]store.DatasetRecord, n)
	for i := range recs {
		recs[i] = dsRec("veh", fmt.Sprintf("k%04d", i), fmt.Sprintf("0791900%05d", i), "v")
	}
	if got, want := upsert(t, s, recs...), (store.UpsertCounts{Inserted: n}); got != want {
		t.Errorf("first upload: %+v, want %+v", got, want)
	}
	for i := 0; i < n; i += 3 {
		recs[i] = dsRec("veh", fmt.Sprintf("k%04d", i), fmt.Sprintf("0791900%05d", i), "w")
	}
	if got, want := upsert(t, s, recs...), (store.UpsertCounts{Updated: 334, Unchanged: n - 334}); got != want {
		t.Errorf("second upload: %+v, want %+v", got, want)
	}
}

func testDatasetReads(t *testing.T, s store.Store) {
	ctx := context.Background()
	upsert(t, s, dsRec("veh", "b", "079190000001", "1"), dsRec("veh", "a", "079190000001", "2"),
		dsRec("veh", "c", "079190000002", "3"), dsRec("other", "z", "079190000001", "4"))
	got, err := s.DatasetRecordsByPIN(ctx, "veh", "079190000001")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range got {
		keys = append(keys, r.Key)
	}
	if want := []string{"a", "b"}; !slices.Equal(keys, want) {
		t.Errorf("DatasetRecordsByPIN keys = %v, want %v", keys, want)
	}
	none, err := s.DatasetRecordsByPIN(ctx, "veh", "079190000009")
	if err != nil || len(none) != 0 {
		t.Errorf("DatasetRecordsByPIN of nobody = %v, %v; want empty, nil", none, err)
	}
}

func testDatasetExistingPINs(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, person("079190000001", 1, "an", change("e1", "2020-01-01", t0)),
		person("079190000002", 1, "binh", change("e2", "2020-01-01", t0)))
	got, err := s.ExistingPINs(ctx, []string{"079190000002", "079190000003", "079190000001"})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"079190000001", "079190000002"}; !slices.Equal(got, want) {
		t.Errorf("ExistingPINs = %v, want %v", got, want)
	}
	if got, err := s.ExistingPINs(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("ExistingPINs(nil) = %v, %v", got, err)
	}
}

func testDatasetCoverage(t *testing.T, s store.Store) {
	ctx := context.Background()
	dead := person("079190000003", 1, "chi", change("e3", "2020-01-01", t0))
	dead.State = "dead"
	put(t, s, person("079190000001", 1, "an", change("e1", "2020-01-01", t0)),
		person("079190000002", 1, "binh", change("e2", "2020-01-01", t0)), dead)
	upsert(t, s,
		dsRec("si", "1", "079190000001", "x"), dsRec("si", "2", "079190000001", "y"), // one person twice
		dsRec("si", "3", "079190000003", "z"), // dead
		dsRec("si", "4", "079190000099", "w"), // not on the registry
		dsRec("veh", "1", "079190000002", "v"))
	got, living, err := s.DatasetCoverage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DatasetCoverage{
		{Dataset: "si", Records: 4, LinkedLiving: 1},
		{Dataset: "veh", Records: 1, LinkedLiving: 1},
	}
	if !slices.Equal(got, want) || living != 2 {
		t.Errorf("DatasetCoverage = %+v, %d; want %+v, 2", got, living, want)
	}
}

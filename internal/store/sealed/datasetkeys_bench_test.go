package sealed_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sealed/sealedtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// BenchmarkDatasetRecords measures the sealed SQLite store's dataset
// records, 10,000 of them keyed like phone numbers: a batch of 1,000
// upserted with every record changed (updated) or as it is (unchanged), and
// one record read by its key. It uses only the store's interface, so it
// runs the same on a release before keys were blind-indexed, for a side by
// side comparison.
func BenchmarkDatasetRecords(b *testing.B) {
	ctx := context.Background()
	backend, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "dancu.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer backend.Close()
	st := sealedtest.Wrap(b, backend)
	const n, batch = 10_000, 1000
	recs := func(round int) []store.DatasetRecord {
		out := make([]store.DatasetRecord, n)
		for i := range out {
			doc := fmt.Sprintf(`{"carrier":"viettel","status":"active","round":%d}`, round)
			out[i] = store.DatasetRecord{Dataset: "telecom", Key: fmt.Sprintf("09%08d", i*7919%100_000_000), PIN: fmt.Sprintf("0791%08d", i),
				Source: "carrier", Hash: []byte(doc), Data: []byte(doc)}
		}
		return out
	}
	all := recs(0)
	for i := 0; i < n; i += batch {
		if _, err := st.UpsertDatasetRecords(ctx, all[i:i+batch]); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("upsert-updated", func(b *testing.B) {
		round := 0
		for b.Loop() {
			round++
			rs := recs(round)
			i := (round * batch) % n
			if c, err := st.UpsertDatasetRecords(ctx, rs[i:i+batch]); err != nil || c.Updated != batch {
				b.Fatalf("%+v %v", c, err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("upsert-unchanged", func(b *testing.B) {
		rs := recs(-1)
		if _, err := st.UpsertDatasetRecords(ctx, rs[:batch]); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if c, err := st.UpsertDatasetRecords(ctx, rs[:batch]); err != nil || c.Unchanged != batch {
				b.Fatalf("%+v %v", c, err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("by-key", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := st.DatasetRecord(ctx, "telecom", all[i%n].Key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

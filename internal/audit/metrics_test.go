package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The write path's histograms count what happened: one Record of three
// accesses is one wait, at least one commit of three entries, and the
// indexer's transactions.
func TestLog_Metrics(t *testing.T) {
	st, _ := openStore(t)
	l := openLog(t, st)
	ctx := context.Background()
	if err := l.Record(ctx, access("079190000001", 1), access("079190000001", 2), access("079190000001", 3)); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(l.Collectors()...)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := histogramCounts(t, reg)
		if got["dancu_access_log_record_seconds"] == 1 && got["dancu_access_log_commit_seconds"] >= 1 &&
			got["dancu_access_log_commit_entries"] >= 1 && got["dancu_access_log_index_seconds"] >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("histogram counts %v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func histogramCounts(t *testing.T, g prometheus.Gatherer) map[string]uint64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				out[mf.GetName()] += h.GetSampleCount()
			}
		}
	}
	return out
}

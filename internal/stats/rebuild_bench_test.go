package stats_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/dancu/dancu/internal/stats"
)

// BenchmarkRebuild rebuilds the analytics store from a generated SQLite
// registry of DANCU_STATS_REBUILD_PEOPLE people (20,000 by default) and
// reports the people copied per second.
func BenchmarkRebuild(b *testing.B) {
	n := 20000
	if v := os.Getenv("DANCU_STATS_REBUILD_PEOPLE"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	f := newFixture(b, n)
	for b.Loop() {
		st, err := stats.Rebuild(context.Background(), f.st, f.an, f.ps, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.People)/st.Elapsed.Seconds(), "people/s")
	}
}

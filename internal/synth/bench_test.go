package synth

import (
	"context"
	"syscall"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

// cpuTime returns the CPU time the process has used, in nanoseconds: on a
// shared machine it says more about the generator's cost than wall time.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkGenerate measures producing encoded batches without a store: the
// generator's share of a `dancu generate` run.
func BenchmarkGenerate(b *testing.B) {
	const n = 100_000
	b.ReportAllocs()
	var people int
	c0 := cpuTime()
	for b.Loop() {
		st, err := Batches(context.Background(), Options{Citizens: n, Seed: 1}, func(store.Batch) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		people += st.People
	}
	b.ReportMetric(float64(people)/b.Elapsed().Seconds(), "people/s")
	b.ReportMetric(float64(cpuTime()-c0)/float64(people), "cpu-ns/person")
}

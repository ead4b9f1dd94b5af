package linkage

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// cpuNow returns the process's CPU time (user and system, all threads), so
// that benchmarks on a shared machine report work, not waiting.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRun links 100,000 synthetic people with 1% duplicates; it
// reports the CPU time per run beside the wall time.
func BenchmarkRun(b *testing.B) {
	recs, _ := testbedRecords(b, 100000, 0.01, 11)
	b.ResetTimer()
	cpu := cpuNow()
	for b.Loop() {
		if _, err := Run(context.Background(), recs, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N)/1e9, "cpu-s/op")
}

// BenchmarkRecordOf prepares registry records for linkage (the part of a
// batch that scales with the registry, not with the pairs).
func BenchmarkRecordOf(b *testing.B) {
	people := testbedPeople(b, 20000, 11)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuNow()
	i := 0
	for b.Loop() {
		RecordOf(people[i%len(people)])
		i++
	}
	b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkCompare compares candidate pairs as a batch does.
func BenchmarkCompare(b *testing.B) {
	recs, _ := testbedRecords(b, 20000, 0.01, 11)
	b.ResetTimer()
	cpu := cpuNow()
	i := 0
	for b.Loop() {
		Compare(&recs[i%len(recs)], &recs[(i*7+1)%len(recs)])
		i++
	}
	b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N), "cpu-ns/op")
}

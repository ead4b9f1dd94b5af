package linkage

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/synth"
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

// BenchmarkScreen checks a registration against a registry of 100,000
// synthetic people (SQLite), as a birth or initial registration does
// before it allocates a PIN: one call of Screen.PossibleDuplicates for a
// person like one on record (so that the searches find their blocks).
func BenchmarkScreen(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "d.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := synth.Generate(ctx, st, synth.Options{Citizens: 100000, Seed: 5}); err != nil {
		b.Fatal(err)
	}
	rows, err := st.SearchPersons(ctx, store.PersonQuery{Limit: 1000})
	if err != nil {
		b.Fatal(err)
	}
	people := make([]registry.Person, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal(r.Data, &people[i]); err != nil {
			b.Fatal(err)
		}
		people[i].PIN = "" // a new registration has none
	}
	s := NewScreen(NewService(st), slog.New(slog.DiscardHandler))
	b.ResetTimer()
	cpu := cpuNow()
	i := 0
	for b.Loop() {
		if _, err := s.PossibleDuplicates(ctx, &people[i%len(people)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

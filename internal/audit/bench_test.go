package audit_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/cputime"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
)

// BenchmarkLog_Record measures sustained appends on SQLite (synchronous=FULL)
// from many concurrent callers, each waiting for its entry to be durable,
// with the background signer signing a checkpoint every second. Run it with
// a fixed count so that it is sustained, e.g. -benchtime=500000x.
func BenchmarkLog_Record(b *testing.B) {
	st, _ := openStore(b)
	benchmarkRecord(b, st)
}

// BenchmarkLog_RecordPostgres is BenchmarkLog_Record on PostgreSQL (a fresh
// database on the server named by DANCU_TEST_POSTGRES; skipped without it).
func BenchmarkLog_RecordPostgres(b *testing.B) {
	benchmarkRecord(b, openPostgres(b))
}

// openPostgres opens a store on a fresh database (skipping without
// DANCU_TEST_POSTGRES), closed when the benchmark ends.
func openPostgres(b *testing.B) *postgres.Store {
	st, err := postgres.Open(context.Background(), pgtest.NewDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func benchmarkRecord(b *testing.B, st audit.Store) {
	ctx := context.Background()
	l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var n atomic.Int64
	b.SetParallelism(benchCallersPerCPU) // requests in flight, as an HTTP server has
	b.ResetTimer()
	start := time.Now()
	cpu0 := cputime.Process()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if err := l.Record(ctx, access(fmt.Sprintf("0791900%05d", i%50000), int(i))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	// The signer kept up: one last checkpoint covers everything.
	cp, err := l.Checkpoint(ctx)
	if err != nil || cp.Size != int64(b.N) {
		b.Fatalf("final checkpoint = %d, %v; want %d", cp.Size, err, b.N)
	}
	// The CPU counts the work the entries caused, wherever it ran: the
	// last checkpoint, and the person index caught up (by Close, and here
	// if Close's time ran out), so that a faster append that leaves more
	// indexing behind does not look cheaper.
	l.Close()
	if n, err := st.IndexAccesses(ctx, 1<<30); err != nil || n != int64(b.N) {
		b.Fatalf("person index reaches %d, %v; want %d", n, err, b.N)
	}
	cpu := cputime.Process() - cpu0
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "entries/s")
	// All the process's CPU (callers, writer, signer, indexer, SQLite) per
	// entry: what two idle cores would allow is 2 s / this.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1000, "cpu-µs/entry")
	cps, _ := st.Checkpoints(ctx, 0, 1<<20)
	b.ReportMetric(float64(len(cps)), "checkpoints")
}

// benchCallersPerCPU is the number of concurrent callers per CPU. By Little's
// law a server doing 50,000 accesses/s at 10-40 ms each has 500-2,000 in
// flight.
const benchCallersPerCPU = 1024

// BenchmarkLog_RecordLatency measures how long one Record waits for its
// entry to be durable with a fixed number of callers in flight, as an HTTP
// server with that many connections has them: the latency an answer pays
// for its access-log entry. The background signer and indexer run as in
// serve. Run it with a fixed count, e.g. -benchtime=20000x.
func BenchmarkLog_RecordLatency(b *testing.B) {
	for _, callers := range []int{1, 32, 256} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			st, _ := openStore(b)
			benchmarkRecordLatency(b, st, callers)
		})
	}
}

// BenchmarkLog_RecordLatencyPostgres is BenchmarkLog_RecordLatency on
// PostgreSQL (skipped without DANCU_TEST_POSTGRES).
func BenchmarkLog_RecordLatencyPostgres(b *testing.B) {
	for _, callers := range []int{1, 32, 256} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			benchmarkRecordLatency(b, openPostgres(b), callers)
		})
	}
}

func benchmarkRecordLatency(b *testing.B, st audit.Store, callers int) {
	ctx := context.Background()
	l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if err := l.Record(ctx, access(fmt.Sprintf("0791900%05d", i%50000), int(i))); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(ms(1), "max-ms")
}

package duckstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/stats"
)

// rssBytes is the process's resident set size, from /proc.
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkFeedMemory feeds small batches (20 changed people, an event
// and a traffic count each, as the feed applies under steady traffic) as fast as it can for
// DANCU_STATS_BENCH_FEED (2m by default), with the pre-aggregates of one
// day held, and logs every 10 s the process's RSS, DuckDB's own account
// of the memory it holds (duckdb_memory()) and Go's heap: a cache levels
// off at DuckDB's memory_limit (DANCU_STATS_BENCH_MEMORY), a leak does not.
func BenchmarkFeedMemory(b *testing.B) {
	d := 2 * time.Minute
	if v := os.Getenv("DANCU_STATS_BENCH_FEED"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			b.Fatal(err)
		}
	}
	s := benchStore(b, benchPeople(b))
	ctx := context.Background()
	if _, err := s.Preaggregate(ctx, time.Now().UTC(), 1); err != nil {
		b.Fatal(err)
	}
	pool := changedPeople(b, s, min(20_000, benchPeople(b)), 1000)
	var limit string
	s.db.QueryRow(`SELECT current_setting('memory_limit')`).Scan(&limit)
	sample := func(at time.Duration, batches int) {
		var duck int64
		s.db.QueryRow(`SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory()`).Scan(&duck)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "%4.0fs %6d batches: RSS %4d MiB, DuckDB %4d MiB (memory_limit %s), Go heap in use %3d MiB\n",
			at.Seconds(), batches, rssBytes()>>20, duck>>20, limit, ms.HeapInuse>>20)
	}
	for b.Loop() {
		start, next := time.Now(), time.Duration(0)
		for i := 0; time.Since(start) < d; i++ {
			if el := time.Since(start); el >= next {
				sample(el, i)
				next += 10 * time.Second
			}
			batch := stats.Batch{Cursor: int64(i + 1), Created: time.Now()}
			for j := range 20 {
				p := pool[(i*20+j)%len(pool)]
				p.Version = int64(1000 + i)
				batch.People = append(batch.People, p)
			}
			p := batch.People[0]
			batch.Events = []stats.Event{{ID: p.ID, Version: p.Version, Kind: stats.EventMove, Day: time.Now().UTC().Truncate(24 * time.Hour),
				Sex: p.Sex, BirthYear: p.BirthYear, BirthMD: p.BirthMD, Province: p.Province, Commune: p.Commune}}
			// What the feeder does each step: read both cursors, apply a
			// batch, add the access log's traffic.
			if _, err := s.Cursor(ctx); err != nil {
				b.Fatal(err)
			}
			if _, err := s.AccessCursor(ctx); err != nil {
				b.Fatal(err)
			}
			if err := s.Apply(ctx, batch); err != nil {
				b.Fatal(err)
			}
			traffic := []stats.Traffic{{Agency: "agency-" + strconv.Itoa(i%50), Day: batch.Events[0].Day, Action: "read", N: 3}}
			if err := s.AddTraffic(ctx, traffic, int64(i+1)); err != nil {
				b.Fatal(err)
			}
		}
		sample(time.Since(start), -1)
	}
}

package loadgen

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseGauges(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
go_memstats_heap_inuse_bytes 1.2345e+07
go_gc_duration_seconds{quantile="0.5"} 0.001
process_resident_memory_bytes 5.24288e+07
process_resident_memory_bytes_total 1
`
	got := parseGauges(strings.NewReader(text), memoryMetrics)
	want := map[string]float64{"go_goroutines": 42, "go_memstats_heap_inuse_bytes": 12345000, "process_resident_memory_bytes": 52428800}
	if len(got) != len(want) {
		t.Fatalf("parseGauges = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestTrend(t *testing.T) {
	// 100 MiB growing by 2 MiB a minute, sampled every 10 s, with noise
	// that cancels out.
	var ss []MemorySample
	for i := range 60 {
		at := time.Duration(i) * 10 * time.Second
		noise := float64(1 - 2*(i%2))
		ss = append(ss, MemorySample{Target: "a", At: at, RSS: (100 + 2*at.Minutes() + noise) * (1 << 20), HeapInuse: 30 << 20})
	}
	tr := MemoryTrends(ss)["a"]
	if rss := tr[0]; math.Abs(rss.PerMinute-2) > 0.05 || rss.Min > 100 || rss.Max < 119 {
		t.Errorf("RSS trend = %+v, want a slope of 2 MiB/min", rss)
	}
	if heap := tr[2]; heap.PerMinute != 0 || heap.First != 30 || heap.Last != 30 {
		t.Errorf("heap trend = %+v, want flat at 30 MiB", heap)
	}
}

func TestSchedule_paces(t *testing.T) {
	start := time.Now()
	s := newSchedule(start, 200) // one slot every 5 ms
	ctx := context.Background()
	var last time.Time
	for i := range 20 {
		due, ok := s.next(ctx)
		if !ok {
			t.Fatal("next ended early")
		}
		if want := start.Add(time.Duration(i) * 5 * time.Millisecond); !due.Equal(want) {
			t.Errorf("slot %d due %v after start, want %v", i, due.Sub(start), want.Sub(start))
		}
		if time.Now().Before(due) {
			t.Errorf("slot %d handed out before it was due", i)
		}
		last = due
	}
	if el := time.Since(start); el < last.Sub(start) {
		t.Errorf("20 slots at 200/s took %v", el)
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, ok := newSchedule(time.Now().Add(time.Hour), 1).next(ctx); ok {
		t.Error("next on a cancelled context = ok")
	}
}

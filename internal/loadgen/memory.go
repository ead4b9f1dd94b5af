package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// MemorySample is one reading of a server's /metrics.
type MemorySample struct {
	Target     string
	At         time.Duration // since the load began
	RSS        float64       // process_resident_memory_bytes
	HeapInuse  float64       // go_memstats_heap_inuse_bytes
	Goroutines float64       // go_goroutines
}

// memoryMetrics are the gauges sampleMemory reads, unlabelled lines of the
// Prometheus text format that every dancu process exposes.
var memoryMetrics = []string{"process_resident_memory_bytes", "go_memstats_heap_inuse_bytes", "go_goroutines"}

// sampleMemory reads every server's /metrics each SampleEvery until ctx
// ends. A failed reading is skipped: the load's own errors are counted
// elsewhere.
func (r *runner) sampleMemory(ctx context.Context, start time.Time) []MemorySample {
	var out []MemorySample
	tick := time.NewTicker(r.cfg.SampleEvery)
	defer tick.Stop()
	for {
		for _, base := range r.cfg.URLs {
			status, body, err := r.call(ctx, base, "GET", "/metrics", "", nil)
			if err != nil || status != http.StatusOK {
				continue
			}
			v := parseGauges(strings.NewReader(string(body)), memoryMetrics)
			out = append(out, MemorySample{Target: base, At: time.Since(start),
				RSS: v[memoryMetrics[0]], HeapInuse: v[memoryMetrics[1]], Goroutines: v[memoryMetrics[2]]})
		}
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
	}
}

// parseGauges returns the values of the named unlabelled metrics in a
// Prometheus text exposition.
func parseGauges(rd io.Reader, names []string) map[string]float64 {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	v := map[string]float64{}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		if f, err := strconv.ParseFloat(strings.Fields(val)[0], 64); err == nil {
			v[name] = f
		}
	}
	return v
}

// Trend is the least-squares line through a series of samples.
type Trend struct {
	First, Last, Min, Max float64
	// PerMinute is the slope of the line, in the series' unit per minute.
	PerMinute float64
}

// trend fits a line to the values of one server's samples over time.
func trend(samples []MemorySample, value func(MemorySample) float64) Trend {
	var t Trend
	if len(samples) == 0 {
		return t
	}
	t.First, t.Last = value(samples[0]), value(samples[len(samples)-1])
	t.Min, t.Max = t.First, t.First
	var sx, sy, sxx, sxy float64
	n := float64(len(samples))
	for _, s := range samples {
		x, y := s.At.Minutes(), value(s)
		t.Min, t.Max = min(t.Min, y), max(t.Max, y)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	if d := n*sxx - sx*sx; d > 0 {
		t.PerMinute = (n*sxy - sx*sy) / d
	}
	return t
}

// MemoryTrends returns, per server, the trends of its resident memory and
// live heap: over the whole run and over its second half, when warm-up
// (caches filling, pools growing) is over.
func MemoryTrends(samples []MemorySample) map[string][4]Trend {
	by := map[string][]MemorySample{}
	for _, s := range samples {
		by[s.Target] = append(by[s.Target], s)
	}
	out := map[string][4]Trend{}
	rss := func(s MemorySample) float64 { return s.RSS / (1 << 20) }
	heap := func(s MemorySample) float64 { return s.HeapInuse / (1 << 20) }
	for target, ss := range by {
		half := ss[len(ss)/2:]
		out[target] = [4]Trend{trend(ss, rss), trend(half, rss), trend(ss, heap), trend(half, heap)}
	}
	return out
}

// writeMemory prints each server's memory trend in MiB.
func writeMemory(w io.Writer, samples []MemorySample) {
	fmt.Fprintf(w, "memory (%d samples; MiB, slope in MiB per minute by least squares)\n", len(samples))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tseries\tfirst\tlast\tmin\tmax\tslope\tslope, 2nd half\t")
	trends := MemoryTrends(samples)
	for _, target := range slices.Sorted(maps.Keys(trends)) {
		tr := trends[target]
		for i, name := range []string{"RSS", "heap in use"} {
			all, half := tr[2*i], tr[2*i+1]
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%+.2f\t%+.2f\t\n", target, name, all.First, all.Last, all.Min, all.Max, all.PerMinute, half.PerMinute)
		}
	}
	tw.Flush()
}

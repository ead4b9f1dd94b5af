//go:build unix

package dataset

import (
	"bytes"
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
)

// BenchmarkUpload measures a bulk upload, lines per second, on each
// available store, with the people already on the registry. "nolog" runs
// without an access log (the CLI's uploads); "log" records every batch's
// writes in the real access log (audit.Log over the same store, its commits
// synced), as serve does. cpu-µs/line is the whole process's CPU time per
// line, which says more than the wall-clock rate on a shared machine.
func BenchmarkUpload(b *testing.B) {
	const people = 200_000
	var buf bytes.Buffer
	for i := range people {
		buf.WriteString(siLine(i, "active"))
		buf.WriteByte('\n')
	}
	// Round 0 inserts; then the rounds alternate the status of every record,
	// so that every line is written.
	bodies := [][]byte{buf.Bytes(), bytes.ReplaceAll(buf.Bytes(), []byte(`"status":"active"`), []byte(`"status":"suspended"`))}
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Kind: auth.KindClient, ID: "vss-app", Agency: "vss"})
	for name, st := range backends(b) {
		loadPeople(b, st, people)
		for _, withLog := range []bool{false, true} {
			var rec audit.Recorder
			sub := name + "/nolog"
			if withLog {
				log, err := audit.Open(ctx, st.(audit.Store), audit.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer log.Close()
				rec, sub = log, name+"/log"
			}
			svc := New(st, &fakeExchange{agencies: map[string]bool{"vss": true}}, rec, nil)
			d, err := svc.Register(ctx, Dataset{Name: "vss-si-" + sub[len(name)+1:], Kind: "social-insurance", Agency: "vss"})
			if err != nil {
				b.Fatal(err)
			}
			round := 0
			b.Run(sub, func(b *testing.B) {
				cpu0 := processCPU()
				for range b.N {
					body := bodies[round%2]
					round++
					sum, err := svc.Upload(ctx, d, "vss", bytes.NewReader(body), nil)
					if err != nil || sum.Rejected != 0 {
						b.Fatalf("%+v %v", sum, err)
					}
				}
				b.ReportMetric(float64(b.N*people)/b.Elapsed().Seconds(), "lines/s")
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N*people), "cpu-µs/line")
			})
		}
	}
}

// processCPU returns the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package card

import (
	"context"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/card/verify"
	"github.com/dancu/dancu/internal/store"
)

// BenchmarkBuildAndSign is the CPU part of issuing alone: layout and
// signature of one card, on every core.
func BenchmarkBuildAndSign(b *testing.B) {
	ctx := context.Background()
	st := backends(b)["sqlite"]
	f := newFixture(b, st, 200)
	evs, err := f.reg.Events(ctx, store.EventQuery{Type: EventType, Limit: 100})
	if err != nil || len(evs) == 0 {
		b.Fatal("no events", err)
	}
	signer, cert, err := f.svc.PKI().DocumentSigner(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := f.svc.cardFor(ctx, evs[i%len(evs)], signer, cert); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	reportCPU(b, cpu0)
}

// BenchmarkPassiveAuthentication verifies one real card's chip data (DG1,
// DG2, DG13, EF.SOD) against the PKI's CSCA, on every core.
func BenchmarkPassiveAuthentication(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b, backends(b)["sqlite"], 100)
	if _, err := f.svc.IssuePending(ctx); err != nil {
		b.Fatal(err)
	}
	fs, err := f.svc.ChipFiles(ctx, f.chipHolder(b))
	if err != nil {
		b.Fatal(err)
	}
	v := f.verifier(b)
	c := verify.Card{DG1: fs.DG1, DG2: fs.DG2, DG13: fs.DG13, SOD: fs.SOD}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	reportCPU(b, cpu0)
}

// reportCPU reports the CPU time per operation and what two dedicated
// cores would do per second at that cost.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if cpu := cpuTime() - cpu0; cpu > 0 {
		per := float64(cpu.Nanoseconds()) / float64(b.N)
		b.ReportMetric(per, "cpu-ns/op")
		b.ReportMetric(2e9/per, "ops/s-on-2-cores")
	}
}

//go:build unix

package feed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/synth"
)

// BenchmarkRelayWebhooks measures outbox to webhooks: events committed to
// the outbox (untimed), then delivered by the relay — decoded, filtered to
// the grant, recorded in the durable access log (audit.Log over the same
// store, checkpoints signed), signed and POSTed — to a local receiver that
// checks one signature in a hundred. The relay runs as in serve: each
// round starts it over a backlog of 20,000 committed events. events/s is the figure for
// BENCHMARKS.md; the target is 5,000.
func BenchmarkRelayWebhooks(b *testing.B) {
	for _, bk := range backends() {
		for _, workers := range []int{16, 32} {
			b.Run(fmt.Sprintf("%s/workers=%d", bk.name, workers), func(b *testing.B) {
				benchRelay(b, bk, workers, 2000, nil)
			})
		}
		// Full registry records (synthetic people with residences,
		// relatives and documents) instead of the small record above.
		b.Run(fmt.Sprintf("%s/full-records/workers=32", bk.name), func(b *testing.B) {
			benchRelay(b, bk, 32, 2000, synthPeople(b, 10000))
		})
	}
}

// synthPeople returns the documents of n synthetic people.
func synthPeople(b *testing.B, n int) [][]byte {
	var docs [][]byte
	_, err := synth.Batches(context.Background(), synth.Options{Citizens: n, Seed: 3}, func(bt store.Batch) error {
		for _, pv := range bt.Persons {
			if len(docs) < n {
				docs = append(docs, pv.Data)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return docs
}

// appendDocEvents writes outbox rows about the given people, as
// appendEventsFrom does with its small record.
func appendDocEvents(b *testing.B, st store.Store, docs [][]byte, first, count int) {
	ctx := context.Background()
	types := []string{"death", "marriage"}
	const chunk = 500
	for start := first; start < first+count; start += chunk {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+chunk, first+count); i++ {
				doc := docs[i%len(docs)]
				var p struct {
					PIN string `json:"pin"`
				}
				if err := json.Unmarshal(doc, &p); err != nil {
					return err
				}
				typ := types[i%len(types)]
				data := fmt.Appendf(nil, `{"event_id":"e%d","event_type":%q,"effective_date":"2026-01-02","version":%d,"person":%s}`,
					i, typ, i/len(docs)+1, doc)
				if err := tx.AppendOutbox(ctx, store.OutboxRow{EventID: fmt.Sprintf("e%d", i), EventType: typ, PIN: p.PIN, Data: data}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func benchRelay(b *testing.B, bk backend, workers, batch int, docs [][]byte) {
	ctx := context.Background()
	st := bk.open(b)
	log, err := audit.Open(ctx, st, audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	svc, err := New(ctx, st, newFakeExchange(insurerGrant), log, nil)
	if err != nil {
		b.Fatal(err)
	}
	var got, bad atomic.Int64
	var secret atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		n := got.Add(1)
		if n%100 == 0 {
			if err := verify(secret.Load().(string), r.Header, body); err != nil {
				bad.Add(1)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	sub, err := svc.AddSubscription(ctx, Subscription{ID: "bench", Agency: "vss", Purpose: "insurance", URL: srv.URL, EventTypes: []string{"death", "marriage"}})
	if err != nil {
		b.Fatal(err)
	}
	secret.Store(sub.Secret)
	cfg := RelayConfig{Workers: workers, Batch: batch, Poll: 2 * time.Millisecond, Reload: time.Second}

	// Each round commits perIter events with the relay stopped, then times
	// a relay (as after a restart) until the receiver has them all, so
	// that the committing is not timed and the relay does not overlap it.
	const perIter = 20000
	var elapsed, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if docs == nil {
			appendEventsFrom(b, st, i*perIter, perIter, 10000)
		} else {
			appendDocEvents(b, st, docs, i*perIter, perIter)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); svc.NewRelay(cfg).Run(rctx) }()
		want := int64((i + 1) * perIter)
		for got.Load() < want {
			time.Sleep(200 * time.Microsecond)
		}
		elapsed += time.Since(start)
		cpu += processCPU() - cpu0
		cancel()
		<-done
	}
	b.StopTimer()
	if bad.Load() > 0 {
		b.Fatalf("%d signatures failed", bad.Load())
	}
	b.ReportMetric(float64(b.N*perIter)/elapsed.Seconds(), "events/s")
	// CPU time per event, everything in the process included (relay,
	// receiver, access log, store): on a shared machine it says more than
	// the wall-clock rate, which other processes' load depresses.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*perIter), "cpu-µs/event")
	b.ReportMetric(0, "ns/op")
}

// processCPU returns the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

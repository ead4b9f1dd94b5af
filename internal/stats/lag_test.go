package stats_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// BenchmarkFeedLag measures the outbox-to-analytics lag while messages
// arrive at 1,000 a second for ten seconds: each message is a real
// registry outbox document (a person's current record) appended to the
// outbox in batches of 50 every 50 ms, while the feeder polls every 200 ms.
// The lag of a message is the time from its commit to the commit of the
// analytics batch that applied it; the benchmark reports the median and the
// largest.
func BenchmarkFeedLag(b *testing.B) {
	f := newFixture(b, 2000)
	f.rebuild(b)
	ctx := context.Background()
	people, err := f.st.SearchPersons(ctx, store.PersonQuery{Limit: 2000})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]store.OutboxRow, len(people))
	for i, p := range people {
		msgs[i] = store.OutboxRow{EventID: fmt.Sprint("lag-", i), EventType: "correction", PIN: p.PIN,
			Data: fmt.Appendf(nil, `{"event_id":"lag-%d","event_type":"correction","effective_date":"2026-07-01","version":%d,"person":%s}`,
				i, p.Version+1, p.Data)}
	}
	for b.Loop() {
		const rate, seconds, every = 1000, 10, 50 * time.Millisecond
		stop := make(chan struct{})
		var lags []time.Duration
		done := make(chan struct{})
		go func() {
			defer close(done)
			drained := false // an empty read seen after stop: everything was written before it
			for {
				cur, _ := f.an.Cursor(ctx)
				if _, err := f.feed.Step(ctx); err != nil {
					b.Error(err)
					return
				}
				now := time.Now()
				next, _ := f.an.Cursor(ctx)
				rows, _ := f.st.Outbox(ctx, cur, int(next-cur))
				for _, r := range rows {
					lags = append(lags, now.Sub(r.CreatedAt))
				}
				if len(rows) == 0 {
					select {
					case <-stop:
						if drained {
							return
						}
						drained = true
					case <-time.After(200 * time.Millisecond):
					}
				}
			}
		}()
		tick := time.NewTicker(every)
		n := 0
		start := time.Now()
		for range rate * seconds / 50 {
			<-tick.C
			err := f.st.Update(ctx, func(tx store.Tx) error {
				for range 50 {
					if err := tx.AppendOutbox(ctx, msgs[n%len(msgs)]); err != nil {
						return err
					}
					n++
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		elapsed := time.Since(start)
		close(stop)
		<-done
		slices.Sort(lags)
		if len(lags) < n {
			b.Fatalf("%d of %d messages applied", len(lags), n)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(lags[len(lags)/2].Seconds(), "median-lag-s")
		b.ReportMetric(lags[len(lags)*99/100].Seconds(), "p99-lag-s")
		b.ReportMetric(lags[len(lags)-1].Seconds(), "max-lag-s")
	}
}

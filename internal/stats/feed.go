package stats

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dancu/dancu/internal/store"
)

// Registry is what the analytics store reads from the registry's store.
type Registry interface {
	Outbox(ctx context.Context, afterSeq int64, limit int) ([]store.OutboxRow, error)
	SearchPersons(ctx context.Context, q store.PersonQuery) ([]store.PersonRow, error)
	DirRecords(ctx context.Context, kind, parent string) ([]store.DirRecord, error)
	AccessLogSize(ctx context.Context) (int64, error)
	AccessEntries(ctx context.Context, from, to int64) ([]store.AccessEntry, error)
	store.StatsSource
}

// Source is a side table fed from another area's store (eID accounts,
// vaccinations, dossiers): Load returns its rows in full, people named by
// pseudonym, and the feeder replaces the table with them every refresh.
type Source struct {
	Table SourceTable
	Load  func(ctx context.Context, ps *Pseudonymizer) ([][]any, error)
}

// FeederOptions tune the feeder.
type FeederOptions struct {
	Batch   int           // outbox rows per transaction; 0 means 5000
	Poll    time.Duration // wait when the outbox has nothing new; 0 means 200 ms
	Refresh time.Duration // how often links, eID accounts, agencies and sources are reloaded; 0 means 5 minutes
	Sources []Source
	Metrics prometheus.Registerer // nil: no metrics
	Logger  *slog.Logger
}

// Feeder keeps the analytics store up to date from the outbox: it reads
// after the cursor kept in the analytics store, converts a batch and applies
// it in one transaction with the new cursor, so that a crash replays at most
// the batch it was applying (which Apply makes harmless). It writes only its
// own analytics store and only reads the registry, so processes sharing one
// registry each feed their own store without a lease: under a lease, the
// other processes' stores would go stale.
type Feeder struct {
	reg Registry
	an  Store
	ps  *Pseudonymizer
	o   FeederOptions

	mu     sync.Mutex
	status FeedStatus

	lag, behind, cursor prometheus.Gauge
	applied, failed     prometheus.Counter
}

// FeedStatus is what the dashboard shows of the feed.
type FeedStatus struct {
	Cursor     int64
	Head       int64
	Lag        time.Duration // age of the oldest outbox message not applied yet; 0 when caught up
	LastApply  time.Time
	LastError  string
	Applied    int64
	LinksAt    time.Time
	Rebuilding bool
}

// NewFeeder returns a feeder.
func NewFeeder(reg Registry, an Store, ps *Pseudonymizer, o FeederOptions) *Feeder {
	if o.Batch <= 0 {
		o.Batch = 5000
	}
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	if o.Refresh <= 0 {
		o.Refresh = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Feeder{reg: reg, an: an, ps: ps, o: o,
		lag:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "dancu_stats_feed_lag_seconds", Help: "Age of the oldest outbox message not yet in the analytics store (0 when caught up)."}),
		behind:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "dancu_stats_feed_behind_messages", Help: "Outbox messages not yet in the analytics store."}),
		cursor:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "dancu_stats_feed_cursor", Help: "The outbox position the analytics store has applied."}),
		applied: prometheus.NewCounter(prometheus.CounterOpts{Name: "dancu_stats_feed_applied_total", Help: "Outbox messages applied to the analytics store."}),
		failed:  prometheus.NewCounter(prometheus.CounterOpts{Name: "dancu_stats_feed_errors_total", Help: "Feed passes that failed (retried)."}),
	}
	if o.Metrics != nil {
		o.Metrics.MustRegister(f.lag, f.behind, f.cursor, f.applied, f.failed)
	}
	return f
}

// Status returns the feed's state.
func (f *Feeder) Status() FeedStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// Run feeds until ctx ends.
func (f *Feeder) Run(ctx context.Context) error {
	var nextRefresh time.Time
	for {
		if time.Now().After(nextRefresh) {
			if err := f.Refresh(ctx); err != nil && ctx.Err() == nil {
				f.fail(err)
			}
			nextRefresh = time.Now().Add(f.o.Refresh)
		}
		n, err := f.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			f.fail(err)
		}
		t, err := f.StepTraffic(ctx)
		if err != nil && ctx.Err() == nil {
			f.fail(err)
		}
		n += t
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(f.o.Poll):
			}
		}
	}
}

func (f *Feeder) fail(err error) {
	f.failed.Inc()
	f.o.Logger.Error("stats feed", "err", err)
	f.mu.Lock()
	f.status.LastError = err.Error()
	f.mu.Unlock()
}

// Step applies one batch and returns how many outbox messages it read.
func (f *Feeder) Step(ctx context.Context) (int, error) {
	cur, err := f.an.Cursor(ctx)
	if err != nil {
		return 0, err
	}
	rows, err := f.reg.Outbox(ctx, cur, f.o.Batch)
	if err != nil {
		return 0, err
	}
	now := time.Now()
	if len(rows) == 0 {
		head, _ := f.reg.OutboxHead(ctx)
		f.observe(cur, head, 0, 0, now)
		return 0, nil
	}
	b := Batch{Cursor: rows[len(rows)-1].Seq, Created: rows[len(rows)-1].CreatedAt}
	for i := range rows {
		p, ev, err := f.ps.FromOutbox(rows[i].PIN, rows[i].Data)
		if err != nil {
			// A message statistics cannot read is skipped, not retried
			// forever; its seq (not its content) is logged.
			f.o.Logger.Warn("stats feed: skipping an unreadable outbox message", "seq", rows[i].Seq, "err", err)
			continue
		}
		b.People = append(b.People, p)
		if ev != nil {
			b.Events = append(b.Events, *ev)
		}
	}
	if err := f.an.Apply(ctx, b); err != nil {
		return 0, err
	}
	lag := now.Sub(rows[0].CreatedAt)
	head, err := f.reg.OutboxHead(ctx)
	if err != nil {
		head = b.Cursor
	}
	f.applied.Add(float64(len(rows)))
	if head <= b.Cursor {
		lag = 0
	}
	f.observe(b.Cursor, head, lag, int64(len(rows)), time.Now())
	return len(rows), nil
}

func (f *Feeder) observe(cur, head int64, lag time.Duration, applied int64, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status.Cursor, f.status.Head, f.status.Lag = cur, head, lag
	if applied > 0 {
		f.status.Applied += applied
		f.status.LastApply = at
		f.status.LastError = ""
	}
	f.lag.Set(lag.Seconds())
	f.behind.Set(float64(max(head-cur, 0)))
	f.cursor.Set(float64(cur))
}

// linkPage is the page size of the registry scans.
const linkPage = 10000

// StepTraffic counts the next access-log entries into the agencies'
// traffic, moving the access-log cursor in the same transaction, and
// returns how many entries it read.
func (f *Feeder) StepTraffic(ctx context.Context) (int, error) {
	cur, err := f.an.AccessCursor(ctx)
	if err != nil {
		return 0, err
	}
	size, err := f.reg.AccessLogSize(ctx)
	if err != nil || size <= cur {
		return 0, err
	}
	to := min(size, cur+accessPage)
	t, bad, err := readTraffic(ctx, f.reg, cur, to)
	if err != nil {
		return 0, err
	}
	if bad > 0 {
		f.o.Logger.Warn("stats feed: access-log entries that do not decode were left out of the traffic", "from", cur, "to", to, "count", bad)
	}
	if err := f.an.AddTraffic(ctx, t, to); err != nil {
		return 0, err
	}
	return int(to - cur), nil
}

// Refresh reloads the dataset links, the eID accounts, the agencies and
// every source.
func (f *Feeder) Refresh(ctx context.Context) error {
	sides, err := readSides(ctx, f.reg, f.ps)
	if err != nil {
		return err
	}
	if err := f.an.ReplaceSides(ctx, sides); err != nil {
		return err
	}
	var errs []error
	for _, src := range f.o.Sources {
		rows, err := src.Load(ctx, f.ps)
		if err == nil {
			err = f.an.ReplaceSource(ctx, src.Table, rows)
		}
		errs = append(errs, err)
	}
	f.mu.Lock()
	f.status.LinksAt = time.Now()
	f.mu.Unlock()
	return errors.Join(errs...)
}

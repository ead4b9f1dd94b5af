package lease_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/lease"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// partitioned is a lease store that can be cut off from the database, as a
// process whose network to the database fails.
type partitioned struct {
	lease.Store
	cut atomic.Bool
}

var errCut = errors.New("connection refused")

func (p *partitioned) TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if p.cut.Load() {
		return false, errCut
	}
	return p.Store.TryLease(ctx, name, holder, ttl)
}

func (p *partitioned) ReleaseLease(ctx context.Context, name, holder string) error {
	if p.cut.Load() {
		return errCut
	}
	return p.Store.ReleaseLease(ctx, name, holder)
}

// worker counts who runs the work, and fails the test if two ever run it at
// once.
type worker struct {
	t       *testing.T
	mu      sync.Mutex
	running string
	runs    map[string]int
}

func (w *worker) work(who string) func(ctx context.Context) {
	return func(ctx context.Context) {
		w.mu.Lock()
		if w.running != "" {
			w.t.Errorf("%s started while %s runs", who, w.running)
		}
		w.running = who
		w.runs[who]++
		w.mu.Unlock()
		<-ctx.Done()
		w.mu.Lock()
		w.running = ""
		w.mu.Unlock()
	}
}

func (w *worker) current() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.running
}

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func TestRun_failover(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const ttl = 600 * time.Millisecond
	w := &worker{t: t, runs: map[string]int{}}
	stores := map[string]*partitioned{"a": {Store: st}, "b": {Store: st}, "c": {Store: st}}
	cancels := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for _, who := range []string{"a", "b", "c"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[who] = cancel
		wg.Go(func() {
			lease.Run(ctx, stores[who], "relay", lease.Options{TTL: ttl, Holder: who}, w.work(who))
		})
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
		wg.Wait()
	}()

	waitFor(t, "someone takes the lease", 2*ttl, func() bool { return w.current() != "" })
	first := w.current()

	// A process that stops hands over at once, by releasing.
	cancels[first]()
	d := waitFor(t, "another takes over after a clean stop", 2*ttl, func() bool { c := w.current(); return c != "" && c != first })
	t.Logf("clean hand-over in %v", d)

	// A process cut off from the database stops its work before its lease
	// can pass on, and another takes over within about the TTL.
	second := w.current()
	stores[second].cut.Store(true)
	d = waitFor(t, "another takes over from a partitioned holder", 3*ttl, func() bool {
		c := w.current()
		return c != "" && c != second
	})
	t.Logf("take-over from a partitioned holder in %v (TTL %v)", d, ttl)
	if w.runs[second] != 1 {
		t.Errorf("the partitioned holder ran %d times", w.runs[second])
	}
}

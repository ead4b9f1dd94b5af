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
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// beatCounter counts heartbeat writes and can fail them as a store that
// cannot write does.
type beatCounter struct {
	lease.MemberStore
	beats  atomic.Int32
	broken atomic.Bool
}

func (b *beatCounter) Heartbeat(ctx context.Context, group, holder string, ttl time.Duration) (int, error) {
	b.beats.Add(1)
	if b.broken.Load() {
		return 0, store.Unavailable(errors.New("sqlite: heartbeat: disk I/O error (778)"))
	}
	return b.MemberStore.Heartbeat(ctx, group, holder, ttl)
}

func TestMembers_countsProcesses(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const ttl = 600 * time.Millisecond
	var mu sync.Mutex
	seen := map[string]int{}
	run := func(who string) (*lease.Members, context.CancelFunc, *sync.WaitGroup) {
		m := lease.NewMembers(st, "serve", lease.MembersOptions{TTL: ttl, Holder: who, OnLive: func(n int) {
			mu.Lock()
			seen[who] = n
			mu.Unlock()
		}})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { m.Run(ctx) })
		return m, cancel, &wg
	}
	a, stopA, wgA := run("a")
	defer func() { stopA(); wgA.Wait() }()
	b, stopB, wgB := run("b")
	c, stopC, wgC := run("c")
	defer func() { stopC(); wgC.Wait() }()
	waitFor(t, "three members see three", 2*ttl, func() bool { return a.Live() == 3 && b.Live() == 3 && c.Live() == 3 })
	mu.Lock()
	if seen["a"] != 3 {
		t.Errorf("OnLive told a %d, want 3", seen["a"])
	}
	mu.Unlock()

	// A member that stops leaves at once; the others count it out at
	// their next beat.
	stopB()
	wgB.Wait()
	d := waitFor(t, "the others see two", 2*ttl, func() bool { return a.Live() == 2 && c.Live() == 2 })
	t.Logf("a clean leave was counted in %v (beats every %v)", d, ttl/3)
}

// TestMembers_writable: readiness's probe writes at most once per
// ProbeEvery however often it is asked, fails while the store cannot
// write and for FaultWindow after any outage the store reported, and
// passes again once the store recovers, in the same process.
func TestMembers_writable(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bc := &beatCounter{MemberStore: st}
	// The window is ten probes long, so that a loaded machine oversleeping
	// the 200 ms below cannot carry the check past it.
	const probeEvery, window = 200 * time.Millisecond, 2 * time.Second
	m := lease.NewMembers(bc, "serve", lease.MembersOptions{Holder: "a", ProbeEvery: probeEvery, FaultWindow: window})
	ctx := context.Background()

	start := time.Now()
	var wg sync.WaitGroup
	for range 8 { // eight load balancers probing flat out
		wg.Go(func() {
			for time.Since(start) < time.Second {
				if err := m.Writable(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := bc.beats.Load(); n > int32(time.Since(start)/probeEvery)+2 {
		t.Errorf("%d probe writes in %v, want at most one per %v", n, time.Since(start).Round(time.Millisecond), probeEvery)
	}

	bc.broken.Store(true)
	time.Sleep(probeEvery)
	if err := m.Writable(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Writable on a store that cannot write: %v", err)
	}
	bc.broken.Store(false)
	time.Sleep(probeEvery)
	if err := m.Writable(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Writable just after an outage: %v; want it to wait out the fault window", err)
	}
	waitFor(t, "writable again after the outage", 3*window, func() bool { return m.Writable(ctx) == nil })
}

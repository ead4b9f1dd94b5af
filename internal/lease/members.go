package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// MemberStore is what membership needs of the store (store.Leases).
type MemberStore interface {
	Heartbeat(ctx context.Context, group, holder string, ttl time.Duration) (int, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// MembersOptions configure NewMembers.
type MembersOptions struct {
	TTL    time.Duration // DefaultTTL if 0; beats go every third of it
	Holder string        // Holder() if ""
	// ProbeEvery is how old a beat may be for Writable to trust it rather
	// than write again: however often readiness is asked, the store sees
	// at most one probe write per ProbeEvery. A second if 0.
	ProbeEvery time.Duration
	// FaultWindow is how long after a store outage (store.LastUnavailable)
	// Writable keeps failing though its own probe succeeds. 5 seconds if 0.
	FaultWindow time.Duration
	// OnLive is called with the number of live members whenever a beat
	// finds it changed (and after the first beat).
	OnLive func(n int)
	Logger *slog.Logger // nil discards
}

// Members keeps this process a live member of a group of the processes
// sharing a store, by a heartbeat in the leases table, and so learns how
// many of them are live: the share of a cluster-wide rate limit each
// process takes. The heartbeat is a small write, so it doubles as the
// probe that tells readiness whether the store accepts writes.
type Members struct {
	st    MemberStore
	group string
	opts  MembersOptions

	mu      sync.Mutex
	live    int
	beatAt  time.Time // when the last beat ended
	beatErr error
	pending chan struct{} // closed when the beat in flight ends; nil if none
	counted bool          // a beat has succeeded and OnLive has heard of it
}

// NewMembers returns the membership of this process in group; Run keeps it.
func NewMembers(st MemberStore, group string, opts MembersOptions) *Members {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Holder == "" {
		opts.Holder = Holder()
	}
	if opts.ProbeEvery <= 0 {
		opts.ProbeEvery = time.Second
	}
	if opts.FaultWindow <= 0 {
		opts.FaultWindow = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Members{st: st, group: group, opts: opts, live: 1}
}

// Run beats every third of the TTL until ctx is done, then leaves the
// group at once, so that the others take up its share without waiting for
// the TTL.
func (m *Members) Run(ctx context.Context) {
	t := time.NewTicker(m.opts.TTL / 3)
	defer t.Stop()
	for {
		m.beat(ctx)
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.opts.TTL/3)
			m.st.ReleaseLease(rctx, store.MemberLease(m.group, m.opts.Holder), m.opts.Holder)
			cancel()
			return
		case <-t.C:
		}
	}
}

// Live returns how many members the last successful beat counted, this
// process included; 1 before the first. While beats fail it keeps the last
// count: a store that cannot be written does not change how many processes
// there are.
func (m *Members) Live() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live
}

// Writable reports whether the store accepts writes: nil if a beat no
// older than ProbeEvery succeeded (beating now if none did, shared with
// any caller already beating) and the store has met no outage within
// FaultWindow.
func (m *Members) Writable(ctx context.Context) error {
	m.mu.Lock()
	fresh := m.pending == nil && !m.beatAt.IsZero() && time.Since(m.beatAt) < m.opts.ProbeEvery
	err := m.beatErr
	m.mu.Unlock()
	if !fresh {
		err = m.beat(ctx)
	}
	if err != nil {
		return err
	}
	if at := store.LastUnavailable(); !at.IsZero() && time.Since(at) < m.opts.FaultWindow {
		return fmt.Errorf("lease: the store refused a request %v ago: %w", time.Since(at).Round(time.Millisecond), store.ErrUnavailable)
	}
	return nil
}

// beat writes this process's heartbeat, or waits for the one in flight,
// and returns its error.
func (m *Members) beat(ctx context.Context) error {
	m.mu.Lock()
	if p := m.pending; p != nil {
		m.mu.Unlock()
		select {
		case <-p:
		case <-ctx.Done():
			return ctx.Err()
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.beatErr
	}
	p := make(chan struct{})
	m.pending = p
	m.mu.Unlock()

	// The beat belongs to everyone waiting on it, not to the caller that
	// started it: a cancelled readiness probe must not fail the others.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.opts.TTL/3)
	n, err := m.st.Heartbeat(bctx, m.group, m.opts.Holder, m.opts.TTL)
	cancel()

	m.mu.Lock()
	changed := err == nil && (max(n, 1) != m.live || !m.counted)
	if err == nil {
		m.live, m.counted = max(n, 1), true
	}
	m.beatAt, m.beatErr, m.pending = time.Now(), err, nil
	live := m.live
	m.mu.Unlock()
	close(p)

	if err != nil && !errors.Is(err, context.Canceled) {
		m.opts.Logger.Warn("heartbeat failed", "group", m.group, "error", err)
	}
	if changed {
		m.opts.Logger.Info("processes in the group", "group", m.group, "live", live)
		if m.opts.OnLive != nil {
			m.opts.OnLive(live)
		}
	}
	return err
}

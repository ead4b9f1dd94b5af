package lease

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Store is what a lease needs of the store (store.Leases).
type Store interface {
	TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// DefaultTTL is the life of a lease when Options.TTL is 0: short enough that
// work moves within seconds when its holder dies, long enough that a busy
// database does not make a healthy holder lose it.
const DefaultTTL = 6 * time.Second

// Options configure Run.
type Options struct {
	TTL time.Duration // DefaultTTL if 0
	// Holder names this process in the lease table; Holder() if "".
	Holder string
	// Logger receives when the lease is taken and lost; nil discards.
	Logger *slog.Logger
}

// Holder returns a name for this process that no other process shares: the
// host, the process id and a random part (a restarted process must not
// think it still holds its predecessor's lease).
func Holder() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])
}

// Run runs work under the lease name until ctx is done: whenever this
// process holds the lease, work runs with a context that is cancelled when
// the lease may have been lost; Run waits for work to return before trying
// again, and releases the lease when ctx is done. work should return soon
// after its context is cancelled.
func Run(ctx context.Context, st Store, name string, opts Options, work func(ctx context.Context)) {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Holder == "" {
		opts.Holder = Holder()
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	every := opts.TTL / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if held, _ := st.TryLease(ctx, name, opts.Holder, opts.TTL); held {
			logger.Info("lease taken", "lease", name, "holder", opts.Holder)
			hold(ctx, st, name, opts, every, work)
			logger.Info("lease given up", "lease", name, "holder", opts.Holder)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// hold runs work while renewing the lease, and returns once work has
// returned, after releasing the lease if this process still holds it.
func hold(ctx context.Context, st Store, name string, opts Options, every time.Duration, work func(ctx context.Context)) {
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		work(wctx)
	}()
	defer func() {
		cancel()
		<-done
		// A fresh context: ctx may be done, and the release lets another
		// process take over at once instead of after the TTL.
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), every)
		st.ReleaseLease(rctx, name, opts.Holder)
		rcancel()
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
		}
		// A renewal must not outlive the part of the lease still ours.
		rctx, rcancel := context.WithTimeout(ctx, every)
		held, err := st.TryLease(rctx, name, opts.Holder, opts.TTL)
		rcancel()
		switch {
		case err == nil && held:
			renewed = time.Now()
		case err == nil:
			return // another process holds it
		case time.Since(renewed) >= opts.TTL-every:
			// Renewals keep failing: stop while the lease is surely still
			// ours, rather than run on after it may have passed on.
			return
		}
	}
}

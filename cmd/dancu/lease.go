package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/dancu/dancu/internal/lease"
)

// singleWriters runs the work that must have one doer among the processes
// sharing a store — checkpoint signing, person indexing, the outbox relay —
// each under a lease of its own, so that the pieces may land in different
// processes and each moves on within seconds when its holder dies.
type singleWriters struct {
	ctx    context.Context
	cancel context.CancelFunc
	st     lease.Store
	holder string
	log    *slog.Logger
	wg     sync.WaitGroup
}

// newSingleWriters returns the runner; its work outlives ctx's cancellation
// until Stop, so that serve stops it in order (before the access log and the
// store close).
func newSingleWriters(ctx context.Context, st lease.Store, logger *slog.Logger) *singleWriters {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &singleWriters{ctx: c, cancel: cancel, st: st, holder: lease.Holder(), log: logger}
}

// Go runs work under the lease name whenever this process holds it.
func (s *singleWriters) Go(name string, work func(ctx context.Context)) {
	s.wg.Go(func() {
		lease.Run(s.ctx, s.st, name, lease.Options{Holder: s.holder, Logger: s.log}, work)
	})
}

// Stop ends every piece of work, releasing its lease so that another
// process takes over at once, and waits for them. Calling it again does
// nothing.
func (s *singleWriters) Stop() {
	s.cancel()
	s.wg.Wait()
}

package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dancu/dancu/internal/api"
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

// processGroup is the group every serve process sharing a store joins
// (lease.Members), to learn how many they are.
const processGroup = "serve"

// joinProcesses keeps this process a member of the serve processes sharing
// the store, until the returned stop is called (before the store closes):
// the rate limits take an equal share of their configured rates among the
// live processes, the gauge dancu_processes_live shows how many there are,
// and the returned membership is readiness's write probe.
func joinProcesses(ctx context.Context, st lease.MemberStore, holder string, limits api.RateLimit, reg prometheus.Registerer, logger *slog.Logger) (*lease.Members, func()) {
	live := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "dancu_processes_live",
		Help: "Serve processes sharing the store, as this process last counted them (the rate limits are divided among them).",
	})
	live.Set(1)
	reg.MustRegister(live)
	m := lease.NewMembers(st, processGroup, lease.MembersOptions{Holder: holder, Logger: logger, OnLive: func(n int) {
		limits.PerAddress.Share(n)
		limits.PerAgency.Share(n)
		live.Set(float64(n))
	}})
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(c)
	}()
	return m, func() {
		cancel()
		<-done
	}
}

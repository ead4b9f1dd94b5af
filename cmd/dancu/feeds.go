package main

import (
	"context"
	"log/slog"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/feed"
	"github.com/dancu/dancu/internal/store"
)

// startFeeds mounts the pull feed and the webhook administration on srv and
// starts the outbox relay (webhooks, and NATS when configured). The relay
// runs in this process only: it is the outbox's single writer until a lease
// lets several processes share the work (see package feed). The returned
// stop ends the relay and waits for it; call it before closing the access
// log and the store. The service is returned for the console's pages.
func startFeeds(ctx context.Context, cfg config.Config, st store.Store, exch *exchange.Service, rec audit.Recorder, srv *api.Server, logger *slog.Logger) (feeds *feed.Service, stop func(), err error) {
	feeds, err = feed.New(ctx, st, exch, rec, logger)
	if err != nil {
		return nil, nil, err
	}
	feeds.Mount(srv)
	var rc feed.RelayConfig
	var pub *feed.NATSPublisher
	if cfg.NATS != "" {
		pub, err = feed.NewNATSPublisher(ctx, st, feed.NATSConfig{URL: string(cfg.NATS)}, logger)
		if err != nil {
			return nil, nil, err
		}
		rc.Publishers = append(rc.Publishers, pub)
		logger.Info("publishing the outbox to NATS JetStream", "nats", cfg.NATS, "stream", feed.DefaultNATSStream)
	}
	// The relay outlives the signal's context by the time it takes to stop
	// it: stop cancels it explicitly.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		feeds.NewRelay(rc).Run(rctx)
	}()
	return feeds, func() {
		cancel()
		<-done
		if pub != nil {
			pub.Close()
		}
	}, nil
}

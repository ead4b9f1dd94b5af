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
// starts the outbox relay (webhooks, and NATS when configured) under a lease,
// so that one process at a time relays and deliveries stay in order per
// person. The returned stop stops the single writers (the relay among them)
// and then closes the NATS connection. The service is returned for the
// console's pages.
func startFeeds(ctx context.Context, cfg config.Config, st store.Store, exch *exchange.Service, rec audit.Recorder, srv *api.Server, single *singleWriters, logger *slog.Logger) (feeds *feed.Service, stop func(), err error) {
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
	single.Go("feed.relay", func(ctx context.Context) { feeds.NewRelay(rc).Run(ctx) })
	return feeds, func() {
		single.Stop()
		if pub != nil {
			pub.Close()
		}
	}, nil
}

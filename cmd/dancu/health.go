package main

import (
	"log/slog"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/card"
	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/health"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// mountHealth mounts the health book and the clinics' check-in on srv.
func mountHealth(st store.Store, ds *dataset.Service, cards *card.Service, ex *exchange.Service, reg *registry.Registry,
	rec audit.Recorder, srv *api.Server, log *slog.Logger) *health.Service {
	h := health.New(health.Deps{Store: st, Datasets: ds, Cards: cards, Exchange: ex, Registry: reg, Recorder: rec, Logger: log})
	h.Mount(srv)
	return h
}

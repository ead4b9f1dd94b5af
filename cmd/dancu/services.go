package main

import (
	"log/slog"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/services"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/web"
)

// mountServices wires the online public services: the catalogue and its
// administration on the REST API, the officers' section of the console
// (added to console before it is mounted) and the citizens' pages under
// /portal/services/, with the portal's sessions and SMS sender.
func mountServices(cfg config.Config, st store.Store, reg *registry.Registry, rec audit.Recorder, srv *api.Server,
	console *web.Handler, sessions services.Sessions, sms services.SMS, layout services.Layout, logger *slog.Logger) (*services.Service, error) {
	cal, err := services.NewCalendar(cfg.Services.Holidays)
	if err != nil {
		return nil, err
	}
	svc := services.New(services.Deps{Store: st, Registry: reg, Recorder: rec, Logger: logger, Calendar: cal, SMS: sms})
	svc.Mount(srv)
	console.AddSection(svc.ConsoleSection(console))
	srv.Mux().Handle(services.PortalPrefix, svc.PortalHandler(sessions, layout, cfg.Services.MaxUploadBytes))
	srv.SetBodyLimit(services.PortalPrefix, cfg.Services.MaxUploadBytes)
	return svc, nil
}

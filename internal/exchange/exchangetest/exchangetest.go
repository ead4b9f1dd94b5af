// Package exchangetest builds, for tests, the API server with connected
// agencies wired in the way serve wires them: the admin token, the
// agencies' access tokens accepted by the same middleware, the lookups, the
// token endpoint and the administration routes. Packages that add
// agency-facing routes (verification, cards, the health book) mount theirs
// on it.
package exchangetest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Stack is the wired server and what tests build on it.
type Stack struct {
	API      *api.Server
	Exchange *exchange.Service
	Registry *registry.Registry
	Logger   *slog.Logger // discards
}

// New wires the server over st with rec as its access log, accepting
// adminToken and the access tokens of issuer's token endpoint.
func New(t testing.TB, st store.Store, rec audit.Recorder, issuer, adminToken string) Stack {
	t.Helper()
	ctx := context.Background()
	a, _, err := auth.Setup(ctx, st, adminToken)
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(st)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ex, err := exchange.New(ctx, st, reg, rec, log, exchange.Config{Issuer: issuer})
	if err != nil {
		t.Fatal(err)
	}
	a.AddVerifier(ex)
	srv := api.New(api.Deps{Registry: reg, Store: st, Auth: a, Logger: log, Recorder: rec, Clients: ex})
	ex.Mount(srv)
	return Stack{API: srv, Exchange: ex, Registry: reg, Logger: log}
}

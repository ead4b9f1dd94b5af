package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
)

// RegistryHandler serves the population registry's resources under /v1/:
// citizens, households and life events.
type RegistryHandler struct {
	reg *registry.Registry
	log *slog.Logger
	// clients answers API clients' reads with their policy applied; nil
	// when no exchange is wired.
	clients ClientReader
	// rec records every officer's read and write of a person before the
	// answer goes out.
	rec audit.Recorder
	// auth seals search cursors.
	auth *auth.Authenticator
}

// NewRegistryHandler returns the registry API over reg.
func NewRegistryHandler(reg *registry.Registry, log *slog.Logger) *RegistryHandler {
	return &RegistryHandler{reg: reg, log: log}
}

// Mount adds the registry's operations to api.
func (h *RegistryHandler) Mount(api huma.API) {
	h.mountCitizens(api)
	h.mountHouseholds(api)
	h.mountEvents(api)
}

// register adds an operation with what every operation of this package
// shares: /v1/ operations declare the bearer requirement that the
// middleware enforces, and huma's own body limit is off because the
// middleware bounds every body already (huma's would reject a body of
// exactly its limit, and could disagree with the configured one).
func register[I, O any](api huma.API, op huma.Operation, handler func(context.Context, *I) (*O, error)) {
	op.MaxBodyBytes = -1
	if isV1(op.Path) {
		op.Security = Security
		op.Errors = append([]int{http.StatusUnauthorized}, op.Errors...)
	}
	huma.Register(api, op, handler)
}

package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// HealthHandler serves liveness and readiness for orchestrators and load
// balancers. Both endpoints are public and say nothing about the data.
type HealthHandler struct {
	store    Pinger
	writable WriteChecker // nil: readiness does not check writes
	timeout  time.Duration
}

// WriteChecker tells readiness whether the store accepts writes
// (lease.Members: a rate-limited heartbeat write).
type WriteChecker interface {
	Writable(ctx context.Context) error
}

// NewHealthHandler returns the health endpoints over the store that
// readiness pings and, if writable is not nil, checks for writes.
func NewHealthHandler(store Pinger, writable WriteChecker) *HealthHandler {
	return &HealthHandler{store: store, writable: writable, timeout: 2 * time.Second}
}

// Health is the body of a successful health check.
type Health struct {
	Status string `json:"status" enum:"ok" doc:"Always ok: failures are problem details."`
}

type healthOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         Health
}

// Mount adds /healthz and /readyz to api.
func (h *HealthHandler) Mount(api huma.API) {
	register(api, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness",
		Description: "Answers 200 as long as the process serves HTTP; it checks nothing else, so that a slow database never gets a live process restarted.",
		Tags:        []string{"health"},
	}, h.live)
	register(api, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness",
		Description: "Answers 200 when the store answers a ping and accepts writes (a small heartbeat write, at most once a second, and no refused request in the last seconds), 503 with Retry-After otherwise, so that a load balancer sends requests only to processes that can serve them. It turns 200 again by itself once the store recovers.",
		Tags:        []string{"health"},
		Errors:      []int{http.StatusServiceUnavailable},
	}, h.ready)
}

func (h *HealthHandler) live(context.Context, *struct{}) (*healthOutput, error) {
	return &healthOutput{CacheControl: "no-store", Body: Health{Status: "ok"}}, nil
}

func (h *HealthHandler) ready(ctx context.Context, _ *struct{}) (*healthOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		return nil, unready(ctx, err, "The store does not answer.")
	}
	if h.writable != nil {
		if err := h.writable.Writable(ctx); err != nil {
			return nil, unready(ctx, err, "The store does not accept writes.")
		}
	}
	return &healthOutput{CacheControl: "no-store", Body: Health{Status: "ok"}}, nil
}

// unready keeps the cause for the log and answers 503 with detail, which
// says what failed and never why (an address, a path).
func unready(ctx context.Context, err error, detail string) *Problem {
	recordError(ctx, err)
	return &Problem{
		Status: http.StatusServiceUnavailable,
		Title:  http.StatusText(http.StatusServiceUnavailable),
		Detail: detail,
	}
}

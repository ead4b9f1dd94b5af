package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// RetryAfterUnavailable is what a 503 answer asks clients and load
// balancers to wait before trying again: long enough not to hammer a store
// that is failing over or out of space, short enough that a blip costs
// little.
const RetryAfterUnavailable = 5 * time.Second

// UnavailableProblem is the answer to a request the store could not serve
// now (store.ErrUnavailable): nothing was written, and the same request may
// succeed later. The middleware adds Retry-After.
func UnavailableProblem() *Problem {
	return &Problem{
		Status: http.StatusServiceUnavailable,
		Title:  http.StatusText(http.StatusServiceUnavailable),
		Detail: "The store cannot take this request now, and nothing was changed; try again later.",
	}
}

// ProblemAppliedUnrecorded is the type of the 503 answer to a life event
// that the registry applied but whose write the access log could not record:
// unlike every other 503, the change happened. The result is withheld until
// who made it is on record; the client submits the same event id again once
// the service is ready, and is answered the first result (200), recorded
// then. A client that does not retry must not take this 503 as "nothing was
// changed".
const ProblemAppliedUnrecorded = "urn:dancu:problem:applied-unrecorded"

// AppliedUnrecordedProblem is the answer described at
// ProblemAppliedUnrecorded. The middleware adds Retry-After.
func AppliedUnrecordedProblem() *Problem {
	return &Problem{
		Type:   ProblemAppliedUnrecorded,
		Status: http.StatusServiceUnavailable,
		Title:  "Applied, result withheld",
		Detail: "The event was applied, but the access log could not record who made it, so its result is withheld. Submit it again with the same id once the service is ready: the answer is its first result.",
	}
}

// outageDuring reports whether a store in this process met an outage since
// the request in ctx arrived: its 500 is then answered as a 503.
func outageDuring(ctx context.Context) bool {
	info := infoFrom(ctx)
	return info != nil && !info.start.IsZero() && store.LastUnavailable().After(info.start)
}

// unavailableStatus is the status a response is sent with, given the one
// its handler chose. Every 503 gets Retry-After unless the handler set
// one. A 500 becomes a 503 when a store in this process met an outage
// (store.LastUnavailable) since the request arrived: the handlers this
// package serves map store.ErrUnavailable themselves, but the mounted ones
// it does not own (the OpenID provider's library answers server_error with
// 500 whatever the cause) do not all, and an outage must never look like a
// bug to a client or a load balancer. A genuine bug that happens to answer
// during an outage is reported as 503 too, which is harmless.
func unavailableStatus(h http.Header, code int, start time.Time) int {
	if code == http.StatusInternalServerError && !start.IsZero() && store.LastUnavailable().After(start) {
		code = http.StatusServiceUnavailable
	}
	if code == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		h.Set("Retry-After", strconv.Itoa(int(RetryAfterUnavailable/time.Second)))
	}
	return code
}

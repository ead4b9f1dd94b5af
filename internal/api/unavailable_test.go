package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/store"
)

// fullStore refuses every registry write as a full disk does: the error is
// what a backend returns for SQLITE_FULL, marked unavailable.
type fullStore struct{ store.Store }

func (fullStore) Update(context.Context, func(store.Tx) error) error {
	return store.Unavailable(errors.New("sqlite: commit: database or disk is full (13)"))
}

// TestServer_Unavailable: a write the store refuses for an outage answers
// 503 with Retry-After and a problem that says nothing was changed, never
// 500 and never the cause.
func TestServer_Unavailable(t *testing.T) {
	f := newFixtureWith(t, options{wrapStore: func(s store.Store) store.Store { return fullStore{s} }})
	an := f.people["an"]
	r := f.do(req{method: "POST", path: "/v1/events", header: map[string]string{api.RequestIDHeader: "req-full"},
		body: `{"id":"ev-full-1","type":"correction","effective_date":"2026-01-05","reason":"test","subject":"` + an.PIN + `","data":{"changes":{"occupation":"teacher"}}}`})
	mustStatus(t, r, http.StatusServiceUnavailable)
	if got := r.header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q, want 5", got)
	}
	p := r.problem(t)
	if strings.Contains(string(r.body), "disk") || !strings.Contains(p.Detail, "nothing was changed") {
		t.Errorf("503 body %s: want the generic refusal, not the cause", r.body)
	}
	if line := logLine(t, f.logs.String(), "req-full"); !strings.Contains(line[api.KeyError].(string), "disk is full") {
		t.Errorf("access log line %v does not keep the cause", line)
	}
}

// TestServer_UnavailableSafetyNet: a handler the package does not own that
// answers 500 for a store outage met during the request is answered 503
// with Retry-After; a 500 with no outage behind it stays a 500.
func TestServer_UnavailableSafetyNet(t *testing.T) {
	f := newFixture(t)
	f.srv.Mux().HandleFunc("GET /other/outage", func(w http.ResponseWriter, r *http.Request) {
		store.Unavailable(errors.New("connection reset by peer"))
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
	})
	f.srv.Mux().HandleFunc("GET /other/bug", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
	})
	r := f.do(req{path: "/other/outage"})
	mustStatus(t, r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the 503")
	}
	r = f.do(req{path: "/other/bug"})
	mustStatus(t, r, http.StatusInternalServerError)
	if r.header.Get("Retry-After") != "" {
		t.Error("Retry-After on a 500")
	}
}

// TestServer_UnavailableBodyAgrees: an operation of the API that returns a
// plain error after a store outage met during the request is answered 503
// with a body that says 503 and "nothing was changed", not a 500 body
// under a 503 status.
func TestServer_UnavailableBodyAgrees(t *testing.T) {
	f := newFixture(t)
	huma.Register(f.srv.API(), huma.Operation{OperationID: "outage-test", Method: http.MethodGet, Path: "/v1/outage-test"},
		func(context.Context, *struct{}) (*struct{}, error) {
			store.Unavailable(errors.New("connection reset by peer"))
			return nil, errors.New("dataset: write batch: canceled")
		})
	r := f.do(req{path: "/v1/outage-test"})
	mustStatus(t, r, http.StatusServiceUnavailable)
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil || p.Status != http.StatusServiceUnavailable {
		t.Errorf("503 body %s (%v); want status 503 in it too", r.body, err)
	}
}

// writable is a WriteChecker that fails while down is set, and counts calls.
type writable struct {
	down  atomic.Bool
	calls atomic.Int32
}

func (w *writable) Writable(context.Context) error {
	w.calls.Add(1)
	if w.down.Load() {
		return store.Unavailable(errors.New("sqlite: heartbeat: disk I/O error (778)"))
	}
	return nil
}

// TestServer_ReadinessChecksWrites: readiness fails, with Retry-After,
// while the store does not accept writes, and passes again once it does,
// with no restart.
func TestServer_ReadinessChecksWrites(t *testing.T) {
	w := &writable{}
	f := newFixtureWith(t, options{writable: w})
	mustStatus(t, f.do(req{path: "/readyz", noAuth: true}), http.StatusOK)
	w.down.Store(true)
	r := f.do(req{path: "/readyz", noAuth: true})
	mustStatus(t, r, http.StatusServiceUnavailable)
	if p := r.problem(t); strings.Contains(p.Detail, "778") || r.header.Get("Retry-After") == "" {
		t.Errorf("unready answer %v %s: want the generic detail and Retry-After", r.header, r.body)
	}
	mustStatus(t, f.do(req{path: "/healthz", noAuth: true}), http.StatusOK)
	w.down.Store(false)
	mustStatus(t, f.do(req{path: "/readyz", noAuth: true}), http.StatusOK)
	if w.calls.Load() != 3 {
		t.Errorf("the write check ran %d times for 3 readiness probes", w.calls.Load())
	}
}

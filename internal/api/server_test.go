package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/store"
)

func TestServer_Authentication(t *testing.T) {
	f := newFixture(t)
	pinPath := "/v1/citizens/" + f.people["an"].PIN
	tests := []struct {
		name      string
		path      string
		auth      string // "" sends no Authorization header
		status    int
		challenge string
	}{
		{"no token", pinPath, "", http.StatusUnauthorized, `Bearer realm="dancu"`},
		{"wrong token", pinPath, "Bearer not-the-token", http.StatusUnauthorized, `Bearer realm="dancu", error="invalid_token"`},
		{"empty bearer", pinPath, "Bearer ", http.StatusUnauthorized, `Bearer realm="dancu"`},
		{"basic scheme", pinPath, "Basic " + testToken, http.StatusUnauthorized, `Bearer realm="dancu"`},
		{"right token", pinPath, "Bearer " + testToken, http.StatusOK, ""},
		{"scheme in lower case", pinPath, "bearer " + testToken, http.StatusOK, ""},
		{"search without token", "/v1/citizens?name=an", "", http.StatusUnauthorized, `Bearer realm="dancu"`},
		{"events without token", "/v1/events", "", http.StatusUnauthorized, `Bearer realm="dancu"`},
		{"unknown /v1 path without token", "/v1/nothing-here", "", http.StatusUnauthorized, `Bearer realm="dancu"`},
		{"unknown /v1 path with token", "/v1/nothing-here", "Bearer " + testToken, http.StatusNotFound, ""},
		{"healthz is public", "/healthz", "", http.StatusOK, ""},
		{"readyz is public", "/readyz", "", http.StatusOK, ""},
		{"metrics is public", "/metrics", "", http.StatusOK, ""},
		{"openapi is public", "/openapi.json", "", http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			r := f.do(req{path: tc.path, noAuth: true, header: h})
			mustStatus(t, r, tc.status)
			if got := r.header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
			if tc.status >= 400 {
				r.problem(t)
			}
		})
	}
	t.Run("POST without token writes nothing", func(t *testing.T) {
		r := f.do(req{method: http.MethodPost, path: "/v1/events", noAuth: true,
			body: `{"type":"death","subject":"` + f.people["an"].PIN + `","effective_date":"2026-02-01","reason":"x"}`})
		mustStatus(t, r, http.StatusUnauthorized)
		if got := f.get("/v1/citizens/" + f.people["an"].PIN).header.Get("ETag"); got != `"v1"` {
			t.Errorf("ETag = %s after an unauthenticated POST", got)
		}
	})
}

func TestServer_Unmatched(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		method string
		path   string
		status int
	}{
		{"unknown path", http.MethodGet, "/nothing", http.StatusNotFound},
		{"wrong method", http.MethodDelete, "/v1/citizens/" + f.people["an"].PIN, http.StatusMethodNotAllowed},
		{"wrong method on events", http.MethodPut, "/v1/events", http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(req{method: tc.method, path: tc.path})
			mustStatus(t, r, tc.status)
			r.problem(t)
			if tc.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}

func TestServer_Readiness(t *testing.T) {
	tests := []struct {
		name   string
		ping   error
		status int
	}{
		{"store answers", nil, http.StatusOK},
		{"store down", errors.New("dial tcp 10.0.0.5:5432: connection refused"), http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureWith(t, options{pinger: pingFunc(func(context.Context) error { return tc.ping })})
			r := f.do(req{path: "/readyz", noAuth: true})
			mustStatus(t, r, tc.status)
			if tc.status != http.StatusOK {
				if p := r.problem(t); strings.Contains(p.Detail, "10.0.0.5") {
					t.Errorf("problem leaks the cause: %q", p.Detail)
				}
				if !strings.Contains(f.logs.String(), "connection refused") {
					t.Error("the cause of the failed readiness check is not logged")
				}
			}
			// Liveness does not depend on the store.
			mustStatus(t, f.do(req{path: "/healthz", noAuth: true}), http.StatusOK)
		})
	}
}

type pingFunc func(context.Context) error

func (p pingFunc) Ping(ctx context.Context) error { return p(ctx) }

// failingStore fails every person read with an error that must not reach
// the client.
type failingStore struct{ store.Store }

func (failingStore) Person(context.Context, string) (store.PersonVersion, error) {
	return store.PersonVersion{}, errors.New("sqlite: disk I/O error at page 4711")
}

func TestServer_InternalError(t *testing.T) {
	f := newFixtureWith(t, options{wrapStore: func(s store.Store) store.Store { return failingStore{s} }})
	r := f.do(req{path: "/v1/citizens/" + f.people["an"].PIN, header: map[string]string{api.RequestIDHeader: "req-42"}})
	mustStatus(t, r, http.StatusInternalServerError)
	p := r.problem(t)
	if strings.Contains(string(r.body), "4711") || strings.Contains(string(r.body), "sqlite") || len(p.Errors) != 0 {
		t.Errorf("500 body leaks the internal error: %s", r.body)
	}
	if !strings.Contains(p.Detail, "req-42") {
		t.Errorf("500 detail %q does not give the request id", p.Detail)
	}
	line := logLine(t, f.logs.String(), "req-42")
	if line["level"] != "ERROR" || !strings.Contains(fmt.Sprint(line[api.KeyError]), "page 4711") {
		t.Errorf("access log line %v, want level ERROR with the internal error", line)
	}
}

// TestServer_ClientGoneIsNotAnError: a 5xx answered to a client that went
// away is logged at INFO, marked client_gone, not as a server error.
func TestServer_ClientGoneIsNotAnError(t *testing.T) {
	f := newFixtureWith(t, options{wrapStore: func(s store.Store) store.Store { return failingStore{s} }})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/citizens/"+f.people["an"].PIN, nil)
	r.Header.Set("Authorization", "Bearer "+testToken)
	r.Header.Set(api.RequestIDHeader, "req-gone")
	f.srv.ServeHTTP(httptest.NewRecorder(), r)
	line := logLine(t, f.logs.String(), "req-gone")
	if line["level"] != "INFO" || line[api.KeyClientGone] != true {
		t.Errorf("access log line %v, want level INFO and client_gone", line)
	}
}

func TestServer_PanicRecovery(t *testing.T) {
	f := newFixture(t)
	f.srv.Mux().HandleFunc("GET /boom/{pin}", func(w http.ResponseWriter, r *http.Request) {
		panic(fmt.Sprintf("record of %s", r.PathValue("pin")))
	})
	r := f.do(req{path: "/boom/" + f.people["an"].PIN, header: map[string]string{api.RequestIDHeader: "req-boom"}})
	mustStatus(t, r, http.StatusInternalServerError)
	r.problem(t)
	logs := f.logs.String()
	if strings.Contains(logs, f.people["an"].PIN) {
		t.Error("the panic value reached the log")
	}
	if !strings.Contains(logs, "panic serving request") || !strings.Contains(logs, "value of type string") {
		t.Errorf("panic not logged: %s", logs)
	}
	if line := logLine(t, logs, "req-boom"); line[api.KeyRoute] != "/boom/{pin}" || line[api.KeyStatus] != float64(500) {
		t.Errorf("access line %v", line)
	}
	// The server still serves.
	mustStatus(t, f.get("/v1/citizens/"+f.people["an"].PIN), http.StatusOK)
}

func TestServer_RequestID(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, sent string
		echoed     bool
	}{
		{"absent", "", false},
		{"plausible", "trace-01.abc:9", true},
		{"too long", strings.Repeat("a", 65), false},
		{"odd characters", "id with spaces", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.sent != "" {
				h[api.RequestIDHeader] = tc.sent
			}
			r := f.do(req{path: "/healthz", header: h})
			got := r.header.Get(api.RequestIDHeader)
			if got == "" || (got == tc.sent) != tc.echoed {
				t.Errorf("X-Request-Id = %q for %q, echoed want %v", got, tc.sent, tc.echoed)
			}
			logLine(t, f.logs.String(), got)
		})
	}
}

func TestServer_SecurityHeaders(t *testing.T) {
	f := newFixture(t)
	f.srv.Mux().HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<p>hi</p>"))
	})
	tests := []struct {
		path              string
		csp, cacheControl string
	}{
		{"/v1/citizens/" + f.people["an"].PIN, "default-src 'none'; frame-ancestors 'none'", "private, no-cache"},
		{"/v1/citizens/12", "default-src 'none'; frame-ancestors 'none'", "private, no-cache"},
		{"/openapi.json", "default-src 'none'; frame-ancestors 'none'", ""},
		{"/page", "", ""}, // HTML handlers set their own policy
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := f.get(tc.path)
			want := map[string]string{
				"X-Content-Type-Options":  "nosniff",
				"X-Frame-Options":         "DENY",
				"Referrer-Policy":         "no-referrer",
				"Content-Security-Policy": tc.csp,
				"Cache-Control":           tc.cacheControl,
			}
			for k, v := range want {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestServer_BodyLimit(t *testing.T) {
	f := newFixture(t)
	big := `{"type":"name_change","reason":"` + strings.Repeat("x", api.DefaultMaxBodyBytes) + `"}`
	r := f.do(req{method: http.MethodPost, path: "/v1/events", body: big})
	mustStatus(t, r, http.StatusRequestEntityTooLarge)
	r.problem(t)

	// Without a Content-Length the limit applies while reading.
	hr := strings.NewReader(big)
	rec := serveChunked(f, hr)
	mustStatus(t, rec, http.StatusRequestEntityTooLarge)
	rec.problem(t)
}

func TestServer_OpenAPI(t *testing.T) {
	f := newFixture(t)
	r := f.do(req{path: "/openapi.json", noAuth: true})
	mustStatus(t, r, http.StatusOK)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
		Comps   struct {
			Schemas         map[string]json.RawMessage `json:"schemas"`
			SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
		} `json:"components"`
	}
	r.json(t, &doc)
	if !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(doc.OpenAPI) {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	want := map[string][]string{
		"/v1/citizens/{pin}":         {"get"},
		"/v1/citizens/{pin}/history": {"get"},
		"/v1/citizens":               {"get"},
		"/v1/households/{id}":        {"get"},
		"/v1/events":                 {"get", "post"},
		"/v1/events/{id}":            {"get"},
		"/healthz":                   {"get"},
		"/readyz":                    {"get"},
	}
	for path, methods := range want {
		for _, m := range methods {
			if _, ok := doc.Paths[path][m]; !ok {
				t.Errorf("OpenAPI lacks %s %s", strings.ToUpper(m), path)
			}
		}
	}
	if _, ok := doc.Comps.SecuritySchemes["bearer"]; !ok {
		t.Error("no bearer security scheme")
	}

	// registry.Date is a string with a pattern wherever it appears.
	var person struct {
		Properties map[string]struct {
			Type    any    `json:"type"`
			Pattern string `json:"pattern"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(doc.Comps.Schemas["Person"], &person); err != nil {
		t.Fatalf("Person schema: %v", err)
	}
	if bd := person.Properties["birth_date"]; bd.Type != "string" || bd.Pattern != api.DatePattern {
		t.Errorf("birth_date schema = %+v, want a string with pattern %s", bd, api.DatePattern)
	}

	// Each /v1/ operation declares the bearer requirement; health does not.
	var ops map[string]map[string]struct {
		Security []map[string][]string `json:"security"`
	}
	json.Unmarshal(r.body, &struct {
		Paths *map[string]map[string]struct {
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
	}{&ops})
	for path, ms := range ops {
		for m, op := range ms {
			if got := len(op.Security) > 0; got != strings.HasPrefix(path, "/v1/") {
				t.Errorf("%s %s security = %v", m, path, op.Security)
			}
		}
	}
}

func TestServer_Metrics(t *testing.T) {
	f := newFixture(t)
	an := f.people["an"]
	for range 3 {
		f.get("/v1/citizens/" + an.PIN)
	}
	f.get("/v1/citizens/999180000101")
	f.do(req{path: "/v1/citizens/" + an.PIN, noAuth: true})
	f.get("/nothing")

	r := f.do(req{path: "/metrics", noAuth: true})
	mustStatus(t, r, http.StatusOK)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(r.body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	counts := map[string]float64{}
	for _, m := range families[api.MetricRequests].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		counts[labels["method"]+" "+labels["route"]+" "+labels["status"]] = m.GetCounter().GetValue()
	}
	want := map[string]float64{
		"GET /v1/citizens/{pin} 200": 3,
		"GET /v1/citizens/{pin} 400": 1,
		"GET /v1/citizens/{pin} 401": 1,
		"GET unmatched 404":          1,
	}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s{%s} = %v, want %v", api.MetricRequests, k, counts[k], v)
		}
	}
	for k := range counts {
		if strings.Contains(k, an.PIN) {
			t.Errorf("a metric label holds a PIN: %s", k)
		}
	}
	h := families[api.MetricDuration]
	if h.GetType().String() != "HISTOGRAM" || len(h.GetMetric()) == 0 {
		t.Errorf("%s: %v", api.MetricDuration, h)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", api.MetricInFlight} {
		if _, ok := families[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestServer_LogsHoldNoPersonalData runs a burst of requests over every
// endpoint and every person, then looks for their PINs and names in the log.
func TestServer_LogsHoldNoPersonalData(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	for _, p := range f.people {
		for _, path := range []string{
			"/v1/citizens/" + p.PIN,
			"/v1/citizens/" + p.PIN + "?as_of=2000-01-01",
			"/v1/citizens/" + p.PIN + "/history",
			"/v1/citizens?name=" + strings.ReplaceAll(p.FullName, " ", "+"),
			"/v1/events?pin=" + p.PIN,
			"/v1/households/" + p.PIN,
			"/v1/citizens/" + p.PIN + "x",
			"/boom/" + p.PIN,
		} {
			wg.Add(2)
			go func() { defer wg.Done(); f.get(path) }()
			go func() { defer wg.Done(); f.do(req{path: path, noAuth: true}) }()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.rename(p.PIN, "Đỗ Thị Ngọc", "2026-02-01", "rename-"+p.PIN[6:])
			f.rename(p.PIN, "X", "2026-02-01", "bad-"+p.PIN[6:])
		}()
	}
	wg.Wait()
	f.get("/v1/households/" + f.hh.ID)
	f.get("/v1/events")

	logs := f.logs.String()
	if !strings.Contains(logs, `"route":"/v1/citizens/{pin}"`) {
		t.Fatalf("the log has no access lines: %s", logs)
	}
	secrets := append(f.secrets(), "Đỗ Thị Ngọc", "Ngọc")
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains %q", s)
		}
	}
}

// logLine finds the access log line of a request id.
func logLine(t *testing.T, logs, id string) map[string]any {
	t.Helper()
	for l := range strings.SplitSeq(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m[api.KeyRequestID] == id && m["msg"] == "http request" {
			return m
		}
	}
	t.Fatalf("no access line for request %s in\n%s", id, logs)
	return nil
}

func TestSetPrincipal(t *testing.T) {
	f := newFixture(t)
	f.srv.Mux().HandleFunc("GET /console/page", func(w http.ResponseWriter, r *http.Request) {
		api.SetPrincipal(r.Context(), "officer-17")
	})
	f.do(req{path: "/console/page", noAuth: true, header: map[string]string{api.RequestIDHeader: "req-console"}})
	if line := logLine(t, f.logs.String(), "req-console"); line[api.KeyPrincipal] != "officer-17" {
		t.Errorf("principal = %v, want officer-17", line[api.KeyPrincipal])
	}
}

func TestRouteLabels(t *testing.T) {
	f := newFixture(t)
	id := "req-route"
	f.do(req{path: "/v1/citizens/" + f.people["an"].PIN + "/history", header: map[string]string{api.RequestIDHeader: id}})
	line := logLine(t, f.logs.String(), id)
	want := map[string]any{
		api.KeyMethod: "GET", api.KeyRoute: "/v1/citizens/{pin}/history", api.KeyStatus: float64(200),
		api.KeyPrincipal: "admin",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v", k, line[k], v)
		}
	}
	for _, k := range []string{api.KeyDuration, api.KeyBytes} {
		if _, ok := line[k]; !ok {
			t.Errorf("access line lacks %s", k)
		}
	}
}

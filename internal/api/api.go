package api

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
)

// DefaultMaxBodyBytes bounds a request body unless Deps says otherwise: a
// life event is a few kilobytes, so a megabyte leaves room without letting
// a client make the server buffer much.
const DefaultMaxBodyBytes = 1 << 20

// Pinger is the part of the store that readiness needs.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are the dependencies of the HTTP layer. Registry, Store, Auth and
// Logger are required.
type Deps struct {
	Registry *registry.Registry
	Store    Pinger
	Auth     *auth.Authenticator
	Logger   *slog.Logger
	// Recorder receives an access-log entry for every read or write of a
	// person's data, before the answer is written. Required: production
	// passes the audit log, tests may pass a fake.
	Recorder audit.Recorder
	// Metrics is where the HTTP metrics are registered and what /metrics
	// serves. If nil, New makes a registry with the Go runtime and process
	// collectors; a caller that brings its own adds those itself.
	Metrics *prometheus.Registry
	// Version is the program version shown in the OpenAPI document.
	Version string
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Clients answers agencies' API clients' reads of a person. If nil,
	// client principals are refused on GET /v1/citizens/{pin} as on every
	// other route.
	Clients ClientReader
	// RateLimit sheds floods with 429; the zero value limits nothing.
	RateLimit RateLimit
	// Writable, if set, makes readiness also require that the store
	// accepts writes.
	Writable WriteChecker
}

// Server is the HTTP handler of a dancu process: the middleware around a
// mux that holds the REST API, the health and metrics endpoints, and
// whatever other packages mount on it.
type Server struct {
	mux     *http.ServeMux
	api     huma.API
	log     *slog.Logger
	auth    *auth.Authenticator
	metrics *httpMetrics
	maxBody int64
	handler http.Handler
	// public are the /v1/ routes served without a bearer token (the OAuth
	// token endpoint, where clients authenticate by assertion instead);
	// clientRoutes are the routes agencies' API clients may call. Both are
	// filled while mounting, before the server serves.
	public       map[string]bool
	clientRoutes map[string]bool
	limits       RateLimit
	// bodyLimits are the routes with a body limit other than maxBody.
	bodyLimits map[string]int64
}

// New builds the server and mounts the registry API, health, metrics and
// the OpenAPI document. It panics if a required dependency is missing, as
// that is a wiring bug that no request could recover from.
func New(d Deps) *Server {
	switch {
	case d.Registry == nil:
		panic("api: Deps.Registry is nil")
	case d.Store == nil:
		panic("api: Deps.Store is nil")
	case d.Auth == nil:
		panic("api: Deps.Auth is nil")
	case d.Logger == nil:
		panic("api: Deps.Logger is nil")
	case d.Recorder == nil:
		panic("api: Deps.Recorder is nil")
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if d.Version == "" {
		d.Version = "dev"
	}
	reg := d.Metrics
	if reg == nil {
		reg = newMetricsRegistry()
	}
	s := &Server{
		mux:     http.NewServeMux(),
		log:     d.Logger,
		auth:    d.Auth,
		metrics: newHTTPMetrics(reg),
		maxBody: d.MaxBodyBytes,
		limits:  d.RateLimit,
	}
	s.api = humago.New(s.mux, humaConfig(d.Version))
	NewHealthHandler(d.Store, d.Writable).Mount(s.api)
	rh := NewRegistryHandler(d.Registry, d.Logger)
	rh.rec, rh.auth = d.Recorder, d.Auth
	if d.Clients != nil {
		rh.clients = d.Clients
		s.AllowClients("/v1/citizens/{pin}")
	}
	rh.Mount(s.api)
	s.mux.Handle("GET /metrics", metricsHandler(reg))
	s.handler = s.observe(s.limitBody(s.authenticate(http.HandlerFunc(s.route))))
	return s
}

// ServeHTTP serves a request through the middleware.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Mux is the router under the middleware, for packages that serve plain
// handlers (the console). Everything mounted on it gets the request id,
// access log, metrics, recovery, body limit and, under /v1/, authentication.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// HandlePublic mounts h at pattern and serves it without bearer
// authentication, for endpoints that authenticate callers themselves (the
// OAuth token endpoint). Call it before the server serves requests.
func (s *Server) HandlePublic(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	if s.public == nil {
		s.public = map[string]bool{}
	}
	s.public[routeOf(pattern)] = true
}

// AllowClients lets agencies' API clients call the routes (paths as mounted,
// such as /v1/citizens/{pin}); every other /v1/ route refuses them with 403.
// The handlers of these routes must apply the clients' policy themselves.
func (s *Server) AllowClients(routes ...string) {
	if s.clientRoutes == nil {
		s.clientRoutes = map[string]bool{}
	}
	for _, r := range routes {
		s.clientRoutes[routeOf(r)] = true
	}
}

// API is the huma API, for packages that add operations to the OpenAPI
// document.
func (s *Server) API() huma.API { return s.api }

// Security is the requirement every /v1/ operation declares, matching what
// the middleware enforces.
var Security = []map[string][]string{{"bearer": {}}}

// humaConfig is huma's configuration for dancu: OpenAPI 3.1 at
// /openapi.json (and .yaml), no docs UI (it loads scripts from a CDN, which
// the security policy forbids), and no $schema links in response bodies.
func humaConfig(version string) huma.Config {
	cfg := huma.DefaultConfig("dancu population registry API", version)
	cfg.Info.Description = "The national population registry: citizens' records and their history, " +
		"households, and the life events that change them. Every /v1/ operation needs " +
		"an `Authorization: Bearer` token; errors are RFC 9457 problem details."
	cfg.DocsPath = ""
	cfg.SchemasPath = ""
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "The administrator token, or another token issued by dancu."},
	}
	cfg.Components.Schemas.RegisterTypeAlias(reflect.TypeFor[registry.Date](), reflect.TypeFor[dateSchema]())
	return cfg
}

// DatePattern is the form of a registry date: ISO 8601, possibly partial
// when old records know only the year, or the year and month.
const DatePattern = `^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`

// dateSchema stands in for registry.Date in the OpenAPI document, so that
// the registry need not know about huma. registry.Date marshals as text.
type dateSchema struct{}

// Schema describes registry.Date.
func (dateSchema) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{
		Type:        huma.TypeString,
		Pattern:     DatePattern,
		Description: "ISO 8601 date; old records may know only YYYY-MM or YYYY.",
		Examples:    []any{"1985-03-02"},
	}
}

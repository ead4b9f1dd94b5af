package api

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/auth"
)

// requestInfo is what the middleware learns about a request while it is
// served. The outermost middleware owns it; inner layers fill it in through
// the context, so that the access log line written last sees the principal
// and the cause of a failure.
type requestInfo struct {
	id        string
	start     time.Time // when the request arrived
	route     string    // the matched pattern's path, such as /v1/citizens/{pin}; "" if none
	principal string
	err       error // the internal cause of a 5xx, for the log only
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// RequestID returns the id of the request ctx belongs to, or "" outside a
// request served by this package. Other packages log it as KeyRequestID.
func RequestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// SetPrincipal records who made the request, for its access log line. The
// bearer-token middleware does this for /v1/; handlers that authenticate
// another way (the console's session cookie) call it so that their
// requests are attributed too.
func SetPrincipal(ctx context.Context, id string) {
	if info := infoFrom(ctx); info != nil {
		info.principal = id
	}
}

// recordError keeps the internal cause of a failure for the access log.
func recordError(ctx context.Context, err error) {
	if info := infoFrom(ctx); info != nil && err != nil {
		info.err = err
	}
}

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// requestID returns the caller's request id if it is a plausible one, so
// that a trace can cross a proxy, and a new one otherwise. Anything else is
// replaced rather than logged: a header is client-controlled text.
func requestID(r *http.Request) string {
	id := r.Header.Get(RequestIDHeader)
	if id == "" || len(id) > 64 || strings.IndexFunc(id, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:", c))
	}) >= 0 {
		return rand.Text()
	}
	return id
}

// responseWriter records what was sent, and applies the content-dependent
// security headers at the last moment the headers can change.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	start  time.Time // when the request arrived
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		code = unavailableStatus(w.Header(), code, w.start)
		w.status = code
		contentSecurityPolicy(w.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets streaming handlers work through the wrapper.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// apiCSP forbids everything a browser could do with an API response: it is
// data, never a document.
const apiCSP = "default-src 'none'; frame-ancestors 'none'"

// contentSecurityPolicy sets the API's policy on anything that is not an
// HTML page and has no policy of its own. HTML handlers (the console) know
// which scripts and styles they load and set their own.
func contentSecurityPolicy(h http.Header) {
	if h.Get("Content-Security-Policy") != "" {
		return
	}
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt == "text/html" {
		return
	}
	h.Set("Content-Security-Policy", apiCSP)
}

// securityHeaders sets the headers every response carries. Handlers may
// replace them.
func securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	if isV1(r.URL.Path) {
		// Personal data: a shared cache must never keep it, and the
		// client's own cache must revalidate (with the ETag) before reuse.
		h.Set("Cache-Control", "private, no-cache")
	}
}

func isV1(path string) bool { return strings.HasPrefix(path, "/v1/") || path == "/v1" }

// routeOf returns the path part of a mux pattern ("GET /v1/citizens/{pin}"
// → "/v1/citizens/{pin}"): the only form of the path that is logged or used
// as a metric label, since the path itself contains PINs.
func routeOf(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // drop a host
	}
	return pattern
}

// unmatchedRoute is the route label of requests that match no pattern, so
// that scanners cannot grow the metrics without bound.
const unmatchedRoute = "unmatched"

// quietRoutes are polled by machines; their access lines go to debug level.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// probeRoutes are the health probes, which no rate limit counts.
var probeRoutes = map[string]bool{"/healthz": true, "/readyz": true}

// observe is the outermost middleware: request id, security headers, panic
// recovery, then one access log line and the metrics once the response is
// complete.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r), start: start}
		if _, pattern := s.mux.Handler(r); pattern != "" {
			info.route = routeOf(pattern)
		}
		ctx := context.WithValue(r.Context(), infoKey{}, info)
		r = r.WithContext(ctx)
		w.Header().Set(RequestIDHeader, info.id)
		securityHeaders(w, r)
		rw := &responseWriter{ResponseWriter: w, start: start}
		s.metrics.inflight.Inc()

		defer func() {
			v := recover()
			if v != nil && v != http.ErrAbortHandler {
				info.err = fmt.Errorf("panic: %s", describePanic(v))
				s.log.ErrorContext(ctx, "panic serving request",
					KeyRequestID, info.id, KeyRoute, info.route,
					KeyPanic, describePanic(v), KeyStack, string(debug.Stack()))
				if rw.status == 0 {
					writeProblem(rw, internalProblem(ctx, http.StatusInternalServerError))
				} else {
					// The status is sent: abort the connection so that
					// the client cannot take a truncated body for whole.
					v = http.ErrAbortHandler
				}
			}
			s.metrics.inflight.Dec()
			s.finish(ctx, r, rw, info, time.Since(start))
			if v == http.ErrAbortHandler {
				panic(v)
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

// describePanic says what panicked without printing arbitrary values: a
// runtime error's text is the program's own, but a value passed to panic
// could hold a record.
func describePanic(v any) string {
	if err, ok := v.(runtime.Error); ok {
		return err.Error()
	}
	return fmt.Sprintf("value of type %T", v)
}

// finish writes the access log line and updates the metrics.
func (s *Server) finish(ctx context.Context, r *http.Request, rw *responseWriter, info *requestInfo, d time.Duration) {
	status := rw.status
	if status == 0 {
		status = http.StatusOK // net/http's implicit status for a handler that wrote nothing
	}
	route := info.route
	if route == "" {
		route = unmatchedRoute
	}
	s.metrics.observe(r.Method, route, status, d)

	// A 5xx for a request whose client went away (its context ended, as
	// when a load balancer or a user gives up) is the disconnection's
	// doing, not a fault of the server: it is logged, not as an error.
	gone := r.Context().Err() != nil
	level := slog.LevelInfo
	switch {
	case status >= 500 && !gone:
		level = slog.LevelError
	case quietRoutes[route]:
		level = slog.LevelDebug
	}
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String(KeyRequestID, info.id),
		slog.String(KeyMethod, r.Method),
		slog.String(KeyRoute, route),
		slog.Int(KeyStatus, status),
		slog.Float64(KeyDuration, float64(d.Microseconds())/1000),
		slog.Int64(KeyBytes, rw.bytes),
	}
	if info.principal != "" {
		attrs = append(attrs, slog.String(KeyPrincipal, info.principal))
	}
	if info.err != nil && status >= 500 {
		attrs = append(attrs, slog.String(KeyError, info.err.Error()))
	}
	if gone {
		attrs = append(attrs, slog.Bool(KeyClientGone, true))
	}
	s.log.LogAttrs(ctx, level, "http request", attrs...)
}

// limitBody bounds what a request may send, before anything reads it.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.bodyLimit(r)
		if r.ContentLength > limit {
			writeProblem(w, &Problem{
				Status: http.StatusRequestEntityTooLarge,
				Title:  http.StatusText(http.StatusRequestEntityTooLarge),
				Detail: fmt.Sprintf("The request body exceeds %d bytes.", limit),
			})
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if !s.checkText(w, r, limit) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate requires a bearer token on everything under /v1/, matched or
// not, so that an unauthenticated caller learns nothing about which routes
// exist.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoFrom(r.Context())
		if probeRoutes[r.URL.Path] {
			// A load balancer's probes come from a few addresses many times
			// a second; counting them would take the process out of
			// rotation, or starve clients behind the same address. They
			// cost no write (readyz's heartbeat is shared, one a second).
			next.ServeHTTP(w, r)
			return
		}
		if !isV1(r.URL.Path) && (info == nil || !isV1(info.route)) || info != nil && s.public[info.route] {
			if s.allowAddress(w, r) {
				next.ServeHTTP(w, r)
			}
			return
		}
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			if s.allowAddress(w, r) {
				unauthorized(w, `Bearer realm="dancu"`, "This endpoint requires an Authorization: Bearer token.")
			}
			return
		}
		p, ok := s.auth.VerifyBearer(r.Context(), token)
		if !ok {
			// Guessing tokens counts against the address.
			if s.allowAddress(w, r) {
				unauthorized(w, `Bearer realm="dancu", error="invalid_token"`, "The bearer token is not valid.")
			}
			return
		}
		if p.Kind == auth.KindClient && !s.allowAgency(w, p.Agency) {
			if info != nil {
				info.principal = p.ID
			}
			return
		}
		if p.Kind == auth.KindClient && (info == nil || !s.clientRoutes[info.route]) {
			// Deny by default: an agency's client reaches only the routes
			// that enforce purpose-bound policy, never the officers' API.
			if info != nil {
				info.principal = p.ID
			}
			writeProblem(w, &Problem{
				Status: http.StatusForbidden,
				Title:  http.StatusText(http.StatusForbidden),
				Detail: "API clients may not use this resource.",
			})
			return
		}
		if info != nil {
			info.principal = p.ID
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// bearerToken extracts the token of an RFC 6750 Authorization header; the
// scheme name is case-insensitive.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func unauthorized(w http.ResponseWriter, challenge, detail string) {
	w.Header().Set("WWW-Authenticate", challenge)
	writeProblem(w, &Problem{
		Status: http.StatusUnauthorized,
		Title:  http.StatusText(http.StatusUnauthorized),
		Detail: detail,
	})
}

// route serves the mux, answering requests that match no pattern with a
// problem instead of the mux's plain-text 404 and 405.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if info := infoFrom(r.Context()); info != nil && info.route != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(&unmatchedWriter{ResponseWriter: w}, r)
}

// unmatchedWriter turns the mux's own 404 and 405 into problems. Any other
// status (such as the redirect to a path's canonical form) passes through.
type unmatchedWriter struct {
	http.ResponseWriter
	swallow bool
}

func (w *unmatchedWriter) WriteHeader(code int) {
	if code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.swallow = true
	detail := "No resource at this path."
	if code == http.StatusMethodNotAllowed {
		detail = "The resource does not support this method."
	}
	writeProblem(w.ResponseWriter, &Problem{Status: code, Title: http.StatusText(code), Detail: detail})
}

func (w *unmatchedWriter) Write(b []byte) (int, error) {
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// errNoPrincipal means the authentication middleware did not run before a
// handler that needs a principal: a wiring bug, reported as a 500.
var errNoPrincipal = errors.New("api: no authenticated principal in the request context")

package portal

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// prefix is where the portal lives.
const prefix = "/portal/"

// csrfCookie holds the portal's double-submit CSRF secret.
const csrfCookie = "dancu_portal_csrf"

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// People is what the portal reads of the registry: the citizen's own
// record. *registry.Registry implements it.
type People interface {
	Person(ctx context.Context, pin string, asOf registry.Date) (*registry.Record, error)
}

// Tracker is what the data tracker needs of the access log. *audit.Log
// implements it.
type Tracker interface {
	Accesses(ctx context.Context, pin string, before int64, limit int, view audit.View) (audit.Tracking, error)
	Verifier() note.Verifier
	VerifierKey() string
}

// ConnectedApp is a relying party a citizen agreed to share data with.
type ConnectedApp struct {
	// ID identifies the grant to Revoke (a client id, a consent id).
	ID      string
	Name    string
	Purpose string
	Scopes  []string
	Since   time.Time
}

// ConnectedApps lists and revokes the apps a citizen connected (package
// oidc implements it). Revoke ends the app's access: its consent and its
// refresh tokens. A nil ConnectedApps means no apps yet.
type ConnectedApps interface {
	List(ctx context.Context, c eid.Citizen) ([]ConnectedApp, error)
	Revoke(ctx context.Context, c eid.Citizen, id string) error
}

// LinkedRecord is a record about the citizen from another database (health
// insurance, social insurance...), shown at level 2.
type LinkedRecord struct {
	Source  string
	Key     string
	Updated time.Time
	Fields  [][2]string // name, value, in the order to show
}

// Linked reads the records other databases linked to a PIN. Nil: none.
type Linked interface {
	LinkedRecords(ctx context.Context, pin string) ([]LinkedRecord, error)
}

// Deps are the portal's collaborators. EID, People and Tracker are
// required; Apps and Linked may be nil.
type Deps struct {
	EID     *eid.Service
	People  People
	Tracker Tracker
	Apps    ConnectedApps
	Linked  Linked
	Logger  *slog.Logger
}

// Handler serves the citizens' portal under /portal/.
type Handler struct {
	d        Deps
	log      *slog.Logger
	pages    map[string]map[string]*template.Template // language → page → template
	sections []Section
	links    []Link
}

// New returns the portal's handler.
func New(d Deps) *Handler {
	h := &Handler{d: d, log: d.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.pages = make(map[string]map[string]*template.Template, len(langs))
	for _, l := range langs {
		c := catalogueFor(l)
		funcs := template.FuncMap{
			"t":     c.T,
			"date":  c.Date,
			"time":  c.Time,
			"join":  strings.Join,
			"event": func(e eid.Event) string { return eventText(c, e) },
		}
		h.pages[l] = map[string]*template.Template{}
		for _, page := range pageNames {
			h.pages[l][page] = template.Must(template.New("layout.html").Funcs(funcs).
				ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html"))
		}
	}
	return h
}

// pageNames are the portal's pages, one template file each, rendered in
// layout.html.
var pageNames = []string{"home", "register", "register_code", "signin", "signin_second", "me", "tracker",
	"sessions", "events", "apps", "security", "orgs", "error", "section"}

// request is the per-request state the middleware sets up.
type request struct {
	id      string
	lang    string
	csrf    string
	citizen eid.Citizen
	signed  bool
}

type requestKey struct{}

func reqOf(r *http.Request) *request {
	if rq, ok := r.Context().Value(requestKey{}).(*request); ok {
		return rq
	}
	return &request{lang: defaultLang}
}

// ensure returns the request's portal state, working it out for a request
// that did not come through the portal's middleware (a package that
// mounts its own pages under /portal/ and renders them in the layout).
func (h *Handler) ensure(w http.ResponseWriter, r *http.Request) *request {
	if rq, ok := r.Context().Value(requestKey{}).(*request); ok {
		return rq
	}
	rq := &request{id: api.RequestID(r.Context()), lang: chooseLang(w, r), csrf: csrfSecret(w, r)}
	if c, ok := h.d.EID.Current(r); ok {
		rq.citizen, rq.signed = c, true
	}
	return rq
}

// Mount registers the portal's routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.forbidden))
	route := func(pattern string, f http.HandlerFunc, signedIn bool) {
		mux.Handle(pattern, h.chain(cop.Handler(f), signedIn, 0))
	}
	mux.Handle("GET "+prefix+"static/", h.chain(http.HandlerFunc(h.static), false, 0))
	route("GET "+prefix+"{$}", h.home, false)
	route("GET "+prefix+"register", h.registerForm, false)
	route("POST "+prefix+"register", h.register, false)
	route("POST "+prefix+"register/code", h.registerCode, false)
	route("GET "+prefix+"signin", h.signinForm, false)
	route("POST "+prefix+"signin", h.signin, false)
	route("POST "+prefix+"signin/sms", h.signinSMS, false)
	route("POST "+prefix+"signin/verify", h.signinVerify, false)
	route("POST "+prefix+"signout", h.signout, true)
	route("GET "+prefix+"me", h.me, true)
	route("GET "+prefix+"tracker", h.tracker, true)
	route("GET "+prefix+"sessions", h.sessions, true)
	route("POST "+prefix+"sessions/revoke", h.revokeSession, true)
	route("GET "+prefix+"events", h.events, true)
	route("GET "+prefix+"apps", h.apps, true)
	route("POST "+prefix+"apps/revoke", h.revokeApp, true)
	route("GET "+prefix+"security", h.security, true)
	route("POST "+prefix+"security/password", h.changePassword, true)
	route("POST "+prefix+"security/totp", h.beginTOTP, true)
	route("POST "+prefix+"security/totp/confirm", h.confirmTOTP, true)
	route("GET "+prefix+"organisations", h.orgs, true)
	route("POST "+prefix+"organisations", h.registerOrg, true)
	route("POST "+prefix+"organisations/apps/revoke", h.revokeOrgApp, true)
	route("POST "+prefix+"organisations/close", h.closeOrg, true)
	for _, s := range h.sections {
		mux.Handle(prefix+s.Name+"/", h.chain(cop.Handler(s.Handler), s.SignIn || s.MinLevel > 0, s.MinLevel))
	}
	mux.Handle(prefix, h.chain(http.HandlerFunc(h.notFound), false, 0))
}

// chain wraps a handler with the portal's middleware: request id, security
// headers, language, CSRF secret, panic recovery, one log line, the
// session check (redirecting to sign-in when signIn and there is none) and
// the CSRF check of every unsafe request.
func (h *Handler) chain(next http.Handler, signIn bool, minLevel int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rq := &request{id: api.RequestID(r.Context())}
		if rq.id == "" {
			b := make([]byte, 8)
			rand.Read(b)
			rq.id = hex.EncodeToString(b)
		}
		sw := &statusWriter{ResponseWriter: w}
		setSecurityHeaders(sw.Header())
		sw.Header().Set("Cache-Control", "no-store")
		sw.Header().Set("X-Request-Id", rq.id)
		rq.lang = chooseLang(sw, r)
		rq.csrf = csrfSecret(sw, r)
		// The stylesheet and the script need no session: no database read.
		if !strings.HasPrefix(r.URL.Path, prefix+"static/") {
			if c, ok := h.d.EID.Current(r); ok {
				rq.citizen, rq.signed = c, true
				r = r.WithContext(eid.WithCitizen(r.Context(), c))
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, rq))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.Error("portal panic", "request_id", rq.id, "route", r.Pattern,
					"err", fmt.Sprintf("panic of type %T", v), "stack", string(debug.Stack()))
				if sw.status == 0 {
					h.serverError(sw, r, fmt.Errorf("panic"))
				}
			}
			// The route pattern only: paths and queries may hold personal data.
			h.log.Debug("portal request", "request_id", rq.id, "method", r.Method, "route", r.Pattern,
				"status", sw.status, "ms", time.Since(start).Milliseconds(), "account", rq.citizen.AccountID)
		}()
		if signIn && !rq.signed {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(sw, r, SignInURL(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.forbidden(sw, r)
			return
		}
		if minLevel > 0 && rq.citizen.Level < minLevel {
			h.renderError(sw, r, http.StatusForbidden, catalogueFor(rq.lang).T("err.level", minLevel))
			return
		}
		if !safeMethod(r.Method) {
			r.Body = http.MaxBytesReader(sw, r.Body, 64<<10)
			if !validCSRF(r, rq.csrf) {
				h.forbidden(sw, r)
				return
			}
		}
		next.ServeHTTP(sw, r)
	})
}

// SignInURL is where a browser without a session goes: the portal's sign-in
// with next, the local URI to come back to.
func SignInURL(next string) string {
	return prefix + "signin?next=" + url.QueryEscape(next)
}

// safeNext returns where to go after signing in: a local path, never
// another site (no scheme, no host, no // or \ tricks), so that next cannot
// send a citizen to a look-alike page. Anything else is the portal's home.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") || len(next) > 2048 {
		return prefix
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return prefix
	}
	clean := path.Clean(u.Path)
	if strings.HasPrefix(clean, prefix+"signin") || strings.HasPrefix(clean, prefix+"register") ||
		strings.HasPrefix(u.Path, "//") {
		return prefix
	}
	// Re-encoding may turn an escaped slash back into "//" (a reference to
	// another host): check what is actually sent.
	out := u.RequestURI()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.Contains(out, "\\") {
		return prefix
	}
	return out
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfSecret returns the browser's CSRF secret, setting a new one when it
// has none. The cookie is HttpOnly and SameSite=Strict; each form posts the
// same value, which a page of another site can neither read nor set.
func csrfSecret(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	// Path /: pages of other parts of the site drawn in the portal's
	// layout (the OpenID Connect provider's consent page) carry the
	// header's sign-out form, whose secret must be the portal's.
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	clearPortalPathCookie(w, r, csrfCookie)
	return v
}

// clearPortalPathCookie removes a cookie of the name set, before its path
// became the whole site, for /portal/ only: browsers send the longer path's
// first, so on the portal's pages it would hide the new one (a language
// switch that does not stick, a sign-out form whose secret is refused).
func clearPortalPathCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Path: prefix, MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil})
}

// validCSRF checks the form field "csrf" (or the X-CSRF-Token header)
// against the browser's secret.
func validCSRF(r *http.Request, secret string) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value != secret {
		return false
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(secret)) == 1
}

// setSecurityHeaders: scripts only from the portal itself (the tracker's
// proof checker), no inline script or style, no framing.
func setSecurityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var staticName = regexp.MustCompile(`^[a-z0-9-]+\.(css|js)$`)

// static serves the embedded stylesheet and script. They may be cached:
// they hold nothing personal, and their URLs are versioned by the binary.
func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, prefix+"static/")
	if !staticName.MatchString(name) {
		h.notFound(w, r)
		return
	}
	b, err := fs.ReadFile(staticFiles, "static/"+name)
	if err != nil {
		h.notFound(w, r)
		return
	}
	ct := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}

// layout is what the layout template needs.
type layout struct {
	Lang      string
	Title     string
	SignedIn  bool
	Level     int
	CSRF      string
	LangLinks []langLink
	Sections  []navLink
	Notice    string
	Error     string
	Page      string
	Body      any
	Script    string
}

type langLink struct {
	Label, Href string
	Current     bool
}

type navLink struct{ Href, Label string }

func langLinks(r *http.Request, current string) []langLink {
	out := make([]langLink, 0, len(langs))
	for _, l := range langs {
		u := *r.URL
		q := u.Query()
		q.Set("lang", l)
		u.RawQuery = q.Encode()
		if r.Method != http.MethodGet {
			u.RawQuery = "lang=" + l
		}
		out = append(out, langLink{Label: catalogueFor(l).T("lang." + l), Href: u.RequestURI(), Current: l == current})
	}
	return out
}

// render writes a page of the portal in the layout.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page, title string, body any, notice, errMsg string) {
	h.renderIn(w, r, "", status, page, title, body, notice, errMsg)
}

// renderIn writes a page in the layout, in lang when set (else the
// request's language), with forms allowed to lead to formAction's origins
// as well as the site's.
func (h *Handler) renderIn(w http.ResponseWriter, r *http.Request, lang string, status int, page, title string, body any, notice, errMsg string, formAction ...string) {
	rq := h.ensure(w, r)
	if _, ok := messages[lang]; ok {
		rq.lang = lang
	}
	c := catalogueFor(rq.lang)
	data := layout{
		Lang: c.lang, Title: title, SignedIn: rq.signed, Level: rq.citizen.Level, CSRF: rq.csrf,
		LangLinks: langLinks(r, c.lang), Sections: h.sectionLinks(rq), Notice: notice, Error: errMsg, Page: page, Body: body,
	}
	if page == "tracker" {
		data.Script = prefix + "static/tracker.js"
	}
	var buf bytes.Buffer
	if err := h.pages[c.lang][page].Execute(&buf, data); err != nil {
		h.log.Error("portal: render", "request_id", rq.id, "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	setSecurityHeaders(w.Header())
	if len(formAction) > 0 {
		w.Header().Set("Content-Security-Policy", strings.Replace(w.Header().Get("Content-Security-Policy"),
			"form-action 'self'", "form-action 'self' "+strings.Join(formAction, " "), 1))
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c := catalogueFor(reqOf(r).lang)
	h.render(w, r, status, "error", c.T("err.title"), nil, "", msg)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusNotFound, catalogueFor(reqOf(r).lang).T("err.not_found"))
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, http.StatusForbidden, catalogueFor(reqOf(r).lang).T("err.forbidden"))
}

// serverError logs err (which must hold no personal data) and writes the
// 500 page with the request id.
// A store outage (store.ErrUnavailable) gets 503 and a page that says
// nothing was changed and to try again.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	rq := reqOf(r)
	h.log.Error("portal: internal error", "request_id", rq.id, "route", r.Pattern, "err", err)
	if errors.Is(err, store.ErrUnavailable) {
		h.renderError(w, r, http.StatusServiceUnavailable, catalogueFor(rq.lang).T("err.unavailable", rq.id))
		return
	}
	h.renderError(w, r, http.StatusInternalServerError, catalogueFor(rq.lang).T("err.internal", rq.id))
}

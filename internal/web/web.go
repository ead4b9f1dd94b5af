package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// consolePrefix is where the console lives; cookies are scoped to it so that
// the REST API and the citizens' portal never receive them.
const consolePrefix = "/console/"

// Log attribute keys, fixed so that log queries stay stable.
const (
	logKeyRequestID = "request_id"
	logKeyMethod    = "method"
	logKeyRoute     = "route"
	logKeyStatus    = "status"
	logKeyDuration  = "duration_ms"
	logKeyPrincipal = "principal"
	logKeyError     = "error"
)

// The pages, each a template file under templates/ rendered inside layout.html.
const (
	pageLogin     = "login"
	pageSearch    = "search"
	pagePerson    = "person"
	pageHousehold = "household"
	pageError     = "error"
	pageStaffList = "staff_list"
	pageStaffEdit = "staff_edit"
	pageEnrol     = "staff_enrol"
	pagePassword  = "password"
	pageEvent     = "event"
	pageSection   = "section" // another package's page (section.go)
	pageTracker   = "tracker"
	pageTrackPIN  = "tracker_pin"
)

var pageNames = []string{pageLogin, pageSearch, pagePerson, pageHousehold, pageError,
	pageStaffList, pageStaffEdit, pageEnrol, pagePassword, pageEvent, pageSection, pageTracker, pageTrackPIN}

// Deps are the console's dependencies, wired by cmd/dancu.
type Deps struct {
	Registry *registry.Registry
	Auth     *auth.Authenticator
	// Staff holds the officers' accounts. With it, officers sign in with
	// username, password and TOTP code, and the admin token is accepted only
	// until a national administrator account exists; without it (nil), the
	// admin token is the only sign-in.
	Staff *staff.Service
	// Logger receives one line per request and the causes of internal
	// errors; nil discards them.
	Logger *slog.Logger
	// Recorder receives an access-log entry for every person shown, before
	// the page is written. Required: production passes the audit log,
	// tests may pass a fake.
	Recorder audit.Recorder
	// Tracker lists who accessed a person's data (the data tracker); nil
	// leaves the tracker page out. Production passes the audit log.
	Tracker Tracker
}

// Handler serves the officers' console. It keeps no per-user state: sessions
// are signed cookies and CSRF tokens derive from them, so any number of
// processes can serve the same officers.
type Handler struct {
	reg    *registry.Registry
	auth   *auth.Authenticator
	staff  *staff.Service
	rec    audit.Recorder
	track  Tracker
	log    *slog.Logger
	pages  map[string]map[string]*template.Template // language → page → template
	static http.Handler
	cssURL string

	// failDelay slows down each wrong sign-in, so that guessing by hand or by
	// script is tedious; tests shorten it.
	failDelay time.Duration
	// now is the clock, for the default "today" of unit lookups.
	now func() time.Time
	// pageSize is the number of search results per page; tests shrink it
	// to exercise paging on a small population.
	pageSize int
	// sections are the parts of the console other packages serve.
	sections []Section
}

// New returns the console handler. It panics if the embedded templates do
// not parse: that is a build defect every test run catches.
func New(d Deps) *Handler {
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if d.Recorder == nil {
		panic("web: Deps.Recorder is nil")
	}
	staticRoot, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic("web: embedded static files: " + err.Error())
	}
	css, err := fs.ReadFile(staticRoot, "console.css")
	if err != nil {
		panic("web: embedded console.css: " + err.Error())
	}
	// The stylesheet URL carries a hash of its content, so browsers may cache
	// it for long and still see a new version after an upgrade.
	sum := sha256.Sum256(css)
	h := &Handler{
		reg:       d.Registry,
		auth:      d.Auth,
		staff:     d.Staff,
		rec:       d.Recorder,
		track:     d.Tracker,
		log:       logger,
		static:    http.StripPrefix(consolePrefix+"static/", http.FileServerFS(staticRoot)),
		cssURL:    consolePrefix + "static/console.css?v=" + hex.EncodeToString(sum[:6]),
		failDelay: time.Second,
		now:       time.Now,
		pageSize:  searchPageSize,
	}
	h.pages = make(map[string]map[string]*template.Template, len(langs))
	for _, lang := range langs {
		h.pages[lang] = make(map[string]*template.Template, len(pageNames))
		for _, page := range pageNames {
			h.pages[lang][page] = parsePage(lang, page)
		}
	}
	return h
}

// parsePage parses one page in one language. Each language gets its own
// template tree so that {{t "key"}} is bound to that language's catalogue at
// parse time and templates need no language argument.
func parsePage(lang, page string) *template.Template {
	c := catalogueFor(lang)
	funcs := template.FuncMap{
		"t":    c.T,
		"date": c.Date,
		"time": c.Time,
	}
	t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html")
	if err != nil {
		panic("web: template " + page + ": " + err.Error())
	}
	return t
}

// Mount registers the console's routes on mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	// Cross-origin protection rejects state-changing requests that a browser
	// marks as cross-site, before the CSRF token is even looked at.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.forbidden(w, r)
	}))

	// Inside chain, so that a refusal carries the security headers, a
	// request id and a log line like any other response.
	protect := func(f http.HandlerFunc) http.Handler { return cop.Handler(f) }

	mux.Handle("GET "+consolePrefix+"static/", h.chain(http.HandlerFunc(h.serveStatic), public))
	mux.Handle("GET "+consolePrefix+"login", h.chain(http.HandlerFunc(h.loginForm), public))
	mux.Handle("POST "+consolePrefix+"login", h.chain(protect(h.login), public))
	mux.Handle("POST "+consolePrefix+"logout", h.chain(protect(h.logout), signedIn))
	mux.Handle("GET "+consolePrefix+"{$}", h.chain(http.HandlerFunc(h.search), readRegistry))
	mux.Handle("GET "+consolePrefix+"people", h.chain(http.HandlerFunc(h.lookupPIN), readRegistry))
	mux.Handle("GET "+consolePrefix+"people/{pin}", h.chain(http.HandlerFunc(h.person), readRegistry))
	mux.Handle("GET "+consolePrefix+"households/{id}", h.chain(http.HandlerFunc(h.household), readRegistry))
	if h.track != nil {
		mux.Handle("GET "+consolePrefix+"people/{pin}/accesses", h.chain(http.HandlerFunc(h.tracker), readAccesses))
		mux.Handle("GET "+consolePrefix+"accesses", h.chain(http.HandlerFunc(h.trackerPIN), readAccesses))
	}
	h.mountStaff(mux, protect)
	h.mountSections(mux, protect)
	mux.Handle(consolePrefix, h.chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.notFound(w, r, "error.not_found.page")
	}), signedIn))
}

// access says what a route needs: nothing (public), any signed-in officer,
// or an officer allowed a staff action somewhere (the bootstrap administrator
// is allowed everything).
type access struct {
	signIn bool
	action staff.Action
	// orAction, if set, is another action that lets an officer in as well
	// as action (the data tracker: auditors and registrars).
	orAction staff.Action
}

var (
	public = access{}
	// signedIn: anyone signed in, even an officer who must first change an
	// initial password.
	signedIn     = access{signIn: true}
	readRegistry = access{signIn: true, action: staff.ReadRegistry}
	manageStaff  = access{signIn: true, action: staff.ManageStaff}
	postEvents   = access{signIn: true, action: staff.SubmitEvent}
	readAccesses = access{signIn: true, action: staff.ReadRegistry, orAction: staff.ReadAccessLog}
)

// request is what the middleware learns about a request, shared with the
// handlers through the context.
type request struct {
	id        string
	lang      string
	principal auth.Principal
	session   string // the session cookie value; its HMAC is the CSRF token
	// account is the signed-in officer's account, read afresh on every
	// request so that disabling it or changing its roles takes effect at
	// once; nil for the bootstrap administrator.
	account *staff.Account
	issued  time.Time // when the session began
}

type requestKey struct{}

func reqOf(r *http.Request) *request {
	if rq, ok := r.Context().Value(requestKey{}).(*request); ok {
		return rq
	}
	return &request{lang: defaultLang}
}

// statusWriter remembers the status code for the request log.
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

// chain wraps a page handler with what every console request needs: a request
// id, security headers, the language, panic recovery, the session check and
// one log line.
func (h *Handler) chain(next http.Handler, acc access) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Behind the api server the request already has an id (and an access
		// log line); standing alone, the console makes its own.
		rq := &request{id: api.RequestID(r.Context())}
		if rq.id == "" {
			rq.id = newRequestID()
		}
		sw := &statusWriter{ResponseWriter: w}
		setSecurityHeaders(sw.Header())
		// Every console response may carry personal data or depend on the
		// session; the static handler relaxes this for its files.
		sw.Header().Set("Cache-Control", "no-store")
		sw.Header().Set("X-Request-Id", rq.id)
		rq.lang = chooseLang(sw, r)
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, rq))

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				// Only the panic value's type: its text may hold a record's values.
				h.log.Error("console panic", logKeyRequestID, rq.id, logKeyRoute, r.Pattern,
					logKeyError, fmt.Sprintf("panic of type %T", v), "stack", string(debug.Stack()))
				if sw.status == 0 {
					h.renderInternal(sw, r, http.StatusInternalServerError, "error.internal.body")
				}
			}
			// Only the route pattern is logged: the path and query hold PINs
			// and names.
			h.log.Debug("console request",
				logKeyRequestID, rq.id,
				logKeyMethod, r.Method,
				logKeyRoute, r.Pattern,
				logKeyStatus, sw.status,
				logKeyDuration, time.Since(start).Milliseconds(),
				logKeyPrincipal, rq.principal.ID,
			)
		}()

		if acc.signIn {
			c, err := r.Cookie(sessionCookie)
			var p auth.Principal
			ok := err == nil
			if ok {
				p, rq.issued, ok = h.auth.VerifySessionIssued(c.Value)
			}
			if !ok {
				if err == nil {
					clearCookie(sw, r, sessionCookie, consolePrefix)
				}
				redirectToLogin(sw, r)
				return
			}
			rq.principal, rq.session = p, c.Value
			api.SetPrincipal(r.Context(), p.ID)
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
			if !h.permit(sw, r, rq, acc) {
				return
			}
		}
		next.ServeHTTP(sw, r)
	})
}

// setSecurityHeaders sets the headers every console response carries. The
// policy allows the console's own stylesheet and nothing inline: the pages
// have no script at all.
func setSecurityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	h.static.ServeHTTP(w, r)
}

// redirectToLogin sends a signed-out officer to the sign-in page, keeping
// where they were going so that a link followed from elsewhere still works
// after signing in.
func redirectToLogin(w http.ResponseWriter, r *http.Request) {
	target := consolePrefix + "login"
	if r.Method == http.MethodGet && r.URL.RequestURI() != consolePrefix {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// langLink is one entry of the language switch.
type langLink struct {
	Label   string
	Href    string
	Current bool
}

// pageData is what layout.html renders; Body is the page's own view.
type pageData struct {
	Lang      string
	Title     string
	Officer   string
	Nav       navView
	CSRF      string
	CSSURL    string
	LangLinks []langLink
	RequestID string
	Body      any
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 page instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page, titleKey string, body any) {
	h.renderTitled(w, r, status, page, catalogueFor(reqOf(r).lang).T(titleKey), body)
}

// renderTitled is render with a title already in the page's language.
func (h *Handler) renderTitled(w http.ResponseWriter, r *http.Request, status int, page, title string, body any) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	data := pageData{
		Lang:      c.lang,
		Title:     title,
		Officer:   rq.principal.ID,
		Nav:       h.nav(rq),
		CSSURL:    h.cssURL,
		LangLinks: langLinks(r, c.lang),
		RequestID: rq.id,
		Body:      body,
	}
	if rq.session != "" {
		data.CSRF = csrfToken(rq.session)
	}
	var buf bytes.Buffer
	if err := h.pages[c.lang][page].Execute(&buf, data); err != nil {
		h.serverError(w, r, fmt.Errorf("render %s: %w", page, err))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show personal data: no browser or proxy may keep a copy.
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// langLinks returns the language switch: the current URL with lang= set.
func langLinks(r *http.Request, current string) []langLink {
	out := make([]langLink, 0, len(langs))
	for _, l := range langs {
		q := r.URL.Query()
		q.Set("lang", l)
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		if r.Method != http.MethodGet {
			// After a failed POST, switching language reloads the page, not
			// the form submission.
			u.RawQuery = "lang=" + l
		}
		out = append(out, langLink{Label: catalogueFor(l).T("lang." + l), Href: u.String(), Current: l == current})
	}
	return out
}

// errorView is the body of the error page.
type errorView struct {
	TitleKey   string
	MessageKey string
	Message    string // a message already formatted, instead of MessageKey
	RequestID  string // shown for internal errors, so support can find the log line
	BackHref   string // where the page's link leads; the search page if empty
	BackKey    string
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, msgKey string) {
	h.render(w, r, http.StatusNotFound, pageError, "error.not_found.title",
		errorView{TitleKey: "error.not_found.title", MessageKey: msgKey})
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusForbidden, pageError, "error.forbidden.title",
		errorView{TitleKey: "error.forbidden.title", MessageKey: "error.forbidden.csrf"})
}

// notAllowed answers a request the officer's roles or units do not allow.
func (h *Handler) notAllowed(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusForbidden, pageError, "error.forbidden.title",
		errorView{TitleKey: "error.forbidden.title", MessageKey: "error.forbidden.role"})
}

// serverError logs err with the request id and shows a page with that id and
// none of the error's text.
// A store outage (store.ErrUnavailable) gets 503 and a page that says to
// try again, as nothing is wrong with the request or the program.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	rq := reqOf(r)
	h.log.Error("console internal error", logKeyRequestID, rq.id, logKeyRoute, r.Pattern, logKeyError, err.Error())
	if errors.Is(err, store.ErrUnavailable) {
		h.renderInternal(w, r, http.StatusServiceUnavailable, "error.unavailable.body")
		return
	}
	h.renderInternal(w, r, http.StatusInternalServerError, "error.internal.body")
}

// renderInternal writes the 500 or 503 page without going through render,
// since a broken template may be the cause.
func (h *Handler) renderInternal(w http.ResponseWriter, r *http.Request, status int, messageKey string) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	err := h.pages[c.lang][pageError].Execute(w, pageData{
		Lang: c.lang, Title: c.T("error.internal.title"), Officer: rq.principal.ID, Nav: h.nav(rq), CSSURL: h.cssURL,
		LangLinks: langLinks(r, c.lang), RequestID: rq.id,
		Body: errorView{TitleKey: "error.internal.title", MessageKey: messageKey, RequestID: rq.id},
	})
	if err != nil {
		h.log.Error("console error page", logKeyRequestID, rq.id, logKeyError, err.Error())
	}
}

package connect

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/feed"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Name is the section's path segment: its pages live under /console/connect/.
const Name = "connect"

const prefix = "/console/" + Name + "/"

// Deps are what the section manages, wired by cmd/dancu.
type Deps struct {
	// Console renders the pages inside the console's layout.
	Console *web.Handler
	// Exchange keeps agencies, clients and grants.
	Exchange *exchange.Service
	// Feeds keeps webhook subscriptions and their dead letters; nil leaves
	// the webhook part of the agency page out.
	Feeds *feed.Service
	// Datasets keeps the linked datasets and their coverage; nil leaves the
	// datasets page out.
	Datasets *dataset.Service
	// Logger receives the causes of internal errors; nil discards them.
	Logger *slog.Logger
}

// Handler serves the section's pages.
type Handler struct {
	d     Deps
	log   *slog.Logger
	pages map[string]*template.Template // language → every page
	mux   *http.ServeMux
}

// New returns the section's handler. It panics if the embedded templates do
// not parse: a build defect every test run catches.
func New(d Deps) *Handler {
	if d.Console == nil || d.Exchange == nil {
		panic("connect: Deps.Console and Deps.Exchange are required")
	}
	h := &Handler{d: d, log: d.Logger, pages: map[string]*template.Template{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for lang := range messages {
		c := catalogueFor(lang)
		h.pages[lang] = template.Must(template.New("").Funcs(template.FuncMap{
			"t":    c.T,
			"time": c.Time,
			"pct":  c.Percent,
			"num":  c.Number,
			"has":  contains,
			"ev":   c.Event,
		}).ParseFS(templateFS, "templates/*.html"))
	}
	m := http.NewServeMux()
	m.HandleFunc("GET "+prefix+"{$}", h.agencies)
	m.HandleFunc("POST "+prefix+"agencies", h.addAgency)
	m.HandleFunc("GET "+prefix+"agencies/{id}", h.agency)
	m.HandleFunc("POST "+prefix+"agencies/{id}/status", h.agencyStatus)
	m.HandleFunc("POST "+prefix+"agencies/{id}/clients", h.addClient)
	m.HandleFunc("GET "+prefix+"agencies/{id}/grant", h.grantForm)
	m.HandleFunc("POST "+prefix+"agencies/{id}/grants", h.setGrant)
	m.HandleFunc("GET "+prefix+"clients/{id}/keys", h.keysForm)
	m.HandleFunc("POST "+prefix+"clients/{id}/keys", h.setKeys)
	m.HandleFunc("POST "+prefix+"clients/{id}/status", h.clientStatus)
	if d.Feeds != nil {
		m.HandleFunc("POST "+prefix+"agencies/{id}/webhooks", h.addWebhook)
		m.HandleFunc("POST "+prefix+"webhooks/{id}/status", h.webhookStatus)
		m.HandleFunc("GET "+prefix+"webhooks/{id}/dead-letters", h.deadLetters)
		m.HandleFunc("POST "+prefix+"webhooks/{id}/dead-letters/{seq}/redeliver", h.redeliver)
	}
	if d.Datasets != nil {
		m.HandleFunc("GET "+prefix+"datasets", h.datasets)
		m.HandleFunc("POST "+prefix+"datasets", h.registerDataset)
	}
	m.HandleFunc(prefix, func(w http.ResponseWriter, r *http.Request) {
		h.d.Console.RenderError(w, r, http.StatusNotFound, h.cat(r).T("err.no_page"))
	})
	h.mux = m
	return h
}

// Section returns the console section that serves the pages: officers
// allowed staff.ManageConnections (national administrators) and the
// bootstrap administrator.
func (h *Handler) Section() web.Section {
	return web.Section{
		Name:    Name,
		Label:   map[string]string{"vi": messages["vi"]["nav"], "en": messages["en"]["nav"]},
		Action:  staff.ManageConnections,
		Handler: h.mux,
		// A JWKS of five RSA keys is a few KiB; a form never needs more.
		MaxBodyBytes: 128 << 10,
	}
}

// Add adds the section to the console; call it before the console's Mount.
func Add(d Deps) {
	d.Console.AddSection(New(d).Section())
}

// pageData is what every page template receives.
type pageData struct {
	CSRF   string
	Notice string
	B      any
}

func (h *Handler) cat(r *http.Request) catalogue {
	o, _ := web.CurrentOfficer(r)
	return catalogueFor(o.Lang)
}

// render executes page into a buffer and writes it inside the console
// layout.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page, title string, body any) {
	o, _ := web.CurrentOfficer(r)
	c := catalogueFor(o.Lang)
	data := pageData{CSRF: o.CSRF, B: body}
	if k := r.URL.Query().Get("done"); k != "" && c.has("done."+k) && r.Method == http.MethodGet {
		data.Notice = c.T("done." + k)
	}
	var b bytes.Buffer
	if err := h.pages[c.lang].ExecuteTemplate(&b, page, data); err != nil {
		h.d.Console.ServerError(w, r, fmt.Errorf("connect: render %s: %w", page, err))
		return
	}
	h.d.Console.Render(w, r, web.Page{Title: title, Body: template.HTML(b.String()), Status: status})
}

// fail answers an error from a service: not found, or an internal error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		h.d.Console.RenderError(w, r, http.StatusNotFound, h.cat(r).T("err.not_found"))
		return
	}
	h.d.Console.ServerError(w, r, err)
}

// changed logs a change an officer made, so that who set which grant or
// disabled which client can be found later: the action, the object's id
// (agencies, clients, purposes and subscriptions are not personal data),
// the officer and the request. The Directory keeps every version's content.
func (h *Handler) changed(r *http.Request, action, id string) {
	o, _ := web.CurrentOfficer(r)
	h.log.Info("connections changed", "action", action, "id", id, "principal", o.ID, "request_id", o.RequestID)
}

// redirect sends the browser to path with a notice key after a change
// (post/redirect/get, so that reloading does not post again).
func redirect(w http.ResponseWriter, r *http.Request, path, done string) {
	if done != "" {
		path += "?done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// formErrors are a form's errors by field name; "" is the whole form.
type formErrors map[string]string

func (e formErrors) add(field, msg string) {
	if _, ok := e[field]; !ok {
		e[field] = msg
	}
}

// idPattern is the form of agency, client, webhook and dataset ids and of
// purpose codes, as the services check them.
var (
	idPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	purposePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)
)

// serviceErrors places a service's validation error on the fields it names:
// each line reads "<pkg>: invalid: <field> ..." or "<field>: ...". What
// names no field of the form goes to the form as a whole. The service's
// reason is kept (it names the rule, never personal data).
func serviceErrors(c catalogue, err error, fields ...string) formErrors {
	errs := formErrors{}
	for line := range strings.SplitSeq(err.Error(), "\n") {
		for _, p := range []string{"exchange: invalid: ", "feed: invalid: ", "dataset: invalid: "} {
			line = strings.TrimPrefix(line, p)
		}
		field := ""
		first, _, _ := strings.Cut(line, " ")
		first = strings.TrimSuffix(first, ":")
		for _, f := range fields {
			if f == first {
				field = f
			}
		}
		errs.add(field, c.T("err.service", line))
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// formList returns the non-empty values of a repeated form field, trimmed.
func formList(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.PostForm[name] {
		if v = strings.TrimSpace(v); v != "" && !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func formValue(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }

// parseStatus reads the status a toggle form posts.
func parseStatus(s string) (exchange.Status, bool) {
	switch exchange.Status(s) {
	case exchange.Active, exchange.Disabled:
		return exchange.Status(s), true
	}
	return "", false
}

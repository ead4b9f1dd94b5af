package web

import (
	"crypto/subtle"
	"fmt"
	"html/template"
	"net/http"
	"regexp"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/staff"
)

// Section is a part of the console that another package serves: the review
// queue of duplicates, online dossiers, statistics, relying parties. The
// console does for a section's pages what it does for its own — session,
// role check, CSRF, cross-origin protection, security headers, language,
// request id, panic recovery, one log line — so that the section's handler
// only renders its content and calls Render.
type Section struct {
	// Name is the path segment: the section serves /console/<Name>/ and
	// everything below it. Lower-case letters, digits and hyphens.
	Name string
	// Label is the navigation link's text per language ("vi", "en"); no
	// label means no link in the header.
	Label map[string]string
	// Action is the staff action an officer needs somewhere to use any page
	// of the section; "" lets any signed-in officer in. Finer checks (an
	// officer's units) are the section's own, with Officer.Account.
	Action staff.Action
	// MaxBodyBytes bounds a posted body (a form, or a multipart upload);
	// 0 means 64 KiB.
	MaxBodyBytes int64
	// Handler serves the section's requests; it typically is an
	// http.ServeMux with patterns such as "GET /console/dossiers/{code}".
	// It runs only for a signed-in officer allowed Action, and for unsafe
	// methods only after the CSRF token was checked.
	Handler http.Handler
}

var sectionName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// reservedSections are the console's own first path segments.
var reservedSections = map[string]bool{
	"static": true, "login": true, "logout": true, "people": true,
	"households": true, "staff": true, "password": true, "events": true, "accesses": true,
}

// AddSection adds a section to the console. Call it before Mount. It panics
// on a bad or repeated name: that is a wiring defect every test run catches.
func (h *Handler) AddSection(s Section) {
	if !sectionName.MatchString(s.Name) || reservedSections[s.Name] {
		panic(fmt.Sprintf("web: section name %q is not allowed", s.Name))
	}
	for _, o := range h.sections {
		if o.Name == s.Name {
			panic(fmt.Sprintf("web: section %q added twice", s.Name))
		}
	}
	if s.Handler == nil {
		panic(fmt.Sprintf("web: section %q has no handler", s.Name))
	}
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = 64 << 10
	}
	h.sections = append(h.sections, s)
}

// mountSections registers every section behind the console's middleware.
func (h *Handler) mountSections(mux *http.ServeMux, protect func(http.HandlerFunc) http.Handler) {
	for _, s := range h.sections {
		s := s
		checked := protect(func(w http.ResponseWriter, r *http.Request) {
			if !safeMethod(r.Method) {
				r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
				if !h.validSectionCSRF(r) {
					h.forbidden(w, r)
					return
				}
			}
			s.Handler.ServeHTTP(w, r)
		})
		mux.Handle(consolePrefix+s.Name+"/", h.chain(checked, access{signIn: true, action: s.Action}))
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// validSectionCSRF checks the CSRF token of an unsafe request: the
// X-CSRF-Token header, or else the form (or multipart form) field "csrf".
func (h *Handler) validSectionCSRF(r *http.Request) bool {
	want := csrfToken(reqOf(r).session)
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		// Files beyond 8 MiB of a multipart form spill to temporary files;
		// the body limit bounds the total.
		if err := r.ParseMultipartForm(8 << 20); err != nil && err != http.ErrNotMultipart {
			return false
		}
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Officer is the signed-in officer, as a section's handler sees it.
type Officer struct {
	// ID is the principal id: a staff account id, or "admin" for the
	// bootstrap administrator. Log it and record it in the access log.
	ID string
	// Account is the officer's account, read afresh for this request; nil
	// for the bootstrap administrator, who is allowed everything. Check an
	// officer's units with staff.Authorize(Account, action, units).
	Account *staff.Account
	// Lang is the page language, "vi" or "en".
	Lang string
	// RequestID identifies the request in the logs.
	RequestID string
	// CSRF is the token every form must post in a hidden field named
	// "csrf" (or send as the X-CSRF-Token header).
	CSRF string
}

// Authorize checks that the officer may do act on targets (their units): nil
// for the bootstrap administrator, staff.Authorize otherwise.
func (o Officer) Authorize(act staff.Action, targets []staff.Unit) error {
	if o.Account == nil {
		return nil
	}
	return staff.Authorize(o.Account, act, targets)
}

// CurrentOfficer returns the officer of a request served by a section (or by
// any signed-in console route); false outside the console's middleware.
func CurrentOfficer(r *http.Request) (Officer, bool) {
	rq, ok := r.Context().Value(requestKey{}).(*request)
	if !ok || rq.session == "" {
		return Officer{}, false
	}
	o := Officer{ID: rq.principal.ID, Account: rq.account, Lang: rq.lang, RequestID: rq.id, CSRF: csrfToken(rq.session)}
	if rq.principal.Kind != auth.Admin.Kind && o.Account == nil {
		return Officer{}, false
	}
	return o, true
}

// Page is a section's page: its title and its content, already rendered by
// the section (with html/template, so that it is escaped).
type Page struct {
	Title  string
	Body   template.HTML
	Status int // 200 if 0
}

// Render writes p inside the console layout: header, navigation, language
// switch, footer, and the no-store and security headers.
func (h *Handler) Render(w http.ResponseWriter, r *http.Request, p Page) {
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	h.renderTitled(w, r, status, pageSection, p.Title, sectionView{HTML: p.Body})
}

// RenderError writes an error page with a message the section has already
// put in the page's language. The message must hold no personal data.
func (h *Handler) RenderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	titleKey := "error.forbidden.title"
	switch {
	case status == http.StatusNotFound:
		titleKey = "error.not_found.title"
	case status >= 500:
		titleKey = "error.internal.title"
	case status != http.StatusForbidden:
		titleKey = "error.invalid.title"
	}
	h.render(w, r, status, pageError, titleKey, errorView{TitleKey: titleKey, Message: message, RequestID: reqOf(r).id})
}

// ServerError logs err under the request id (the error must hold no personal
// data) and writes the 500 page.
func (h *Handler) ServerError(w http.ResponseWriter, r *http.Request, err error) {
	h.serverError(w, r, err)
}

// sectionView is the body of a section's page.
type sectionView struct{ HTML template.HTML }

// sectionLinks returns the navigation links of the sections rq may use.
func (h *Handler) sectionLinks(rq *request) []navLink {
	var out []navLink
	for _, s := range h.sections {
		label := s.Label[rq.lang]
		if label == "" {
			continue
		}
		if s.Action != "" && rq.account != nil && !staff.Allowed(rq.account, s.Action) {
			continue
		}
		if s.Action != "" && rq.account == nil && rq.principal.Kind != auth.Admin.Kind {
			continue
		}
		out = append(out, navLink{Href: consolePrefix + s.Name + "/", Label: label})
	}
	return out
}

// navLink is one link of the header's navigation.
type navLink struct{ Href, Label string }

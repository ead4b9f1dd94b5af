package portal

import (
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"

	"github.com/dancu/dancu/internal/eid"
)

// Section is a part of the portal another package serves (online public
// services, the health book): pages under /portal/<Name>/ that the portal
// serves behind its middleware — security headers, language, CSRF check of
// every unsafe request, cross-origin protection, request id, panic
// recovery, one log line, and the sign-in redirect — with a link in the
// portal's navigation.
type Section struct {
	// Name is the path segment: lower-case letters, digits and hyphens.
	Name string
	// Label is the navigation link's text per language ("vi", "en"); no
	// label means no link.
	Label map[string]string
	// SignIn sends a browser without a session to sign in first. MinLevel
	// (1 or 2), when set, implies it and refuses lower accounts.
	SignIn   bool
	MinLevel int
	// Handler serves the section, typically an http.ServeMux with patterns
	// such as "GET /portal/services/{code}". Unsafe requests reach it only
	// with a valid CSRF token: forms post CSRF(r) in a field named "csrf".
	Handler http.Handler
}

var sectionName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

var reservedSections = map[string]bool{
	"static": true, "register": true, "signin": true, "signout": true, "me": true, "tracker": true,
	"sessions": true, "events": true, "apps": true, "security": true, "organisations": true,
}

// AddSection adds a section. Call it before Mount. It panics on a bad or
// repeated name, a wiring defect every test run catches.
func (h *Handler) AddSection(s Section) {
	if !sectionName.MatchString(s.Name) || reservedSections[s.Name] {
		panic(fmt.Sprintf("portal: section name %q is not allowed", s.Name))
	}
	for _, o := range h.sections {
		if o.Name == s.Name {
			panic(fmt.Sprintf("portal: section %q added twice", s.Name))
		}
	}
	if s.Handler == nil {
		panic(fmt.Sprintf("portal: section %q has no handler", s.Name))
	}
	h.sections = append(h.sections, s)
}

// Link is a navigation link to pages another package serves under
// /portal/ on its own (not as a Section), rendered with RenderPortal.
type Link struct {
	Href   string            // a path under /portal/
	Label  map[string]string // per language
	SignIn bool              // shown to signed-in citizens only
}

// AddLink adds a link to the portal's navigation. Call it before Mount.
func (h *Handler) AddLink(l Link) {
	if !strings.HasPrefix(l.Href, prefix) {
		panic(fmt.Sprintf("portal: link %q is not under %s", l.Href, prefix))
	}
	h.links = append(h.links, l)
}

// RenderPortal writes a page in the portal's layout for a package that
// serves its own pages under /portal/ (it implements services.Layout and
// the like): language, session and CSRF are worked out from the request.
func (h *Handler) RenderPortal(w http.ResponseWriter, r *http.Request, status int, title string, body template.HTML) {
	h.render(w, r, status, "section", title, body, "", "")
}

// PageLang returns the language of a page of another part of the site
// drawn in the portal's layout (the OpenID Connect provider's consent and
// error pages): the citizen's choice in the portal (?lang= or its cookie),
// else the first of hints (language tags such as a relying party's
// ui_locales, then Accept-Language's) that the portal speaks, else
// Vietnamese.
func (h *Handler) PageLang(w http.ResponseWriter, r *http.Request, hints ...string) string {
	if r.URL.Query().Get("lang") != "" {
		return chooseLang(w, r)
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := messages[c.Value]; ok {
			return c.Value
		}
	}
	for _, t := range hints {
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(t)), "-")
		if _, ok := messages[base]; ok {
			return base
		}
	}
	return defaultLang
}

// RenderPage writes a page of another part of the site in the portal's
// layout (header with the language switch and the session, navigation,
// styles, footer, security headers), in lang (as PageLang chose it).
// formAction lists the origins the page's forms may lead to besides the
// site itself (a consent form answered by a redirect to a relying party),
// added to the Content-Security-Policy's form-action.
func (h *Handler) RenderPage(w http.ResponseWriter, r *http.Request, status int, lang, title string, body template.HTML, formAction ...string) {
	h.renderIn(w, r, lang, status, "section", title, body, "", "", formAction...)
}

func (h *Handler) sectionLinks(rq *request) []navLink {
	var out []navLink
	for _, l := range h.links {
		if label := l.Label[rq.lang]; label != "" && (!l.SignIn || rq.signed) {
			out = append(out, navLink{Href: l.Href, Label: label})
		}
	}
	for _, s := range h.sections {
		label := s.Label[rq.lang]
		if label == "" || (s.SignIn || s.MinLevel > 0) && !rq.signed {
			continue
		}
		out = append(out, navLink{Href: prefix + s.Name + "/", Label: label})
	}
	return out
}

// Page is a section's page: its title and its content, rendered by the
// section with html/template (so escaped).
type Page struct {
	Title  string
	Body   template.HTML
	Status int // 200 if 0
}

// Render writes p inside the portal's layout.
func (h *Handler) Render(w http.ResponseWriter, r *http.Request, p Page) {
	st := p.Status
	if st == 0 {
		st = http.StatusOK
	}
	h.render(w, r, st, "section", p.Title, p.Body, "", "")
}

// RenderError writes an error page with a message already in the page's
// language; it must hold no personal data.
func (h *Handler) RenderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	h.renderError(w, r, status, message)
}

// ServerError logs err (no personal data in it) and writes the 500 page.
func (h *Handler) ServerError(w http.ResponseWriter, r *http.Request, err error) {
	h.serverError(w, r, err)
}

// Lang returns the language of a portal request: "vi" or "en".
func Lang(r *http.Request) string { return reqOf(r).lang }

// CSRF returns the token a section's forms post in the field "csrf".
func CSRF(r *http.Request) string { return reqOf(r).csrf }

// RequestID returns the request's id, for logs and the access log.
func RequestID(r *http.Request) string { return reqOf(r).id }

// CurrentCitizen returns the signed-in citizen of a portal request.
func CurrentCitizen(r *http.Request) (eid.Citizen, bool) {
	rq := reqOf(r)
	return rq.citizen, rq.signed
}

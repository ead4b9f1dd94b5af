package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// sectionEnv is a console with one section, "stats", that needs the
// statistician's action, and an auditor and a statistician account.
type sectionEnv struct {
	mux                 *http.ServeMux
	auth                *auth.Authenticator
	auditor, statistian *http.Cookie
	hits                int
}

func newSectionEnv(t *testing.T) *sectionEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, _, err := auth.Setup(ctx, st, testToken)
	if err != nil {
		t.Fatal(err)
	}
	svc := staff.New(st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	e := &sectionEnv{auth: a}
	session := func(username string, role staff.Role) *http.Cookie {
		acct, cr, err := svc.Create(ctx, staff.NewAccount{Username: username, DisplayName: username, Roles: []staff.Role{role}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ChangePassword(ctx, acct.ID, cr.Password, "a long new password 123"); err != nil {
			t.Fatal(err)
		}
		return &http.Cookie{Name: sessionCookie, Value: a.NewSession(auth.Principal{ID: acct.ID, Kind: principalStaff}, time.Hour)}
	}
	e.auditor = session("auditor1", staff.Auditor)
	e.statistian = session("stat1", staff.Statistician)

	h := New(Deps{Registry: registry.New(st), Auth: a, Staff: svc, Recorder: &audittest.Recorder{}})
	inner := http.NewServeMux()
	body := template.Must(template.New("b").Parse(`<h1>Stats for {{.}}</h1>`))
	inner.HandleFunc("GET /console/stats/{$}", func(w http.ResponseWriter, r *http.Request) {
		o, ok := CurrentOfficer(r)
		if !ok {
			t.Error("section handler without an officer")
			return
		}
		var b strings.Builder
		body.Execute(&b, o.ID+"<script>")
		h.Render(w, r, Page{Title: "Thống kê", Body: template.HTML(b.String())})
	})
	inner.HandleFunc("POST /console/stats/run", func(w http.ResponseWriter, r *http.Request) {
		e.hits++
		http.Redirect(w, r, "/console/stats/", http.StatusSeeOther)
	})
	inner.HandleFunc("GET /console/stats/missing", func(w http.ResponseWriter, r *http.Request) {
		h.RenderError(w, r, http.StatusNotFound, "Không có chỉ tiêu này.")
	})
	inner.HandleFunc("GET /console/stats/outage", func(w http.ResponseWriter, r *http.Request) {
		h.ServerError(w, r, fmt.Errorf("stats: %w", store.Unavailable(errors.New("sqlite: commit: disk I/O error (778)"))))
	})
	inner.HandleFunc("GET /console/stats/bug", func(w http.ResponseWriter, r *http.Request) {
		h.ServerError(w, r, errors.New("stats: nil map"))
	})
	h.AddSection(Section{Name: "stats", Label: map[string]string{"vi": "Thống kê", "en": "Statistics"},
		Action: staff.ReadStatistics, Handler: inner})
	e.mux = http.NewServeMux()
	h.Mount(e.mux)
	return e
}

func (e *sectionEnv) do(req *http.Request, c *http.Cookie) (*http.Response, string) {
	if c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.String()
}

func TestHandler_AddSection(t *testing.T) {
	e := newSectionEnv(t)
	admin := &http.Cookie{Name: sessionCookie, Value: e.auth.NewSession(auth.Admin, time.Hour)}

	resp, _ := e.do(httptest.NewRequest("GET", "/console/stats/", nil), nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login") {
		t.Errorf("signed out: %d to %q, want a redirect to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}

	for name, c := range map[string]*http.Cookie{"statistician": e.statistian, "bootstrap admin": admin} {
		resp, body := e.do(httptest.NewRequest("GET", "/console/stats/", nil), c)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", name, resp.StatusCode)
		}
		mustContain(t, body, "<title>Thống kê · dancu</title>", "<h1>Stats for ", "&lt;script&gt;", `href="/console/stats/">Thống kê</a>`)
		if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", name, got)
		}
	}

	// The auditor may not use the section and gets no link to it.
	resp, body := e.do(httptest.NewRequest("GET", "/console/stats/", nil), e.auditor)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("auditor: status %d, want 403", resp.StatusCode)
	}
	mustNotContain(t, body, `href="/console/stats/"`)

	// Unsafe methods need the session's CSRF token.
	post := func(form url.Values) *http.Response {
		req := postForm("/console/stats/run", form)
		resp, _ := e.do(req, e.statistian)
		return resp
	}
	if resp := post(url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without CSRF: status %d, want 403", resp.StatusCode)
	}
	if resp := post(url.Values{"csrf": {csrfToken(admin.Value)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with another session's CSRF: status %d, want 403", resp.StatusCode)
	}
	if e.hits != 0 {
		t.Fatalf("the handler ran %d times for refused posts", e.hits)
	}
	if resp := post(url.Values{"csrf": {csrfToken(e.statistian.Value)}}); resp.StatusCode != http.StatusSeeOther || e.hits != 1 {
		t.Errorf("POST with CSRF: status %d, hits %d", resp.StatusCode, e.hits)
	}
	req := httptest.NewRequest("POST", "/console/stats/run", nil)
	req.Header.Set("X-CSRF-Token", csrfToken(e.statistian.Value))
	if resp, _ := e.do(req, e.statistian); resp.StatusCode != http.StatusSeeOther || e.hits != 2 {
		t.Errorf("POST with the CSRF header: status %d, hits %d", resp.StatusCode, e.hits)
	}

	resp, body = e.do(httptest.NewRequest("GET", "/console/stats/missing?lang=en", nil), e.statistian)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("RenderError: status %d", resp.StatusCode)
	}
	mustContain(t, body, "Không có chỉ tiêu này.", "Not found", `href="/console/stats/">Statistics</a>`)

	// A store outage is no bug: 503 and a page that says to try again.
	resp, body = e.do(httptest.NewRequest("GET", "/console/stats/outage?lang=en", nil), e.statistian)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("ServerError of an outage: status %d, want 503", resp.StatusCode)
	}
	mustContain(t, body, "nothing was changed")
	mustNotContain(t, body, "778")
	resp, body = e.do(httptest.NewRequest("GET", "/console/stats/bug?lang=en", nil), e.statistian)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("ServerError of a bug: status %d, want 500", resp.StatusCode)
	}
	mustNotContain(t, body, "nothing was changed", "nil map")
}

func TestHandler_AddSectionRefusesBadNames(t *testing.T) {
	for _, name := range []string{"", "staff", "Stats", "a/b", "../x", strings.Repeat("a", 40)} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("AddSection(%q) did not panic", name)
				}
			}()
			(&Handler{}).AddSection(Section{Name: name, Handler: http.NotFoundHandler()})
		})
	}
}

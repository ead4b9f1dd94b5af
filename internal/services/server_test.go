package services_test

import (
	"bytes"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/portal"
	"github.com/dancu/dancu/internal/services"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/web"
)

// fakeSessions stands in for the portal's sessions (package eid): the
// cookie test_citizen names an account of citizens. /portal/signin is a
// page of links that set it and go back to next, as the portal's sign-in
// does after a successful sign-in.
type fakeSessions struct{ citizens map[string]services.Citizen }

func (f fakeSessions) Current(r *http.Request) (services.Citizen, bool) {
	c, err := r.Cookie("test_citizen")
	if err != nil {
		return services.Citizen{}, false
	}
	ct, ok := f.citizens[c.Value]
	return ct, ok
}

func (f fakeSessions) signin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/portal/services/"
	}
	if as := r.URL.Query().Get("as"); as != "" {
		http.SetCookie(w, &http.Cookie{Name: "test_citizen", Value: as, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, `<!DOCTYPE html><html><body><h1>Đăng nhập</h1>`)
	for id := range f.citizens {
		io.WriteString(w, `<p><a id="as-`+id+`" href="/portal/signin?as=`+url.QueryEscape(id)+`&amp;next=`+url.QueryEscape(next)+`">`+id+`</a></p>`)
	}
	io.WriteString(w, `</body></html>`)
}

// stack is the whole HTTP server of a dancu process with the services
// mounted, as cmd/dancu wires it. With eid set, the citizens' portal and
// its electronic identification are the real ones (package portal and
// eid); otherwise fakeSessions stands in for them.
type stack struct {
	*env
	srv      *httptest.Server
	staffSvc *staff.Service
	eid      *eid.Service
}

// eidSessions adapts eid's sessions, as cmd/dancu does.
type eidSessions struct{ e *eid.Service }

func (s eidSessions) Current(r *http.Request) (services.Citizen, bool) {
	c, ok := s.e.Current(r)
	return services.Citizen{AccountID: c.AccountID, PIN: c.PIN, Level: c.Level}, ok
}

func newStack(t *testing.T) *stack { return newStackWith(t, false) }

func newStackWith(t *testing.T, withEID bool) *stack {
	e := newEnv(t, backends["sqlite"])
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, _, err := auth.Setup(e.ctx, e.st, adminToken)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Deps{Registry: e.reg, Store: e.st, Auth: a, Logger: logger, Recorder: e.rec})
	staffSvc := staff.New(e.st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	console := web.New(web.Deps{Registry: e.reg, Auth: a, Staff: staffSvc, Logger: logger, Recorder: e.rec})
	e.svc.Mount(srv)
	console.AddSection(e.svc.ConsoleSection(console))
	s := &stack{env: e, staffSvc: staffSvc}
	if withEID {
		l, err := audit.Open(e.ctx, e.st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		cfg := eid.DefaultConfig()
		cfg.Params = credential.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
		s.eid = eid.New(eid.Deps{Store: e.st, Nonces: e.st, People: e.reg, SMS: e.sms, Recorder: l, Logger: logger}, cfg)
		p := portal.New(portal.Deps{EID: s.eid, People: e.reg, Tracker: l, Logger: logger})
		srv.Mux().Handle(services.PortalPrefix, e.svc.PortalHandler(eidSessions{s.eid}, p, 20<<20))
		p.Mount(srv.Mux())
	} else {
		sessions := fakeSessions{citizens: map[string]services.Citizen{"an": e.husband, "binh": e.wife}}
		srv.Mux().Handle(services.PortalPrefix, e.svc.PortalHandler(sessions, nil, 20<<20))
		srv.Mux().HandleFunc("GET /portal/signin", sessions.signin)
	}
	srv.SetBodyLimit(services.PortalPrefix, 20<<20)
	console.Mount(srv.Mux())
	s.srv = httptest.NewServer(srv)
	t.Cleanup(s.srv.Close)
	return s
}

// officerAccount creates a registrar of scope and returns the username,
// password and TOTP secret to sign in with.
func (s *stack) officerAccount(t *testing.T, username string, scope ...staff.Unit) (string, string, string) {
	t.Helper()
	acct, cr, err := s.staffSvc.Create(s.ctx, staff.NewAccount{Username: username, DisplayName: username, Roles: []staff.Role{staff.Registrar}, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "a long new password 123"
	if _, err := s.staffSvc.ChangePassword(s.ctx, acct.ID, cr.Password, pw); err != nil {
		t.Fatal(err)
	}
	return username, pw, cr.Enrolment.Secret
}

// client is a browser without JavaScript: a cookie jar that does not
// follow redirects, so that tests see them.
type client struct {
	t  *testing.T
	hc *http.Client
	s  *stack
	// csrf is the portal forms' token of the signed-in citizen, read off a
	// form once; posts to the portal carry it unless they set their own.
	csrf string
}

// portalCSRF returns the citizen's portal CSRF token, read off a form.
func (c *client) portalCSRF() string {
	c.t.Helper()
	if c.csrf == "" {
		_, body := c.get("/portal/services/apply/temporary_residence_registration")
		m := csrfField.FindStringSubmatch(body)
		if m == nil {
			c.t.Fatal("no csrf field in the portal's form")
		}
		c.csrf = m[1]
	}
	return c.csrf
}

func (s *stack) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, s: s, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", c.s.srv.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	if strings.HasPrefix(path, "/portal/services/") && !form.Has("csrf") {
		form.Set("csrf", c.portalCSRF())
	}
	req, _ := http.NewRequest("POST", c.s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) multipart(path string, fields map[string]string, files map[string][]byte) (*http.Response, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if _, ok := fields["csrf"]; !ok && strings.HasPrefix(path, "/portal/services/") {
		mw.WriteField("csrf", c.portalCSRF())
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for k, v := range files {
		fw, _ := mw.CreateFormFile(k, k+".bin")
		fw.Write(v)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.s.srv.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var (
	csrfField   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	versionFld  = regexp.MustCompile(`name="version" value="(\d+)"`)
	dossierCode = regexp.MustCompile(`HS\d{6}-[A-Z2-9]{8}`)
)

// signInOfficer signs in through the console's form with password and TOTP.
func (c *client) signInOfficer(username, password, secret string) {
	c.t.Helper()
	_, body := c.get("/console/login")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatal("no csrf in the login form")
	}
	resp, _ := c.post("/console/login", url.Values{"csrf": {m[1]}, "username": {username}, "password": {password},
		"code": {staff.TOTPCode(secret, time.Now())}, "next": {"/console/"}})
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("officer sign-in: %d", resp.StatusCode)
	}
}

func TestPages_DossierFromPortalToRegistry(t *testing.T) {
	s := newStack(t)
	citizen := s.client(t)
	resp, _ := citizen.get("/portal/services/apply/temporary_residence_registration")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/signin?next="+url.QueryEscape("/portal/services/apply/temporary_residence_registration") {
		t.Fatalf("no session: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	citizen.get("/portal/signin?as=an&next=/portal/services/")
	resp, body := citizen.get("/portal/services/apply/temporary_residence_registration")
	if resp.StatusCode != 200 || !strings.Contains(body, `value="Nguyễn Văn An" readonly`) {
		t.Fatalf("form: %d, name not prefilled and locked", resp.StatusCode)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("portal headers %v", resp.Header)
	}
	fields := map[string]string{"f_province": "01", "f_commune": "00008", "f_address": "Số 5 phố Ngọc Hà", "idempotency_key": "form-1"}
	// A forged locked field is refused with the reason, and nothing is filed.
	forged := map[string]string{"f_full_name": "Nguyễn Văn Bê"}
	for k, v := range fields {
		forged[k] = v
	}
	resp, body = citizen.multipart("/portal/services/apply/temporary_residence_registration", forged, map[string][]byte{"file_lawful_residence": pdf})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "fields.full_name: is taken from the registry") {
		t.Fatalf("forged name: %d", resp.StatusCode)
	}
	// An executable disguised as a PDF is refused by its content.
	resp, _ = citizen.multipart("/portal/services/apply/temporary_residence_registration", fields, map[string][]byte{"file_lawful_residence": []byte("MZ\x90\x00 not a pdf")})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("disguised file: %d", resp.StatusCode)
	}
	resp, _ = citizen.multipart("/portal/services/apply/temporary_residence_registration", fields, map[string][]byte{"file_lawful_residence": pdf})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	code := dossierCode.FindString(loc)
	// The same form posted again (a double click, a retry) files nothing new.
	resp, _ = citizen.multipart("/portal/services/apply/temporary_residence_registration", fields, map[string][]byte{"file_lawful_residence": pdf})
	if resp.Header.Get("Location") != loc {
		t.Errorf("retry went to %q, want %q", resp.Header.Get("Location"), loc)
	}
	_, body = citizen.get(loc)
	if !strings.Contains(body, code) || !strings.Contains(body, "2026-12-03") {
		t.Errorf("dossier page lacks the code or the appointment")
	}
	// A post without the session's CSRF token, or with another's, is refused.
	for _, token := range []string{"", "forged-token"} {
		if resp, body := citizen.post("/portal/services/dossiers/"+code+"/withdraw", url.Values{"version": {"1"}, "csrf": {token}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "csrf") {
			t.Errorf("withdraw with CSRF token %q: %d", token, resp.StatusCode)
		}
	}
	// Cross-site posts are refused.
	req, _ := http.NewRequest("POST", s.srv.URL+"/portal/services/dossiers/"+code+"/withdraw", strings.NewReader("version=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := citizen.hc.Do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site withdraw: %d", resp.StatusCode)
	}

	officer := s.client(t)
	officer.signInOfficer(s.officerAccount(t, "ngocha1", staff.Unit{Province: "01", Commune: "00008"}))
	other := s.client(t)
	other.signInOfficer(s.officerAccount(t, "ngocha2", staff.Unit{Province: "01", Commune: "00008"}))
	_, body = officer.get("/console/services/")
	if !strings.Contains(body, code) || !strings.Contains(body, `<strong>1</strong>`) {
		t.Fatalf("the queue does not list the dossier")
	}
	_, body = officer.get("/console/services/dossiers/" + code)
	csrf := csrfField.FindStringSubmatch(body)[1]
	resp, _ = officer.post("/console/services/dossiers/"+code+"/accept", url.Values{"csrf": {csrf}, "version": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", resp.StatusCode)
	}
	// The second officer acts on the version they saw: 409 and the new state.
	_, body2 := other.get("/console/services/dossiers/" + code)
	csrf2 := csrfField.FindStringSubmatch(body2)[1]
	resp, body = other.post("/console/services/dossiers/"+code+"/accept", url.Values{"csrf": {csrf2}, "version": {"1"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Đang xử lý") {
		t.Errorf("stale accept: %d", resp.StatusCode)
	}
	resp, _ = officer.post("/console/services/dossiers/"+code+"/approve", url.Values{"csrf": {csrf}, "version": {"2"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	_, body = officer.get("/console/services/dossiers/" + code)
	if !strings.Contains(body, "dossier-"+code) {
		t.Errorf("the dossier page does not show the event applied")
	}
	if p := s.person(s.husband.PIN); p.TemporaryResidence == nil || p.TemporaryResidence.Commune != "00008" {
		t.Errorf("the registry was not changed")
	}
	_, body = citizen.get("/portal/services/notifications")
	if !strings.Contains(body, "Đã giải quyết") {
		t.Errorf("no notification of the approval")
	}
	_, body = officer.get("/console/services/dashboard")
	if !strings.Contains(body, "100.0%") {
		t.Errorf("the dashboard shows no on-time approval")
	}
	// Another commune's officer may not open it.
	far := s.client(t)
	far.signInOfficer(s.officerAccount(t, "badinh1", staff.Unit{Province: "01", Commune: "00004"}))
	if resp, _ := far.get("/console/services/dossiers/" + code); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an officer of another commune opened the dossier: %d", resp.StatusCode)
	}
	// Another citizen may not see it.
	wife := s.client(t)
	wife.get("/portal/signin?as=binh&next=/")
	if resp, _ := wife.get("/portal/services/dossiers/" + code); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another citizen opened the dossier: %d", resp.StatusCode)
	}
}

// signInAdmin signs in to the console with the bootstrap administrator's token.
func (c *client) signInAdmin() {
	c.t.Helper()
	_, body := c.get("/console/login")
	m := csrfField.FindAllStringSubmatch(body, -1)
	if m == nil {
		c.t.Fatal("no csrf in the login form")
	}
	resp, _ := c.post("/console/login", url.Values{"csrf": {m[len(m)-1][1]}, "token": {adminToken}, "next": {"/console/"}})
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("admin sign-in: %d", resp.StatusCode)
	}
}

func TestPages_SettingsAndInformationRequest(t *testing.T) {
	s := newStack(t)
	admin := s.client(t)
	admin.signInAdmin()
	_, body := admin.get("/console/services/procedures/temporary_residence_registration")
	m := csrfField.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "lawful_residence | required") {
		t.Fatalf("settings page: %.200s", body)
	}
	resp, body := admin.post("/console/services/procedures/temporary_residence_registration", url.Values{"csrf": {m[1]}, "fee": {"15.000"},
		"deadline_days": {"0"}, "offered": {"1"}, "attachments": {"lawful_residence | required | application/pdf | 2048 | Hợp đồng"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "deadline_days") {
		t.Errorf("deadline 0: %d", resp.StatusCode)
	}
	resp, _ = admin.post("/console/services/procedures/temporary_residence_registration", url.Values{"csrf": {m[1]}, "fee": {"15.000"},
		"deadline_days": {"5"}, "offered": {"1"}, "attachments": {"lawful_residence | required | application/pdf | 2048 | Hợp đồng"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save settings: %d", resp.StatusCode)
	}
	if _, body := admin.get("/console/services/dashboard"); !strings.Contains(body, "15.000 ₫") || !strings.Contains(body, "5 ngày làm việc") {
		t.Errorf("the dashboard's catalogue does not show the new fee and deadline")
	}
	// A registrar may not change procedures.
	officer := s.client(t)
	officer.signInOfficer(s.officerAccount(t, "ngocha1", staff.Unit{Province: "01", Commune: "00008"}))
	if resp, _ := officer.get("/console/services/procedures/temporary_residence_registration"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a registrar opened the settings: %d", resp.StatusCode)
	}

	// A dossier under the new settings; the officer asks for more, the
	// citizen answers with a file through the portal, then withdraws.
	citizen := s.client(t)
	citizen.get("/portal/signin?as=an&next=/")
	resp, _ = citizen.multipart("/portal/services/apply/temporary_residence_registration",
		map[string]string{"f_province": "01", "f_commune": "00008", "f_address": "Số 5 phố Ngọc Hà"}, map[string][]byte{"file_lawful_residence": pdf})
	code := dossierCode.FindString(resp.Header.Get("Location"))
	if code == "" {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	_, body = officer.get("/console/services/dossiers/" + code)
	csrf := csrfField.FindStringSubmatch(body)[1]
	if resp, _ := officer.post("/console/services/dossiers/"+code+"/request-info", url.Values{"csrf": {csrf}, "version": {"1"}, "request": {"Bổ sung bản có công chứng"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("request info: %d", resp.StatusCode)
	}
	_, body = citizen.get("/portal/services/dossiers/" + code)
	if !strings.Contains(body, "Bổ sung bản có công chứng") {
		t.Fatal("the citizen does not see the request")
	}
	v := versionFld.FindStringSubmatch(body)[1]
	resp, _ = citizen.multipart("/portal/services/dossiers/"+code+"/respond", map[string]string{"version": v, "note": "Đã bổ sung"},
		map[string][]byte{"file_lawful_residence": pdf})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("respond: %d", resp.StatusCode)
	}
	_, body = citizen.get("/portal/services/dossiers/" + code)
	if !strings.Contains(body, "Đang xử lý") || strings.Count(body, "/attachments/") != 2 {
		t.Errorf("after the answer the dossier is not in progress with two files")
	}
	// Withdrawing with the old version is refused with the new state.
	resp, _ = citizen.post("/portal/services/dossiers/"+code+"/withdraw", url.Values{"version": {v}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("stale withdraw: %d", resp.StatusCode)
	}
	v = versionFld.FindStringSubmatch(body)[1]
	if resp, _ := citizen.post("/portal/services/dossiers/"+code+"/withdraw", url.Values{"version": {v}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("withdraw: %d", resp.StatusCode)
	}
	_, body = citizen.get("/portal/services/notifications")
	if strings.Count(body, `href="/portal/services/dossiers/`+code+`"`) != 4 {
		t.Errorf("notifications: want 4 about the dossier (filed, information requested, answered, withdrawn)")
	}
	m = regexp.MustCompile(`name="up_to" value="(\d+)"`).FindStringSubmatch(body)
	if resp, _ := citizen.post("/portal/services/notifications/read", url.Values{"up_to": {m[1]}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("mark read: %d", resp.StatusCode)
	}
	if _, body := citizen.get("/portal/services/notifications"); strings.Contains(body, "badge late") {
		t.Errorf("notifications still unread after marking")
	}
}

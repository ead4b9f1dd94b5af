package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/match/linkage"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// staffEnv is a console with staff accounts over its own SQLite store, with
// a clock for the staff service that tests move on, so that every sign-in
// uses a fresh TOTP code.
type staffEnv struct {
	t      *testing.T
	srv    *httptest.Server
	h      *Handler
	reg    *registry.Registry
	staff  *staff.Service
	logs   *syncBuffer
	mu     sync.Mutex
	now    time.Time
	inside string // PIN of someone living in 01:00004
	other  string // PIN of someone living in 79:26740
}

func (e *staffEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// tick moves the staff clock to the next TOTP step.
func (e *staffEnv) tick() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(30 * time.Second)
}

func newStaffEnv(t *testing.T) *staffEnv { return newStaffEnvWith(t, false) }

// newStaffEnvWith is newStaffEnv whose console checks registrations for
// people already on record when screen is set (the seeded people are
// registered without the check).
func newStaffEnvWith(t *testing.T, screen bool) *staffEnv {
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
	e := &staffEnv{t: t, now: time.Now(), logs: &syncBuffer{}}
	e.reg = registry.New(st, registry.WithClock(func() time.Time { return testNow }))
	e.staff = staff.New(st, staff.WithClock(e.clock),
		staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	for _, p := range []struct {
		pin        *string
		prov, comm string
	}{{&e.inside, "01", "00004"}, {&e.other, "79", "26740"}} {
		raw, _ := json.Marshal(map[string]any{
			"full_name": "Nguyễn Văn An", "birth_date": "1985-03-02", "sex": "male", "ethnicity": "01",
			"registration_place": map[string]any{"province": p.prov},
			"address":            map[string]any{"province": p.prov, "commune": p.comm, "address": "Số 1"},
		})
		res, err := e.reg.Submit(ctx, registry.Submission{Actor: "admin", Event: registry.Event{
			Type: "initial_registration", EffectiveDate: registry.MustParseDate("2025-08-01"), Reason: "Thu thập", Data: raw}})
		if err != nil {
			t.Fatal(err)
		}
		*p.pin = res.PIN
	}
	if screen {
		e.reg = registry.New(st, registry.WithClock(func() time.Time { return testNow }),
			registry.WithScreen(linkage.NewScreen(linkage.NewService(st), slogJSON(e.logs))))
	}
	e.h = New(Deps{Registry: e.reg, Auth: a, Staff: e.staff, Logger: slogJSON(e.logs), Recorder: &audittest.Recorder{}})
	e.h.failDelay = time.Millisecond
	mux := http.NewServeMux()
	e.h.Mount(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// browser is one officer's browser: a client with its own cookie jar.
type browser struct {
	e   *staffEnv
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *staffEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	// A copy: the server's client is shared, and each browser has its own jar.
	c := *e.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{e: e, c: &c, jar: jar}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return resp, readBody(b.e.t, resp)
}

// csrf is the CSRF token of the browser's session.
func (b *browser) csrf() string {
	u, _ := url.Parse(b.e.srv.URL + consolePrefix)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == sessionCookie {
			return csrfToken(c.Value)
		}
	}
	return ""
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.e.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf())
	}
	resp, err := b.c.PostForm(b.e.srv.URL+path, form)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return resp, readBody(b.e.t, resp)
}

// loginCSRF opens the sign-in page and returns its form token.
func (b *browser) loginCSRF() string {
	b.e.t.Helper()
	_, body := b.get("/console/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		b.e.t.Fatal("no csrf field on the sign-in page")
	}
	return m[1]
}

// signIn signs in as an officer, with the code the phone shows now.
func (b *browser) signIn(username, password, secret string) *http.Response {
	b.e.t.Helper()
	b.e.tick()
	code := staff.TOTPCode(secret, b.e.clock())
	resp, _ := b.post("/console/login", url.Values{"csrf": {b.loginCSRF()}, "username": {username}, "password": {password}, "code": {code}})
	return resp
}

// credentials reads the one-time password and TOTP secret off an
// enrolment page.
func credentials(t *testing.T, body string) (password, secret string) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<dd class="mono">([^<]+)</dd>\s*<dt>[^<]*</dt>\s*<dd class="mono">([A-Z2-7]+)</dd>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no credentials on the enrolment page")
	}
	return html.UnescapeString(m[1]), m[2]
}

func wantStatus(t *testing.T, what string, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d (%s), want %d", what, resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

func wantRedirect(t *testing.T, what string, resp *http.Response, prefix string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), prefix) {
		t.Fatalf("%s: %d to %q, want a redirect to %s", what, resp.StatusCode, resp.Header.Get("Location"), prefix)
	}
}

// TestHandler_staffFlow goes through the life of staff accounts in the
// console: first set-up with the admin token, officers signing in with
// password and TOTP, roles and units enforced, disabling and reset.
func TestHandler_staffFlow(t *testing.T) {
	e := newStaffEnv(t)

	// First set-up: the admin token signs in and creates a national admin.
	setup := e.browser()
	_, body := setup.get("/console/login")
	mustContain(t, body, `name="token"`, `name="username"`, `name="code"`)
	resp, _ := setup.post("/console/login", url.Values{"csrf": {setup.loginCSRF()}, "token": {testToken}})
	wantRedirect(t, "admin token sign-in", resp, "/console/")
	resp, body = setup.post("/console/staff", url.Values{"username": {"Boss"}, "display_name": {"Trần Văn Quản"}, "role": {"national_admin"}})
	wantStatus(t, "create the national admin", resp, http.StatusOK)
	bossPW, bossSecret := credentials(t, body)
	mustContain(t, body, "otpauth://totp/dancu:boss?", bossSecret, `<figure class="qr" id="totp-qr"><svg `)

	// From now on the token no longer signs in, and the form is gone.
	other := e.browser()
	_, body = other.get("/console/login")
	mustNotContain(t, body, `name="token"`)
	resp, body = other.post("/console/login", url.Values{"csrf": {other.loginCSRF()}, "token": {testToken}})
	wantStatus(t, "admin token after set-up", resp, http.StatusForbidden)
	mustContain(t, body, "không còn dùng để đăng nhập")
	// The set-up session itself ends too.
	resp, _ = setup.get("/console/staff")
	wantRedirect(t, "admin session after set-up", resp, "/console/login")

	// The national admin signs in and must change the issued password first.
	boss := e.browser()
	wantRedirect(t, "boss sign-in", boss.signIn("boss", bossPW, bossSecret), "/console/password")
	resp, _ = boss.get("/console/staff")
	wantRedirect(t, "before changing the password", resp, "/console/password")
	resp, body = boss.post("/console/password", url.Values{"current": {bossPW}, "new": {"short"}, "confirm": {"short"}})
	wantStatus(t, "short password", resp, http.StatusUnprocessableEntity)
	resp, _ = boss.post("/console/password", url.Values{"current": {bossPW}, "new": {"một cụm từ dài dễ nhớ"}, "confirm": {"một cụm từ dài dễ nhớ"}})
	wantRedirect(t, "change password", resp, "/console/password?changed=1")
	resp, body = boss.get("/console/staff")
	wantStatus(t, "staff list", resp, http.StatusOK)
	mustContain(t, body, "boss", "Trần Văn Quản", "Quản trị viên cấp quốc gia")

	// Wrong code, and a replayed code, are refused.
	x := e.browser()
	e.tick()
	resp, body = x.post("/console/login", url.Values{"csrf": {x.loginCSRF()}, "username": {"boss"}, "password": {"một cụm từ dài dễ nhớ"}, "code": {"000000"}})
	wantStatus(t, "wrong code", resp, http.StatusUnauthorized)
	mustContain(t, body, "không đúng")
	code := staff.TOTPCode(bossSecret, e.clock())
	resp, _ = x.post("/console/login", url.Values{"csrf": {x.loginCSRF()}, "username": {"boss"}, "password": {"một cụm từ dài dễ nhớ"}, "code": {code}})
	wantRedirect(t, "right code", resp, "/console/")
	y := e.browser()
	resp, _ = y.post("/console/login", url.Values{"csrf": {y.loginCSRF()}, "username": {"boss"}, "password": {"một cụm từ dài dễ nhớ"}, "code": {code}})
	if resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a replayed TOTP code signed in")
	}

	// The admin creates a registrar of Ba Đình.
	resp, body = boss.post("/console/staff", url.Values{"username": {"reg7"}, "display_name": {"Lê Thị Hộ"}, "role": {"registrar"}, "scope": {"01:00004"}})
	wantStatus(t, "create the registrar", resp, http.StatusOK)
	regPW, regSecret := credentials(t, body)
	resp, _ = boss.post("/console/staff", url.Values{"username": {"reg8"}, "display_name": {"X"}, "role": {"registrar"}})
	wantStatus(t, "registrar without units", resp, http.StatusUnprocessableEntity)

	reg := e.browser()
	wantRedirect(t, "registrar sign-in", reg.signIn("reg7", regPW, regSecret), "/console/password")
	reg.post("/console/password", url.Values{"current": {regPW}, "new": {"mật khẩu của cán bộ"}, "confirm": {"mật khẩu của cán bộ"}})
	resp, body = reg.get("/console/")
	wantStatus(t, "registrar search page", resp, http.StatusOK)
	mustNotContain(t, body, `href="/console/staff"`)
	resp, _ = reg.get("/console/staff")
	wantStatus(t, "registrar on the staff pages", resp, http.StatusForbidden)
	resp, _ = reg.post("/console/staff", url.Values{"username": {"mine"}, "display_name": {"X"}, "role": {"national_admin"}})
	wantStatus(t, "registrar creating an admin", resp, http.StatusForbidden)

	// Events: inside the units recorded, outside refused with nothing written.
	event := func(subject string) string {
		b, _ := json.Marshal(map[string]any{"type": "id_card_issued", "subject": subject, "effective_date": "2026-03-01", "reason": "Hồ sơ cấp thẻ số 7"})
		return string(b)
	}
	before, _ := e.reg.Person(context.Background(), e.other, registry.Date{})
	resp, body = reg.post("/console/events", url.Values{"event": {event(e.other)}})
	wantStatus(t, "event outside the units", resp, http.StatusForbidden)
	mustContain(t, body, "ngoài địa bàn")
	if after, _ := e.reg.Person(context.Background(), e.other, registry.Date{}); after.Version != before.Version {
		t.Error("a refused event wrote a version")
	}
	resp, body = reg.post("/console/events", url.Values{"event": {event(e.inside)}})
	wantStatus(t, "event inside the units", resp, http.StatusOK)
	mustContain(t, body, "Đã ghi nhận sự kiện")
	if ev, _ := e.reg.Events(context.Background(), storeEventQuery(e.inside)); len(ev) == 0 || ev[len(ev)-1].Actor != "reg7" {
		t.Error("the event is not recorded with the registrar as actor")
	}
	resp, _ = reg.post("/console/events", url.Values{"event": {event(e.inside)}, "csrf": {"wrong"}})
	wantStatus(t, "event without CSRF token", resp, http.StatusForbidden)

	// Disabled: the open session stops working at once.
	resp, _ = boss.post("/console/staff/reg7/disabled", url.Values{"disabled": {"1"}})
	wantRedirect(t, "disable", resp, "/console/staff/reg7")
	resp, _ = reg.get("/console/")
	wantRedirect(t, "disabled registrar's session", resp, "/console/login")
	resp, _ = boss.post("/console/staff/boss/disabled", url.Values{"disabled": {"1"}})
	wantStatus(t, "disabling oneself", resp, http.StatusUnprocessableEntity)

	// Reset: new credentials work, the old ones do not.
	boss.post("/console/staff/reg7/disabled", url.Values{"disabled": {"0"}})
	reg2 := e.browser()
	wantRedirect(t, "sign-in before reset", reg2.signIn("reg7", "mật khẩu của cán bộ", regSecret), "/console/")
	resp, body = boss.post("/console/staff/reg7/reset", url.Values{})
	wantStatus(t, "reset", resp, http.StatusOK)
	newPW, newSecret := credentials(t, body)
	if newSecret == regSecret {
		t.Error("reset kept the TOTP secret")
	}
	if resp := e.browser().signIn("reg7", "mật khẩu của cán bộ", newSecret); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password after reset: %d", resp.StatusCode)
	}
	wantRedirect(t, "sign-in after reset", e.browser().signIn("reg7", newPW, newSecret), "/console/password")
	resp, _ = reg2.get("/console/password")
	wantRedirect(t, "a session begun before the reset", resp, "/console/login")

	// Roles: the registrar becomes an auditor and loses the registry.
	resp, _ = boss.post("/console/staff/reg7/roles", url.Values{"role": {"auditor"}})
	wantRedirect(t, "set roles", resp, "/console/staff/reg7?saved=1")
	if a, _ := e.staff.Account(context.Background(), "reg7"); !a.Has(staff.Auditor) || a.Has(staff.Registrar) {
		t.Errorf("roles after the change: %v", a.Roles)
	}

	// Nothing typed at sign-in, and no credential, reaches the log.
	logs := e.logs.String()
	for _, secret := range []string{bossPW, bossSecret, regPW, regSecret, newPW, newSecret, "một cụm từ dài dễ nhớ", e.inside, e.other} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret or a PIN")
		}
	}
}

func storeEventQuery(pin string) store.EventQuery {
	return store.EventQuery{Subject: pin, Limit: 100}
}

// TestHandler_duplicateRegistration registers, from the console's event
// form, a person already on record under another spelling: the page lists
// the candidates, linked to their records, and records the reads; the
// registrar's declaration lets the registration go ahead.
func TestHandler_duplicateRegistration(t *testing.T) {
	e := newStaffEnvWith(t, true)
	admin := e.browser()
	resp, _ := admin.post("/console/login", url.Values{"csrf": {admin.loginCSRF()}, "token": {testToken}})
	wantRedirect(t, "admin token sign-in", resp, "/console/")
	event := func(extra map[string]any) string {
		data := map[string]any{
			"full_name": "Nguyen Van An", "birth_date": "1985-03-02", "sex": "male", "ethnicity": "01",
			"registration_place": map[string]any{"province": "01"},
			"address":            map[string]any{"province": "01", "commune": "00004", "address": "Số 3"},
		}
		for k, v := range extra {
			data[k] = v
		}
		b, _ := json.Marshal(map[string]any{"type": "initial_registration", "effective_date": "2026-03-01", "reason": "Hồ sơ 12", "data": data})
		return string(b)
	}
	rec := e.h.rec.(*audittest.Recorder)
	rec.Take()
	before, _ := e.reg.Count(context.Background())
	resp, body := admin.post("/console/events", url.Values{"event": {event(nil)}})
	wantStatus(t, "a registration of someone on record", resp, http.StatusConflict)
	mustContain(t, body, "có thể đã có trong Cơ sở dữ liệu", `href="/console/people/`+e.inside+`"`, "confirm_not_duplicate")
	if after, _ := e.reg.Count(context.Background()); after != before {
		t.Fatal("a refused registration wrote")
	}
	read := map[string]bool{}
	for _, a := range rec.Take() {
		read[a.PIN] = a.Action == "read"
	}
	if !read[e.inside] {
		t.Errorf("the candidate shown is not in the access log as read: %v", read)
	}
	resp, body = admin.post("/console/events", url.Values{"event": {event(map[string]any{
		"confirm_not_duplicate": true, "not_duplicate_reason": "Người khác: đã đối chiếu giấy khai sinh"})}})
	wantStatus(t, "the declared registration", resp, http.StatusOK)
	mustContain(t, body, "Đã ghi nhận sự kiện")
	mustNotContain(t, body, `id="duplicates"`)
	if after, _ := e.reg.Count(context.Background()); after != before+1 {
		t.Fatalf("people %d, want %d", after, before+1)
	}
}

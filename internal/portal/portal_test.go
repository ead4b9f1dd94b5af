package portal

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/store"
)

func TestMessages_sameKeys(t *testing.T) {
	for key := range messages[langVI] {
		if _, ok := messages[langEN][key]; !ok {
			t.Errorf("%q has no English text", key)
		}
	}
	for key := range messages[langEN] {
		if _, ok := messages[langVI][key]; !ok {
			t.Errorf("%q has no Vietnamese text", key)
		}
	}
}

func TestHandler_RegisterAndSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	resp, body := b.get("/portal/register")
	if resp.StatusCode != 200 || !strings.Contains(body, "Số định danh cá nhân") {
		t.Fatalf("register page: %d", resp.StatusCode)
	}
	for name, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if got := resp.Header.Get(name); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q in it", name, got, want)
		}
	}
	if strings.Contains(resp.Header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("the CSP allows inline code")
	}
	b.register()
	// The session cookie is HttpOnly and SameSite.
	u, _ := url.Parse(e.srv.URL + "/portal/")
	var found bool
	for _, c := range b.c.Jar.Cookies(u) {
		found = found || c.Name == eid.CookieName
	}
	if !found {
		t.Fatal("no session cookie after registration")
	}
	resp, body = b.get("/portal/me")
	if resp.StatusCode != 200 || !strings.Contains(body, "Nguyễn Văn Hoà") || !strings.Contains(body, pinAdult) {
		t.Errorf("my data: %d, name or PIN missing", resp.StatusCode)
	}
	if !strings.Contains(body, "Dữ liệu từ các cơ sở dữ liệu khác chỉ hiển thị với tài khoản mức 2.") {
		t.Error("level 1 is not told that linked data needs level 2")
	}
	// Sign out, then sign in through a next that must be honoured.
	tok := b.csrf()
	resp, _ = b.post("/portal/signout", url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	resp, _ = b.get("/portal/me")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/signin?next=%2Fportal%2Fme" {
		t.Errorf("signed out, /portal/me: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := b.signIn("/oidc/authorize?client_id=x&state=y"); got != "/oidc/authorize?client_id=x&state=y" {
		t.Errorf("after sign-in: sent to %q, want next", got)
	}
	_, body = b.get("/portal/events?lang=en")
	for _, want := range []string{"Account created", "Signed in", "Headless Chrome"} {
		if want == "Headless Chrome" {
			continue
		}
		if !strings.Contains(body, want) {
			t.Errorf("events page lacks %q", want)
		}
	}
	_, body = b.get("/portal/sessions")
	if !strings.Contains(body, "This session") {
		t.Error("the sessions page does not mark this session")
	}
}

func TestHandler_CSRF(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	tok := b.csrf()
	form := url.Values{"pin": {pinAdult}, "full_name": {"x"}, "birth_date": {"1990-01-01"}, "phone": {phone}}
	for name, f := range map[string]url.Values{
		"no token":    form,
		"wrong token": merge(form, url.Values{"csrf": {tok + "x"}}),
	} {
		resp, _ := b.post("/portal/register", f)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	// A cross-site POST is refused before the token is looked at.
	req, _ := http.NewRequest("POST", e.srv.URL+"/portal/register", strings.NewReader(merge(form, url.Values{"csrf": {tok}}).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", resp.StatusCode)
	}
	if n := len(e.sms.text); n != 0 {
		t.Errorf("%d messages sent by refused requests", n)
	}
}

func merge(a, b url.Values) url.Values {
	out := url.Values{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestHandler_RegisterSameAnswer checks that the page after a mismatch is
// the same as after a match, but for the step id.
func TestHandler_RegisterSameAnswer(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	tok := b.csrf()
	page := func(pin, name string) (int, string) {
		resp, body := b.post("/portal/register", url.Values{"csrf": {tok}, "pin": {pin}, "full_name": {name}, "birth_date": {"1990-05-17"}, "phone": {phone}})
		return resp.StatusCode, hiddenRE("step").ReplaceAllString(body, `name="step" value=""`)
	}
	s1, match := page(pinAdult, "Nguyễn Văn Hoà")
	s2, wrongName := page(pinAdult, "Nguyễn Văn Hoàng")
	s3, unknown := page("079190999999", "Nguyễn Văn Hoà")
	if s1 != 200 || s2 != 200 || s3 != 200 || match != wrongName || match != unknown {
		t.Errorf("answers differ: %d %d %d, bodies equal %v %v", s1, s2, s3, match == wrongName, match == unknown)
	}
}

func TestHandler_Tracker(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.browser(t)
	b.register()
	for i := range 3 {
		if err := e.log.Record(ctx, audit.Access{ActorKind: "client", Actor: fmt.Sprintf("bank-%d", i), Agency: "VCB", Purpose: "kyc", PIN: pinAdult, Fields: []string{"full_name"}, Action: "read"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	resp, body := b.get("/portal/tracker")
	if resp.StatusCode != 200 {
		t.Fatalf("tracker: %d", resp.StatusCode)
	}
	if !strings.Contains(body, `<script src="/portal/static/tracker.js" defer></script>`) || strings.Contains(body, "<script>") {
		t.Error("the tracker page must load its script from a file and have no inline script")
	}
	// What the page gives the browser is enough to check each entry: the
	// same check as tracker.js, here with the Go implementation.
	note := html.UnescapeString(regexp.MustCompile(`data-note="([^"]*)"`).FindStringSubmatch(body)[1])
	cp, err := audit.OpenCheckpoint([]byte(note), e.log.Verifier())
	if err != nil {
		t.Fatalf("the page's checkpoint does not verify: %v", err)
	}
	rows := regexp.MustCompile(`data-index="(\d+)" data-leaf="([^"]+)" data-proof="([^"]*)"`).FindAllStringSubmatch(body, -1)
	if len(rows) != 3 {
		t.Fatalf("%d rows with proof data, want 3", len(rows))
	}
	for _, r := range rows {
		idx, _ := strconv.ParseInt(r[1], 10, 64)
		leaf, _ := base64.StdEncoding.DecodeString(html.UnescapeString(r[2]))
		var proof tlog.RecordProof
		for _, p := range strings.Split(html.UnescapeString(r[3]), ",") {
			if p == "" {
				continue
			}
			hb, _ := base64.StdEncoding.DecodeString(p)
			var h tlog.Hash
			copy(h[:], hb)
			proof = append(proof, h)
		}
		if err := tlog.CheckRecord(proof, cp.Size, cp.Root, idx, tlog.RecordHash(leaf)); err != nil {
			t.Errorf("entry %d: proof on the page does not verify: %v", idx, err)
		}
	}
	resp, js := b.get("/portal/static/tracker.js")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || !strings.Contains(js, "crypto.subtle.digest") {
		t.Errorf("tracker.js: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestHandler_AppsAndSessions(t *testing.T) {
	e := newEnv(t)
	e.apps.apps = []ConnectedApp{{ID: "bank-app", Name: "Ngân hàng A", Purpose: "eKYC", Scopes: []string{"profile"}}}
	b := e.browser(t)
	b.register()
	_, body := b.get("/portal/apps")
	if !strings.Contains(body, "Ngân hàng A") {
		t.Fatal("connected app not listed")
	}
	tok := b.csrf()
	resp, _ := b.post("/portal/apps/revoke", url.Values{"csrf": {tok}, "app": {"bank-app"}})
	if resp.StatusCode != http.StatusSeeOther || len(e.apps.revoked) != 1 || e.apps.revoked[0] != "bank-app" {
		t.Errorf("revoke: %d, revoked %v", resp.StatusCode, e.apps.revoked)
	}
	// A second browser; the first revokes it.
	other := e.browser(t)
	other.signIn("/portal/")
	_, body = b.get("/portal/sessions")
	ids := regexp.MustCompile(`name="session" value="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(ids) != 2 {
		t.Fatalf("%d sessions listed, want 2", len(ids))
	}
	// The newest first: the other browser's.
	b.post("/portal/sessions/revoke", url.Values{"csrf": {tok}, "session": {ids[0][1]}})
	if resp, _ := other.get("/portal/me"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoked browser: %d, want a redirect to sign in", resp.StatusCode)
	}
	if resp, _ := b.get("/portal/me"); resp.StatusCode != 200 {
		t.Errorf("revoking browser: %d", resp.StatusCode)
	}
}

func TestHandler_Sections(t *testing.T) {
	e := newEnv(t,
		Section{Name: "health", Label: map[string]string{"vi": "Sổ sức khoẻ", "en": "Health book"}, MinLevel: 2,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})},
		Section{Name: "services", Label: map[string]string{"vi": "Dịch vụ công", "en": "Public services"}, SignIn: true,
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/outage") {
					hh.ServerError(w, r, store.Unavailable(errors.New("postgres: commit: terminating connection (SQLSTATE 57P01)")))
					return
				}
				c, ok := CurrentCitizen(r)
				body := template.HTML(template.HTMLEscapeString(fmt.Sprintf("level %d %v %s", c.Level, ok, Lang(r))))
				hh.Render(w, r, Page{Title: "Services", Body: body})
			})},
	)
	hh = e.h
	b := e.browser(t)
	if resp, _ := b.get("/portal/services/"); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/portal/signin?next=%2Fportal%2Fservices%2F" {
		t.Errorf("section without a session: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	b.register()
	resp, body := b.get("/portal/services/?lang=en")
	if resp.StatusCode != 200 || !strings.Contains(body, "level 1 true en") || !strings.Contains(body, `href="/portal/health/"`) {
		t.Errorf("section page: %d, %.200s", resp.StatusCode, body)
	}
	if resp, _ := b.get("/portal/health/"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("level-2 section for a level-1 account: %d, want 403", resp.StatusCode)
	}
	// A store outage is no bug: 503 and a page that says to try again.
	if resp, body := b.get("/portal/services/outage?lang=en"); resp.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(body, "nothing was changed") || strings.Contains(body, "57P01") {
		t.Errorf("ServerError of an outage: %d, %.300s", resp.StatusCode, body)
	}
	if _, err := e.eid.RaiseLevel(context.Background(), eid.Check{Officer: "an.nv", PIN: pinAdult, Card: card}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.get("/portal/health/"); resp.StatusCode != http.StatusOK {
		t.Errorf("level-2 section after the raise: %d, want 200", resp.StatusCode)
	}
	for _, bad := range []string{"me", "Bad", "", "static"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddSection(%q) did not panic", bad)
				}
			}()
			e.h.AddSection(Section{Name: bad, Handler: http.NotFoundHandler()})
		}()
	}
	// RenderPortal outside the middleware works out the language and session.
	rec := httptestRecorder()
	req, _ := http.NewRequest("GET", "/portal/services/x?lang=en", nil)
	e.h.RenderPortal(rec, req, 200, "Outside", "<p>ok</p>")
	if !bytes.Contains(rec.body.Bytes(), []byte("<p>ok</p>")) || !bytes.Contains(rec.body.Bytes(), []byte("electronic identification portal")) {
		t.Errorf("RenderPortal: %.200s", rec.body.String())
	}
}

var hh *Handler

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/portal/"},
		{"/portal/me", "/portal/me"},
		{"/oidc/authorize?client_id=a&state=b", "/oidc/authorize?client_id=a&state=b"},
		{"https://evil.example/", "/portal/"},
		{"//evil.example/x", "/portal/"},
		{"/\\evil.example", "/portal/"},
		{"javascript:alert(1)", "/portal/"},
		{"/portal/signin?next=/x", "/portal/"},
		{"/portal/../portal/signin", "/portal/"},
		{"/x\r\nSet-Cookie: a=b", "/portal/"},
		{"portal/me", "/portal/"},
		{"/%2F ", "/portal/"}, // the path decodes to "// ", re-encoded as "//%20"
		{"/%2F%2Fevil.example", "/portal/"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSafeNext checks that whatever next says, the answer is a local path.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/portal/me", "//x", "/\\x", "https://x", "/%2F/x", "/a?b=//c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeNext(s)
		u, err := url.Parse(got)
		if err != nil || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.Contains(got, "\\") || u.Host != "" || u.Scheme != "" {
			t.Errorf("safeNext(%q) = %q: not a local path", s, got)
		}
	})
}

// fakeLinked is a hand-written Linked with one health-insurance record.
type fakeLinked struct{ calls int }

func (f *fakeLinked) LinkedRecords(context.Context, string) ([]LinkedRecord, error) {
	f.calls++
	return []LinkedRecord{{Source: "health_insurance", Key: "HS4010123456589", Fields: [][2]string{{"valid_to", "2026-12-31"}}}}, nil
}

func TestHandler_MyDataLinkedAtLevel2(t *testing.T) {
	e := newEnv(t)
	linked := &fakeLinked{}
	e.h.d.Linked = linked
	b := e.browser(t)
	b.register()
	if _, body := b.get("/portal/me"); strings.Contains(body, "HS4010123456589") || linked.calls != 0 {
		t.Error("linked data read or shown at level 1")
	}
	if _, err := e.eid.RaiseLevel(context.Background(), eid.Check{Officer: "an.nv", PIN: pinAdult, Card: card}); err != nil {
		t.Fatal(err)
	}
	if _, body := b.get("/portal/me"); !strings.Contains(body, "HS4010123456589") || !strings.Contains(body, "health_insurance") {
		t.Error("linked data not shown at level 2")
	}
}

// A relying party's prompt=login sends a signed-in citizen to the sign-in
// form again; the new session replaces the old one in that browser.
func TestHandler_SignInAgain(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.register()
	session := func() eid.Citizen {
		t.Helper()
		u, _ := url.Parse(e.srv.URL + "/portal/")
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == eid.CookieName {
				cz, err := e.eid.Authenticate(context.Background(), c.Value)
				if err != nil {
					t.Fatalf("the browser's session: %v", err)
				}
				return cz
			}
		}
		t.Fatal("no session cookie")
		return eid.Citizen{}
	}
	old := session()
	next := "/oidc/login?id=req-1"
	if resp, _ := b.get("/portal/signin?next=" + url.QueryEscape(next)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signed in, the sign-in page = %d, want a redirect to next", resp.StatusCode)
	}
	resp, body := b.get("/portal/signin?prompt=login&next=" + url.QueryEscape(next))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "đăng nhập lại") || !strings.Contains(body, `id="signin-form"`) {
		t.Fatalf("prompt=login: %d, want the sign-in form saying why:\n%.500s", resp.StatusCode, body)
	}
	if got := b.signIn(next); got != next {
		t.Errorf("after signing in again: sent to %q, want %q", got, next)
	}
	now := session()
	if now.SessionID == old.SessionID || !now.AuthTime.After(old.AuthTime) {
		t.Errorf("signing in again kept the session (%s, %v)", now.SessionID, now.AuthTime)
	}
	live, err := e.eid.Sessions(context.Background(), now.AccountID)
	if err != nil || len(live) != 1 || live[0].ID != now.SessionID {
		t.Errorf("sessions after signing in again = %+v, %v; want only the new one", live, err)
	}
}

// The representative sees the relying parties an organisation agreed to
// share with on its page and revokes one; no one else can.
func TestHandler_OrganisationApps(t *testing.T) {
	e := newEnv(t)
	e.apps.apps = []ConnectedApp{{ID: "thue", Name: "Thuế điện tử", Purpose: "Khai thuế", Scopes: []string{"organisation"}}}
	b := e.browser(t)
	b.register()
	if _, err := e.eid.RaiseLevel(context.Background(), eid.Check{Officer: "an.nv", PIN: pinAdult, Card: card}); err != nil {
		t.Fatal(err)
	}
	tok := b.csrf()
	// A typing mistake in the tax code is caught by its check digit.
	if resp, body := b.post("/portal/organisations", url.Values{"csrf": {tok}, "name": {"Công ty TNHH Hoà Bình"}, "tax_code": {"0312345678"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "chữ số kiểm tra") {
		t.Errorf("a tax code with a wrong check digit: %d, want 422 saying so:\n%.300s", resp.StatusCode, body)
	}
	if resp, body := b.post("/portal/organisations", url.Values{"csrf": {tok}, "name": {"Công ty TNHH Hoà Bình"}, "tax_code": {"0312345673"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register the organisation: %d %.300s", resp.StatusCode, body)
	}
	_, body := b.get("/portal/organisations")
	if !strings.Contains(body, "Thuế điện tử") || !strings.Contains(body, `name="org" value="O0312345673"`) {
		t.Fatalf("the organisation's connected app is not listed:\n%s", body)
	}
	// A citizen who does not represent the organisation cannot revoke.
	if resp, _ := b.post("/portal/organisations/apps/revoke", url.Values{"csrf": {tok}, "org": {"O0399999999"}, "app": {"thue"}}); resp.StatusCode != http.StatusForbidden || len(e.apps.revoked) != 0 {
		t.Errorf("revoke for an organisation not represented: %d, revoked %v", resp.StatusCode, e.apps.revoked)
	}
	resp, _ := b.post("/portal/organisations/apps/revoke", url.Values{"csrf": {tok}, "org": {"O0312345673"}, "app": {"thue"}})
	if resp.StatusCode != http.StatusSeeOther || len(e.apps.holders) != 1 || e.apps.holders[0] != "O0312345673" || e.apps.revoked[0] != "thue" {
		t.Errorf("revoke: %d, for %v of %v", resp.StatusCode, e.apps.revoked, e.apps.holders)
	}
}

// The representative closes the organisation's account from its page,
// after typing its tax code; no one else can, and a closed account is
// shown as closed, without its apps or the form.
func TestHandler_CloseOrganisation(t *testing.T) {
	e := newEnv(t)
	e.apps.apps = []ConnectedApp{{ID: "thue", Name: "Thuế điện tử", Purpose: "Khai thuế", Scopes: []string{"organisation"}}}
	b := e.browser(t)
	b.register()
	ctx := context.Background()
	if _, err := e.eid.RaiseLevel(ctx, eid.Check{Officer: "an.nv", PIN: pinAdult, Card: card}); err != nil {
		t.Fatal(err)
	}
	tok := b.csrf()
	if resp, _ := b.post("/portal/organisations", url.Values{"csrf": {tok}, "name": {"Công ty TNHH Hoà Bình"}, "tax_code": {"0312345673"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register the organisation: %d", resp.StatusCode)
	}
	if _, body := b.get("/portal/organisations"); !strings.Contains(body, `id="close-O0312345673"`) {
		t.Fatalf("no closing form for the organisation:\n%s", body)
	}
	close := func(org, confirm string) (*http.Response, string) {
		return b.post("/portal/organisations/close", url.Values{"csrf": {tok}, "org": {org}, "confirm": {confirm}, "reason": {"Giải thể"}})
	}
	if resp, body := close("O0312345673", "0312345670"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "không khớp") {
		t.Errorf("closing with a wrong confirmation: %d, want 422 saying so", resp.StatusCode)
	}
	if resp, _ := close("O0399999999", "0399999999"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("closing an organisation not represented: %d, want 403", resp.StatusCode)
	}
	if resp, _ := b.post("/portal/organisations/close", url.Values{"org": {"O0312345673"}, "confirm": {"0312345673"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("closing without the CSRF token: %d, want 403", resp.StatusCode)
	}
	if org, err := e.eid.Account(ctx, "O0312345673"); err != nil || org.Closed != nil || len(e.apps.holders) != 0 {
		t.Fatalf("a refused closing changed the account (%+v, %v) or revoked %v", org, err, e.apps.holders)
	}
	resp, _ := close("O0312345673", " 0312345673 ")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/organisations?closed=1" {
		t.Fatalf("closing: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if len(e.apps.holders) != 1 || e.apps.holders[0] != "O0312345673" {
		t.Errorf("grants revoked for %v, want the organisation's", e.apps.holders)
	}
	_, body := b.get("/portal/organisations?closed=1")
	for _, want := range []string{"Đã đóng tài khoản của tổ chức", `class="org org-closed"`, "Đã đóng ngày", "Giải thể"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page after closing lacks %q", want)
		}
	}
	if strings.Contains(body, `id="close-O0312345673"`) || strings.Contains(body, "Thuế điện tử") {
		t.Error("a closed organisation still has its closing form or its apps")
	}
	if resp, body := b.post("/portal/organisations", url.Values{"csrf": {tok}, "name": {"Công ty TNHH Hoà Bình"}, "tax_code": {"0312345673"}}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "đã bị đóng và không đăng ký lại được") {
		t.Errorf("registering the closed organisation again: %d, want 409 saying it was closed", resp.StatusCode)
	}
	if _, body := b.get("/portal/events"); !strings.Contains(body, "Đóng tài khoản của tổ chức") {
		t.Error("the closing is not in the representative's account activity")
	}
}

// The language and CSRF cookies are the whole site's (the provider's
// consent page is drawn in the portal's layout). A browser still holding
// the language cookie of the portal's old path, which it would send first,
// has it removed when it chooses again, so that the choice sticks.
func TestHandler_LanguageCookieOfTheOldPath(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	u, _ := url.Parse(e.srv.URL + "/portal/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: "vi", Path: "/portal/"}})
	resp, _ := b.get("/portal/?lang=en")
	var paths []string
	for _, c := range resp.Cookies() {
		if c.Name == langCookie || c.Name == csrfCookie {
			paths = append(paths, c.Name+" "+c.Path)
		}
	}
	for _, want := range []string{langCookie + " /", langCookie + " /portal/", csrfCookie + " /"} {
		if !slices.Contains(paths, want) {
			t.Errorf("cookies set %v, want %q among them", paths, want)
		}
	}
	if _, body := b.get("/portal/"); !strings.Contains(body, `<html lang="en">`) {
		t.Error("the choice of English did not stick over the old path's cookie")
	}
}

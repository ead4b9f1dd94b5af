package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/credential"
)

func TestStatusKeeper(t *testing.T) {
	tests := []struct {
		name       string
		handler    func(w http.ResponseWriter)
		wantStatus int
		wantBody   string
	}{
		{"status then body", func(w http.ResponseWriter) { w.WriteHeader(503); io.WriteString(w, "down") }, 503, "down"},
		{"body only", func(w http.ResponseWriter) { io.WriteString(w, "ok") }, 200, "ok"},
		{"status only", func(w http.ResponseWriter) { w.WriteHeader(204) }, 204, ""},
		{"first status wins", func(w http.ResponseWriter) { w.WriteHeader(403); w.WriteHeader(500); io.WriteString(w, "x") }, 403, "x"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		k := &statusKeeper{ResponseWriter: rec}
		tt.handler(k)
		if !k.sent && k.status != 0 {
			rec.WriteHeader(k.status)
		}
		if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
			t.Errorf("%s: %d %q, want %d %q", tt.name, rec.Code, rec.Body.String(), tt.wantStatus, tt.wantBody)
		}
	}
}

// TestServe_PortalSignInForOIDC checks the wiring of the citizens' portal
// with the OpenID Connect provider in a real serve --demo: a relying
// party's authorization request sends a browser without a session to the
// portal's sign-in with next; the demo citizen printed at start signs in
// there with the password and an authenticator code, comes back to the
// provider's login hand-off, and the provider sees the portal's session.
func TestServe_PortalSignInForOIDC(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	noEnv := func(string) (string, bool) { return "", false }
	var out, errOut bytes.Buffer
	if err := rpCmd(ctx, []string{"add", "--id", "vcb", "--name", "Vietcombank", "--purpose", "Mở tài khoản trực tuyến",
		"--redirect-uris", "https://vcb.example.vn/cb", "--auth", "client_secret_basic",
		"--scopes", "openid,profile,organisation", "--level", "2", "--data", dir}, &out, &errOut, noEnv); err != nil {
		t.Fatalf("rp add: %v %s", err, errOut.String())
	}
	env := map[string]string{"DANCU_ADMIN_TOKEN": "demo-admin-token-0123456789", "DANCU_DEMO_CITIZENS": "300"}
	s := startServe(t, []string{"--addr", "127.0.0.1:0", "--data", dir, "--demo"}, env)
	m := regexp.MustCompile(`PIN (\d{12}), password (\S+)\n.*secret ([A-Z2-7]+)`).FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no demo citizen in the output:\n%s", s.stdout)
	}
	pin, password, secret := m[1], m[2], m[3]

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		u := path
		if !strings.HasPrefix(u, "http") {
			u = s.base + path
		}
		req, _ := http.NewRequest(method, u, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", s.base)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	verifier := "a-fixed-code-verifier-of-enough-length-0123456789abcdef"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {"vcb"}, "redirect_uri": {"https://vcb.example.vn/cb"}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"st"}, "nonce": {"nn"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	// Follow the provider's redirects until it sends the browser elsewhere.
	loc := "/oidc/authorize?" + q.Encode()
	for range 5 {
		resp, _ := do("GET", loc, nil)
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("GET %s: %d", loc, resp.StatusCode)
		}
		loc = resp.Header.Get("Location")
		if strings.HasPrefix(loc, "/portal/signin") {
			break
		}
	}
	u, _ := url.Parse(loc)
	next := u.Query().Get("next")
	if u.Path != "/portal/signin" || !strings.HasPrefix(next, "/oidc/login?") {
		t.Fatalf("without a session the provider sent the browser to %q, want the portal's sign-in with next", loc)
	}
	_, page := do("GET", loc, nil)
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if tok == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	_, page = do("POST", "/portal/signin", url.Values{"csrf": {tok[1]}, "pin": {pin}, "password": {password}, "next": {next}})
	pending := regexp.MustCompile(`name="pending" value="([^"]+)"`).FindStringSubmatch(page)
	if pending == nil {
		t.Fatalf("no second step after the password: %.300s", page)
	}
	resp, _ := do("POST", "/portal/signin/verify", url.Values{"csrf": {tok[1]}, "pending": {pending[1]}, "method": {"totp"},
		"code": {credential.TOTPCode(secret, time.Now())}, "next": {next}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != next {
		t.Fatalf("after the second factor: %d to %q, want back to %q", resp.StatusCode, resp.Header.Get("Location"), next)
	}
	// Back at the provider, signed in at level 2: the consent page, naming
	// the relying party, not another trip to the portal.
	resp, page = do("GET", next, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Vietcombank") {
		t.Errorf("the provider's login hand-off after sign-in: %d (to %q), want the consent page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !strings.Contains(page, `class="site-header"`) || !strings.Contains(page, `href="/portal/static/portal.css"`) {
		t.Error("the consent page is not drawn in the portal's layout")
	}

	// Signing in as an organisation: the citizen registers one in the
	// portal, and the provider offers it (eid's organisations wired to it).
	resp, _ = do("POST", "/portal/organisations", url.Values{"csrf": {tok[1]}, "name": {"Công ty TNHH Thử nghiệm"}, "tax_code": {"0312345673"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register an organisation: %d", resp.StatusCode)
	}
	q.Set("scope", "openid organisation")
	resp, page = do("GET", "/oidc/authorize?"+q.Encode(), nil)
	for range 3 {
		if resp.StatusCode != http.StatusFound {
			break
		}
		resp, page = do("GET", resp.Header.Get("Location"), nil)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="organisation" value="O0312345673"`) || !strings.Contains(page, "Công ty TNHH Thử nghiệm") {
		t.Errorf("sign-in as an organisation: %d, the organisation not offered:\n%.2000s", resp.StatusCode, page)
	}
	if strings.Contains(s.stderr.String(), pin) {
		t.Error("the log holds the demo citizen's PIN")
	}
}

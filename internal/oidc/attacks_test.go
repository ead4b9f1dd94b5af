package oidc_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/dancu/dancu/internal/oidc"
)

// authURL builds an authorization request by hand, so that tests can
// break each parameter.
func authURL(e *env, q url.Values) string { return e.issuer + "/oidc/authorize?" + q.Encode() }

func goodQuery(e *env, client string) url.Values {
	return url.Values{
		"client_id": {client}, "redirect_uri": {e.rp.URL + "/cb"}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"st-1"}, "nonce": {"n-1"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier("v-0123456789012345678901234567890123456789012")}, "code_challenge_method": {"S256"},
	}
}

func TestProvider_RedirectURIExactMatch(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	e.addRP(oidc.RPInput{ID: "bank", Scopes: []string{"openid", "profile"}})
	br := e.signIn(userAn)
	tests := []struct {
		name, client, redirect string
	}{
		{"trailing slash", "bank", e.rp.URL + "/cb/"},
		{"other path", "bank", e.rp.URL + "/cb2"},
		{"extra query", "bank", e.rp.URL + "/cb?x=1"},
		{"other host", "bank", "https://evil.example/cb"},
		{"missing", "bank", ""},
		{"unknown client", "nobody", e.rp.URL + "/cb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := goodQuery(e, tc.client)
			q.Set("redirect_uri", tc.redirect)
			status, loc, body, hdr := br.get(authURL(e, q))
			if status != http.StatusBadRequest || loc != nil {
				t.Errorf("= %d, Location %v, want 400 and no redirect; body %q", status, loc, body)
			}
			if !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(body, `id="error-text"`) ||
				strings.Contains(body, "evil.example") {
				t.Errorf("error page = %s %q", hdr.Get("Content-Type"), body)
			}
		})
	}
}

func TestProvider_AuthorizationAttacks(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	e.addRP(oidc.RPInput{ID: "bank", Scopes: []string{"openid", "profile"}})
	e.addRP(oidc.RPInput{ID: "gov", Scopes: []string{"openid", "profile"}, RequiredLevel: 2})
	br := e.signIn(userMai) // level 1
	tests := []struct {
		name      string
		client    string
		edit      func(q url.Values)
		wantError string
	}{
		{"no PKCE", "bank", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request"},
		{"plain PKCE", "bank", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"PKCE method missing", "bank", func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"no openid", "bank", func(q url.Values) { q.Set("scope", "profile") }, "invalid_scope"},
		{"prompt none, consent missing", "bank", func(q url.Values) { q.Set("prompt", "none") }, "consent_required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := goodQuery(e, tc.client)
			tc.edit(q)
			status, loc, body, _ := br.get(authURL(e, q))
			if status != http.StatusFound || loc == nil || !strings.HasPrefix(loc.String(), e.rp.URL+"/cb") {
				t.Fatalf("= %d %v %s, want a redirect to the registered URI", status, loc, body)
			}
			if got := loc.Query().Get("error"); got != tc.wantError || loc.Query().Get("state") != "st-1" || loc.Query().Get("code") != "" {
				t.Errorf("redirect = %v, want error=%s with the state unchanged", loc, tc.wantError)
			}
		})
	}
	t.Run("implicit flow", func(t *testing.T) {
		q := goodQuery(e, "bank")
		q.Set("response_type", "id_token token")
		status, loc, _, _ := br.get(authURL(e, q))
		if loc != nil && (loc.Query().Get("code") != "" || loc.Query().Get("error") == "") || loc == nil && status != http.StatusBadRequest {
			t.Errorf("implicit flow = %d %v, want a refusal", status, loc)
		}
	})
	t.Run("prompt none, not signed in", func(t *testing.T) {
		q := goodQuery(e, "bank")
		q.Set("prompt", "none")
		_, loc, _, _ := e.browser().get(authURL(e, q))
		if loc == nil || loc.Query().Get("error") != "login_required" {
			t.Errorf("redirect = %v, want login_required", loc)
		}
	})
	for _, tc := range []struct {
		name, client, acr string
	}{
		{"registration requires level 2", "gov", ""},
		{"acr_values asks level 2", "bank", oidc.ACRLevel2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := goodQuery(e, tc.client)
			if tc.acr != "" {
				q.Set("acr_values", tc.acr)
			}
			status, _, body, _ := br.get(authURL(e, q))
			if status != http.StatusForbidden || !strings.Contains(body, "mức độ 2") {
				t.Fatalf("= %d, want 403 explaining level 2:\n%s", status, body)
			}
			back := reBack.FindStringSubmatch(body)
			if back == nil {
				t.Fatal("no way back to the service")
			}
			u, _ := url.Parse(html.UnescapeString(back[1]))
			if u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "st-1" || u.Query().Get("code") != "" {
				t.Errorf("back link = %v, want access_denied with the state", u)
			}
		})
	}
	t.Run("refuse", func(t *testing.T) {
		status, _, page, _ := br.get(authURL(e, goodQuery(e, "bank")))
		if status != http.StatusOK {
			t.Fatalf("consent page = %d", status)
		}
		_, loc, _, _ := br.consent(page, "refuse")
		if loc == nil || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st-1" {
			t.Errorf("refusal = %v", loc)
		}
		if _, err := e.st.OIDCConsent(context.Background(), userMai.AccountID, "bank"); err == nil {
			t.Error("a refusal was remembered as consent")
		}
	})
	t.Run("CSRF", func(t *testing.T) {
		_, _, page, _ := br.get(authURL(e, goodQuery(e, "bank")))
		id := reID.FindStringSubmatch(page)[1]
		csrf := reCSRF.FindStringSubmatch(page)[1]
		for name, b := range map[string]*browser{"wrong token": br, "other session": e.signIn(userAn), "no session": e.browser()} {
			tok := csrf
			if name == "wrong token" {
				flip := "x"
				if csrf[0] == 'x' {
					flip = "y"
				}
				tok = flip + csrf[1:]
			}
			status, loc, _, _ := b.post(e.issuer+oidc.LoginPath, url.Values{"id": {id}, "csrf": {tok}, "decision": {"agree"}})
			if status != http.StatusForbidden || loc != nil {
				t.Errorf("%s: = %d %v, want 403", name, status, loc)
			}
		}
		if _, err := e.st.OIDCConsent(context.Background(), userMai.AccountID, "bank"); err == nil {
			t.Error("a forged form recorded consent")
		}
	})
	t.Run("unknown request id", func(t *testing.T) {
		status, _, body, _ := br.get(e.issuer + oidc.LoginPath + "?id=nope")
		if status != http.StatusBadRequest || !strings.Contains(body, "hết hạn") {
			t.Errorf("= %d %s", status, body)
		}
	})
}

func TestProvider_TokenAttacks(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	rp, secret := e.addRP(oidc.RPInput{ID: "bank", Scopes: []string{"openid", "profile", "national_id"}})
	rp2, secret2 := e.addRP(oidc.RPInput{ID: "shop", Scopes: []string{"openid", "profile"}})
	c := e.client(rp, secret, "openid", "profile", "phone")
	c2 := e.client(rp2, secret2, "openid")
	br := e.signIn(userAn)

	v := oauth2.GenerateVerifier()
	code := c.login(br, "s", "n", v)
	if _, err := c.exchange(code, oauth2.GenerateVerifier()); !isOAuthError(err, "invalid_grant") {
		t.Errorf("wrong verifier: %v, want invalid_grant", err)
	}
	// The failed attempt used the code up.
	if _, err := c.exchange(code, v); !isOAuthError(err, "invalid_grant") {
		t.Errorf("code after a failed attempt: %v, want invalid_grant", err)
	}

	v = oauth2.GenerateVerifier()
	code = c.login(br, "s", "n", v)
	tok, err := c.exchange(code, v)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.userinfo(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info["phone_number"]; ok {
		t.Error("a scope outside the registration was released")
	}
	if _, ok := info["pin"]; ok {
		t.Error("the PIN was released without the national_id scope being asked")
	}
	if _, err := c.exchange(code, v); !isOAuthError(err, "invalid_grant") {
		t.Errorf("reused code: %v, want invalid_grant", err)
	}
	if _, err := c.userinfo(tok); err == nil {
		t.Error("tokens from a reused code were not revoked")
	}

	// A code is bound to its client.
	v = oauth2.GenerateVerifier()
	code = c.login(br, "s", "n", v)
	c2.conf.RedirectURL = c.conf.RedirectURL
	if _, err := c2.exchange(code, v); err == nil {
		t.Error("another client exchanged the code")
	}

	// A wrong secret is invalid_client.
	bad := *c
	bad.conf.ClientSecret = "wrong"
	v = oauth2.GenerateVerifier()
	if _, err := bad.exchange(c.login(br, "s", "n", v), v); !isOAuthError(err, "invalid_client") && !isOAuthError(err, "unauthorized_client") {
		t.Errorf("wrong secret: %v", err)
	}

	// Garbage tokens at userinfo.
	for _, tokValue := range []string{"", "garbage", strings.Repeat("A", 5000)} {
		req, _ := http.NewRequest("GET", e.issuer+"/oidc/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+tokValue)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("userinfo with %.10q = %d", tokValue, resp.StatusCode)
		}
	}

	// Introspection: a client sees its own tokens, not another's.
	v = oauth2.GenerateVerifier()
	tok, err = c.exchange(c.login(br, "s", "n", v), v)
	if err != nil {
		t.Fatal(err)
	}
	introspect := func(id, secret string) map[string]any {
		req, _ := http.NewRequest("POST", e.issuer+"/oidc/introspect", strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	if m := introspect("bank", secret); m["active"] != true || m["client_id"] != "bank" || m["acr"] != oidc.ACRLevel2 {
		t.Errorf("own introspection = %v", m)
	}
	if m := introspect("shop", secret2); m["active"] == true {
		t.Errorf("another client's introspection = %v", m)
	}

	// Disabling the party revokes its tokens and closes its logins.
	if _, err := e.p.SetRPStatus(context.Background(), "bank", oidc.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if _, err := c.userinfo(tok); err == nil {
		t.Error("a disabled party's token still works")
	}
	status, loc, _, _ := br.get(authURL(e, goodQuery(e, "bank")))
	if status != http.StatusBadRequest || loc != nil {
		t.Errorf("disabled party's authorize = %d %v, want 400 without redirect", status, loc)
	}
}

package oidc_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/store"
)

// rpClient is a relying party using the standard client libraries.
type rpClient struct {
	e        *env
	provider *gooidc.Provider
	conf     oauth2.Config
	verifier *gooidc.IDTokenVerifier
	rp       *oidc.RP
}

func (e *env) addRP(in oidc.RPInput) (*oidc.RP, string) {
	e.t.Helper()
	if in.Name == "" {
		in.Name = "Ngân hàng Thử nghiệm"
	}
	if in.Purpose == "" {
		in.Purpose = "Mở tài khoản thanh toán trực tuyến (eKYC)"
	}
	if in.RedirectURIs == nil {
		in.RedirectURIs = []string{e.rp.URL + "/cb"}
	}
	if in.PostLogoutRedirectURIs == nil {
		in.PostLogoutRedirectURIs = []string{e.rp.URL + "/bye"}
	}
	if in.AuthMethod == "" {
		in.AuthMethod = oidc.AuthClientSecretBasic
	}
	rp, secret, err := e.p.AddRP(context.Background(), in)
	if err != nil {
		e.t.Fatalf("AddRP: %v", err)
	}
	return rp, secret
}

func (e *env) client(rp *oidc.RP, secret string, scopes ...string) *rpClient {
	e.t.Helper()
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, e.issuer)
	if err != nil {
		e.t.Fatalf("discovery: %v", err)
	}
	ep := provider.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	if secret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return &rpClient{e: e, provider: provider, rp: rp,
		conf: oauth2.Config{ClientID: rp.ID, ClientSecret: secret, Endpoint: ep,
			RedirectURL: rp.RedirectURIs[0], Scopes: scopes},
		verifier: provider.Verifier(&gooidc.Config{ClientID: rp.ID})}
}

// authorize starts a login and returns the browser's final response.
func (c *rpClient) authorize(b *browser, state, nonce, verifier string, extra ...oauth2.AuthCodeOption) (int, *url.URL, string, http.Header) {
	opts := append([]oauth2.AuthCodeOption{gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}, extra...)
	return b.get(c.conf.AuthCodeURL(state, opts...))
}

// login runs the authorization with consent (if asked) and returns the code.
func (c *rpClient) login(b *browser, state, nonce, verifier string) string {
	t := c.e.t
	t.Helper()
	status, loc, body, _ := c.authorize(b, state, nonce, verifier)
	if status == http.StatusOK {
		status, loc, body, _ = b.consent(body, "agree")
	}
	if status != http.StatusFound || loc == nil || !strings.HasPrefix(loc.String(), c.conf.RedirectURL) {
		t.Fatalf("authorization ended with %d %v:\n%s", status, loc, body)
	}
	if got := loc.Query().Get("state"); got != state {
		t.Fatalf("state = %q, want %q unchanged", got, state)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code in %v", loc)
	}
	return code
}

func (c *rpClient) exchange(code, verifier string, extra ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	return c.conf.Exchange(context.Background(), code, append([]oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, extra...)...)
}

func (c *rpClient) userinfo(tok *oauth2.Token) (map[string]any, error) {
	ui, err := c.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := ui.Claims(&m); err != nil {
		return nil, err
	}
	return m, nil
}

var bankScopes = []string{"openid", "profile", "birthdate", "gender", "address", "phone", "national_id", "household", "offline_access"}

func TestProvider_CompleteFlow(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testCompleteFlow(t, b.open(t))
		})
	}
}

func testCompleteFlow(t *testing.T, st store.Store) {
	e := newEnv(t, st)
	rp, secret := e.addRP(oidc.RPInput{ID: "bank", Scopes: bankScopes})
	c := e.client(rp, secret, "openid", "profile", "birthdate", "address", "national_id", "household", "offline_access")
	ctx := context.Background()

	// Discovery says what the provider does.
	var meta struct {
		CodeChallenge []string `json:"code_challenge_methods_supported"`
		ACR           []string `json:"acr_values_supported"`
		Subjects      []string `json:"subject_types_supported"`
		AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := c.provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(meta.CodeChallenge, []string{"S256"}) || !slices.Contains(meta.ACR, oidc.ACRLevel2) ||
		!slices.Contains(meta.Subjects, "pairwise") || slices.Contains(meta.AuthMethods, "none") {
		t.Errorf("discovery = %+v", meta)
	}

	// An unsigned-in browser is sent to the portal, and back here after.
	anon := e.browser()
	status, loc, _, _ := c.authorize(anon, "s0", "n0", oauth2.GenerateVerifier())
	if status != http.StatusFound || loc.Path != "/portal/signin" || !strings.HasPrefix(loc.Query().Get("next"), oidc.LoginPath+"?id=") {
		t.Fatalf("anonymous authorize = %d %v, want the portal's sign-in with next", status, loc)
	}

	br := e.signIn(userAn)
	state, nonce, verifier := "st-"+rand.Text(), "n-"+rand.Text(), oauth2.GenerateVerifier()
	status, _, page, hdr := c.authorize(br, state, nonce, verifier)
	if status != http.StatusOK || !strings.Contains(page, "Ngân hàng Thử nghiệm") || !strings.Contains(page, "eKYC") {
		t.Fatalf("consent page = %d:\n%s", status, page)
	}
	for _, want := range []string{"Số định danh cá nhân", "Ngày, tháng, năm sinh", "Nơi thường trú"} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page does not list %q", want)
		}
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "style=") {
		t.Error("the consent page has inline script or style")
	}
	status, loc, body, _ := br.consent(page, "agree")
	if status != http.StatusFound || loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		t.Fatalf("after consent = %d %v %s", status, loc, body)
	}
	code := loc.Query().Get("code")

	tok, err := c.exchange(code, verifier)
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token with offline_access")
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := c.verifier.Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var idc map[string]any
	idt.Claims(&idc)
	if idt.Nonce != nonce || idc["acr"] != oidc.ACRLevel2 || idt.Subject == "" || strings.Contains(idt.Subject, personAn.PIN) {
		t.Errorf("ID token claims = %v", idc)
	}
	if _, ok := idc["name"]; ok {
		t.Error("the ID token carries attributes; they belong at userinfo")
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if amr, _ := idc["amr"].([]any); len(amr) != 2 {
		t.Errorf("amr = %v", idc["amr"])
	}

	e.rec.Take()
	info, err := c.userinfo(tok)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info["sub"] != idt.Subject || info["name"] != personAn.FullName || info["birthdate"] != "1990-05-17" ||
		info["pin"] != personAn.PIN || info["family_name"] != "Nguyễn" || info["given_name"] != "An" {
		t.Errorf("userinfo = %v", info)
	}
	if _, ok := info["phone_number"]; ok {
		t.Error("phone released though not asked")
	}
	if hh, _ := info["household"].(map[string]any); hh["id"] != "HH-1" {
		t.Errorf("household = %v", info["household"])
	}
	acc := e.rec.Take()
	if len(acc) != 1 || acc[0].PIN != personAn.PIN || acc[0].Actor != "bank" || acc[0].Action != "release" ||
		!slices.Contains(acc[0].Fields, "pin") || !slices.Contains(acc[0].Fields, "birth_date") {
		t.Errorf("access log = %+v", acc)
	}

	// The second login with the remembered consent skips the page.
	v2 := oauth2.GenerateVerifier()
	status, loc, _, _ = c.authorize(br, "s2", "n2", v2)
	if status != http.StatusFound || loc.Query().Get("code") == "" || loc.Query().Get("state") != "s2" {
		t.Fatalf("remembered consent: %d %v", status, loc)
	}
	tok2, err := c.exchange(loc.Query().Get("code"), v2)
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := c.verifier.Verify(ctx, tok2.Extra("id_token").(string))
	if id2.Subject != idt.Subject {
		t.Error("the subject changed between logins")
	}

	// Refresh rotates: the new pair works, the old refresh token is refused
	// and its replay revokes the grant.
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	fresh, err := c.conf.TokenSource(ctx, &old).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatal("refresh did not rotate")
	}
	if raw, _ := fresh.Extra("id_token").(string); raw != "" {
		if _, err := c.verifier.Verify(ctx, raw); err != nil {
			t.Errorf("refreshed ID token: %v", err)
		}
	}
	if _, err := c.userinfo(fresh); err != nil {
		t.Fatalf("userinfo with refreshed token: %v", err)
	}
	replay := old
	if _, err := c.conf.TokenSource(ctx, &replay).Token(); !isOAuthError(err, "invalid_grant") {
		t.Errorf("replayed refresh token: %v, want invalid_grant", err)
	}
	if _, err := c.userinfo(fresh); err == nil {
		t.Error("the grant survived a refresh-token replay")
	}
	if _, err := c.userinfo(tok2); err != nil {
		t.Errorf("another grant was revoked too: %v", err)
	}

	// RP-initiated logout ends the login the ID token names, and the
	// browser's portal session when the hint names its citizen. A bare
	// link to the endpoint, or another person's hint, leaves it.
	var disc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	c.provider.Claims(&disc)
	signedIn := func() bool {
		status, loc, _, _ := c.authorize(br, "s-check", "n", oauth2.GenerateVerifier())
		return !(status == http.StatusFound && loc != nil && loc.Path == "/portal/signin")
	}
	status, _, body, _ = br.get(disc.EndSession)
	if status != http.StatusOK || !strings.Contains(body, "vẫn còn") && !strings.Contains(body, "remains") || !signedIn() {
		t.Fatalf("logout without a hint = %d, signed in %v; want the logged-out page saying the portal session remains:\n%s", status, signedIn(), body)
	}
	maiBrowser := e.signIn(userMai)
	mc := e.client(rp, secret, "openid")
	vm := oauth2.GenerateVerifier()
	maiTok, err := mc.exchange(mc.login(maiBrowser, "sm", "nm", vm), vm)
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"id_token_hint": {maiTok.Extra("id_token").(string)}}
	if status, _, _, _ = br.get(disc.EndSession + "?" + q.Encode()); status != http.StatusOK || !signedIn() {
		t.Fatalf("logout with another person's hint = %d, signed in %v; want An's portal session kept", status, signedIn())
	}
	q = url.Values{"id_token_hint": {tok2.Extra("id_token").(string)}, "post_logout_redirect_uri": {e.rp.URL + "/bye"}, "state": {"bye-1"}}
	status, loc, body, hd := br.get(disc.EndSession + "?" + q.Encode())
	if status != http.StatusFound || !strings.HasPrefix(loc.String(), e.rp.URL+"/bye") || loc.Query().Get("state") != "bye-1" {
		t.Fatalf("logout = %d %v %s", status, loc, body)
	}
	if _, err := c.userinfo(tok2); err == nil {
		t.Error("tokens outlived the logout")
	}
	if !strings.Contains(hd.Get("Set-Cookie"), sessionCookie+"=;") {
		t.Errorf("logout did not clear the session cookie: Set-Cookie %q", hd.Get("Set-Cookie"))
	}
	if signedIn() {
		t.Error("the portal session outlived the logout: the next login did not ask to sign in")
	}
	// The logged-out page says what ended.
	if _, _, body, _ = br.get(e.issuer + oidc.LoggedOutPath); !strings.Contains(body, "và khỏi cổng công dân") && !strings.Contains(body, "and of the citizens") {
		t.Errorf("logged-out page: %s", body)
	}
	br = e.signIn(userAn)

	// Connected apps: listed, and revoking kills the refresh tokens.
	apps, err := e.p.ConnectedApps(ctx, userAn.AccountID)
	if err != nil || len(apps) != 1 || apps[0].ClientID != "bank" || apps[0].Name != rp.Name {
		t.Fatalf("ConnectedApps = %+v, %v", apps, err)
	}
	v3 := oauth2.GenerateVerifier()
	tok3, err := c.exchange(c.login(br, "s3", "n3", v3), v3)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.p.RevokeApp(ctx, userAn.AccountID, "bank"); err != nil {
		t.Fatal(err)
	}
	exp3 := *tok3
	exp3.Expiry = time.Now().Add(-time.Minute)
	if _, err := c.conf.TokenSource(ctx, &exp3).Token(); !isOAuthError(err, "invalid_grant") {
		t.Errorf("refresh after revoking consent: %v, want invalid_grant", err)
	}
	if err := e.p.RevokeApp(ctx, userAn.AccountID, "bank"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
	// And the next login asks again.
	status, _, _, _ = c.authorize(br, "s4", "n4", oauth2.GenerateVerifier())
	if status != http.StatusOK {
		t.Errorf("after revoking, authorize = %d, want the consent page", status)
	}
}

func isOAuthError(err error, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code
}

func TestProvider_PrivateKeyJWT(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	key := ecKey(t, "k1")
	pub, _ := key.Public().MarshalJSON()
	rp, secret := e.addRP(oidc.RPInput{ID: "hospital", AuthMethod: oidc.AuthPrivateKeyJWT,
		JWKS: []byte(`{"keys":[` + string(pub) + `]}`), Scopes: []string{"openid", "profile", "gender"}})
	if secret != "" {
		t.Fatal("a private_key_jwt client got a secret")
	}
	c := e.client(rp, "", "openid", "profile", "gender")
	br := e.signIn(userMai)
	assert := func() string {
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
			(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), "k1"))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		s, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: "hospital", Subject: "hospital", Audience: jwt.Audience{e.issuer},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)), ID: rand.Text()}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	withAssertion := func(a string) []oauth2.AuthCodeOption {
		return []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
			oauth2.SetAuthURLParam("client_assertion", a)}
	}
	v := oauth2.GenerateVerifier()
	code := c.login(br, "s", "n", v)
	a := assert()
	tok, err := c.exchange(code, v, withAssertion(a)...)
	if err != nil {
		t.Fatalf("exchange with private_key_jwt: %v", err)
	}
	idt, err := c.verifier.Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var idc map[string]any
	idt.Claims(&idc)
	if idc["acr"] != oidc.ACRLevel1 {
		t.Errorf("acr = %v, want level 1", idc["acr"])
	}
	info, err := c.userinfo(tok)
	if err != nil || info["gender"] != "female" || info["name"] != personMai.FullName {
		t.Errorf("userinfo = %v, %v", info, err)
	}
	// The same assertion again is a replay.
	v2 := oauth2.GenerateVerifier()
	code2 := c.login(br, "s2", "n2", v2)
	if _, err := c.exchange(code2, v2, withAssertion(a)...); !isOAuthError(err, "invalid_client") {
		t.Errorf("replayed assertion: %v, want invalid_client", err)
	}
	// Without any authentication the exchange fails.
	v3 := oauth2.GenerateVerifier()
	code3 := c.login(br, "s3", "n3", v3)
	if _, err := c.exchange(code3, v3); err == nil {
		t.Error("unauthenticated exchange for a private_key_jwt client succeeded")
	}
	// Pairwise: two parties see two different subjects for one citizen.
	rp2, secret2 := e.addRP(oidc.RPInput{ID: "bank2", Scopes: []string{"openid"}, Sector: "bank2.example.vn"})
	c2 := e.client(rp2, secret2, "openid")
	v4 := oauth2.GenerateVerifier()
	tok4, err := c2.exchange(c2.login(br, "x", "y", v4), v4)
	if err != nil {
		t.Fatal(err)
	}
	id4, _ := c2.verifier.Verify(context.Background(), tok4.Extra("id_token").(string))
	if id4.Subject == idt.Subject {
		t.Error("two sectors got the same subject")
	}
	e.rec.Take()
	if info, err := c2.userinfo(tok4); err != nil || len(info) != 1 {
		t.Errorf("openid-only userinfo = %v, %v; want only sub", info, err)
	}
	if got := e.rec.Take(); len(got) != 0 {
		t.Errorf("a release of nothing was logged: %+v", got)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// prompt=login, and max_age older than the portal's sign-in, send the
// citizen to sign in again (prompt=none gets login_required instead); a
// sign-in made after the request satisfies them, and the ID token's
// auth_time is that sign-in's.
func TestProvider_PromptLoginAndMaxAge(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	rp, secret := e.addRP(oidc.RPInput{ID: "bank", Scopes: []string{"openid", "profile"}})
	c := e.client(rp, secret, "openid", "profile")
	br := e.signIn(userAn) // signed in a minute ago
	v := oauth2.GenerateVerifier()
	if _, err := c.exchange(c.login(br, "s0", "n0", v), v); err != nil { // consent remembered
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		extra []oauth2.AuthCodeOption
	}{
		{"prompt=login", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login")}},
		{"max_age=30", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("max_age", "30")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := e.signIn(userAn)
			v := oauth2.GenerateVerifier()
			status, loc, body, _ := c.authorize(br, "st", "nn", v, tc.extra...)
			if status != http.StatusFound || loc == nil || loc.Path != "/portal/signin" || loc.Query().Get("prompt") != "login" {
				t.Fatalf("= %d %v, want the portal's sign-in with prompt=login:\n%s", status, loc, body)
			}
			next := loc.Query().Get("next")
			if !strings.HasPrefix(next, oidc.LoginPath+"?id=") {
				t.Fatalf("next = %q", next)
			}
			// The citizen signs in again; the portal sends them on.
			before := time.Now().Add(-time.Second)
			fresh := userAn
			fresh.AuthTime = time.Now()
			br = e.signIn(fresh)
			status, loc, body, _ = br.get(e.issuer + next)
			if status != http.StatusFound || loc == nil || loc.Query().Get("code") == "" {
				t.Fatalf("after signing in again = %d %v\n%s", status, loc, body)
			}
			tok, err := c.exchange(loc.Query().Get("code"), v)
			if err != nil {
				t.Fatal(err)
			}
			idt, err := c.verifier.Verify(context.Background(), tok.Extra("id_token").(string))
			if err != nil {
				t.Fatal(err)
			}
			var claims struct {
				AuthTime int64 `json:"auth_time"`
			}
			idt.Claims(&claims)
			if claims.AuthTime < before.Unix() {
				t.Errorf("auth_time = %d, want the fresh sign-in's (≥ %d)", claims.AuthTime, before.Unix())
			}
		})
	}
	t.Run("max_age satisfied", func(t *testing.T) {
		status, loc, _, _ := c.authorize(e.signIn(userAn), "st", "nn", oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("max_age", "3600"))
		if status != http.StatusFound || loc == nil || loc.Query().Get("code") == "" {
			t.Errorf("= %d %v, want a code at once", status, loc)
		}
	})
	t.Run("prompt=none, sign-in too old", func(t *testing.T) {
		_, loc, _, _ := c.authorize(e.signIn(userAn), "st", "nn", oauth2.GenerateVerifier(),
			oauth2.SetAuthURLParam("prompt", "none"), oauth2.SetAuthURLParam("max_age", "30"))
		if loc == nil || loc.Query().Get("error") != "login_required" || loc.Query().Get("state") != "st" {
			t.Errorf("redirect = %v, want login_required", loc)
		}
	})
}

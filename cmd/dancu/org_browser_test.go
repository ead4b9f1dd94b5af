package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dancu/dancu/internal/browsertest"
	"github.com/dancu/dancu/internal/credential"
)

// TestBrowser_signInAsOrganisation runs serve --demo and a relying party
// that uses a standard client library (go-oidc, x/oauth2), and drives
// Chromium through the real flow: the demo citizen (level 2) signs in with
// a password and an authenticator code and agrees for themself, registers
// an organisation in the portal, then signs in as it: picks it on the
// consent page and agrees. The relying party's ID token and userinfo have
// the organisation's pairwise subject, the representative's own subject as
// act.sub, the organisation's name and tax code, and level 2. The
// representative then closes the organisation's account in the portal:
// the organisation's access token stops working at once (the citizen's own
// does not), and signing in as the organisation is refused with a page
// saying why.
func TestBrowser_signInAsOrganisation(t *testing.T) {
	browsertest.Require(t)
	ctx := context.Background()
	data := t.TempDir()

	var mu sync.Mutex
	callbacks := map[string]url.Values{} // by state
	rpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cb" {
			mu.Lock()
			callbacks[r.URL.Query().Get("state")] = r.URL.Query()
			mu.Unlock()
		}
		io.WriteString(w, "<!doctype html><title>RP</title><p id=rp-done>RP received the answer</p>")
	}))
	defer rpSrv.Close()
	var out bytes.Buffer
	if code := Main(ctx, []string{"rp", "add", "--id", "bank", "--name", "Ngân hàng Thử nghiệm", "--purpose", "Mở tài khoản doanh nghiệp",
		"--redirect-uris", rpSrv.URL + "/cb", "--auth", "client_secret_basic", "--scopes", "openid,profile,organisation",
		"--level", "2", "--data", data}, &out, &out); code != 0 {
		t.Fatalf("rp add: %d %s", code, out.String())
	}
	sec := regexp.MustCompile(`client secret[^\n]*\n\s+(\S+)`).FindStringSubmatch(out.String())
	if sec == nil {
		t.Fatalf("no client secret in:\n%s", out.String())
	}

	// The issuer is the server's own URL, so the port is chosen first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := startServe(t, []string{"--addr", addr, "--data", data, "--demo", "--demo-citizens", "300"},
		map[string]string{"DANCU_ADMIN_TOKEN": "test-admin-token-0123456789"})
	defer s.stop()
	m, sm := demoSignIn.FindStringSubmatch(s.stdout.String()), demoSecret.FindStringSubmatch(s.stdout.String())
	if m == nil || sm == nil {
		t.Fatalf("no demo citizen in the output:\n%s", s.stdout)
	}
	pin, password, totpSecret := m[1], m[2], sm[1]

	provider, err := gooidc.NewProvider(ctx, s.base)
	if err != nil {
		t.Fatal(err)
	}
	ep := provider.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	conf := func(scopes ...string) *oauth2.Config {
		return &oauth2.Config{ClientID: "bank", ClientSecret: sec[1], Endpoint: ep, RedirectURL: rpSrv.URL + "/cb", Scopes: scopes}
	}
	verifier := oauth2.GenerateVerifier()
	// exchange redeems the code the browser brought back with state, and
	// checks the ID token's signature, audience and nonce.
	exchange := func(c *oauth2.Config, state string) (*oauth2.Token, *gooidc.IDToken) {
		t.Helper()
		mu.Lock()
		q := callbacks[state]
		mu.Unlock()
		if q.Get("code") == "" {
			t.Fatalf("the relying party got no code for %s: %v", state, q)
		}
		tok, err := c.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("token for %s: %v", state, err)
		}
		idt, err := provider.Verifier(&gooidc.Config{ClientID: "bank"}).Verify(ctx, tok.Extra("id_token").(string))
		if err != nil {
			t.Fatalf("ID token for %s: %v", state, err)
		}
		if idt.Nonce != state+"-nonce" {
			t.Errorf("ID token for %s: nonce %q", state, idt.Nonce)
		}
		return tok, idt
	}

	bctx := browsertest.New(t, ctx, browsertest.Options{})
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, what, steps...)
	}

	// 1. The representative signs in for themself: their own subject.
	personal := conf("openid", "profile")
	step("sign in at the relying party's request",
		chromedp.Navigate(personal.AuthCodeURL("own", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("own-nonce"))),
		chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.SendKeys(chromedp.ID("pin"), pin),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("signin-form")),
		chromedp.WaitVisible(chromedp.ID("totp")),
	)
	step("second factor, then agree for themself",
		chromedp.SendKeys(chromedp.ID("totp"), credential.TOTPCode(totpSecret, time.Now())),
		chromedp.Submit(chromedp.ID("totp-form")),
		chromedp.WaitVisible(chromedp.ID("consent")),
		chromedp.Click(chromedp.ID("agree")),
		chromedp.WaitVisible(chromedp.ID("rp-done")),
	)
	ownTok, ownID := exchange(personal, "own")
	var ownClaims struct {
		ACR string         `json:"acr"`
		Act map[string]any `json:"act"`
	}
	ownID.Claims(&ownClaims)
	if ownID.Subject == "" || ownID.Subject == pin || ownClaims.ACR != "urn:dancu:loa:2" || ownClaims.Act != nil {
		t.Fatalf("the representative's own ID token: sub %q, acr %q, act %v", ownID.Subject, ownClaims.ACR, ownClaims.Act)
	}

	// 2. They register an organisation in the portal.
	step("register an organisation",
		chromedp.Navigate(s.base+"/portal/organisations"),
		chromedp.WaitVisible(chromedp.ID("org-form")),
		chromedp.SendKeys(chromedp.CSS("#org-form #name"), "Công ty TNHH Thử nghiệm Sông Đà"),
		chromedp.SendKeys(chromedp.CSS("#org-form #tax_code"), "0312345673"),
		chromedp.Submit(chromedp.ID("org-form")),
		chromedp.WaitVisible(chromedp.ID("org-O0312345673")),
	)

	// 3. They sign in as the organisation: already signed in, the consent
	// page offers it.
	asOrg := conf("openid", "organisation")
	step("sign in as the organisation: choose it and agree",
		chromedp.Navigate(asOrg.AuthCodeURL("org", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("org-nonce"))),
		chromedp.WaitVisible(chromedp.ID("org-O0312345673")),
		chromedp.Click(chromedp.ID("org-O0312345673")),
		chromedp.Click(chromedp.ID("agree")),
		chromedp.WaitVisible(chromedp.ID("rp-done")),
	)
	orgTok, orgID := exchange(asOrg, "org")
	type orgClaims struct {
		Sub          string            `json:"sub"`
		ACR          string            `json:"acr"`
		Act          map[string]string `json:"act"`
		Organisation map[string]string `json:"organisation"`
	}
	var idc orgClaims
	if err := orgID.Claims(&idc); err != nil {
		t.Fatal(err)
	}
	if idc.Sub == "" || idc.Sub == ownID.Subject || idc.Sub == "O0312345673" || idc.Sub == "0312345673" {
		t.Errorf("the organisation's subject %q: want a pairwise id, not the representative's %q or the tax code", idc.Sub, ownID.Subject)
	}
	if idc.Act["sub"] != ownID.Subject {
		t.Errorf("act.sub = %q, want the representative's own subject %q", idc.Act["sub"], ownID.Subject)
	}
	if idc.ACR != "urn:dancu:loa:2" {
		t.Errorf("acr = %q, want level 2", idc.ACR)
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(orgTok))
	if err != nil {
		t.Fatal(err)
	}
	var uic orgClaims
	ui.Claims(&uic)
	if uic.Sub != idc.Sub || uic.Organisation["tax_code"] != "0312345673" || uic.Organisation["name"] != "Công ty TNHH Thử nghiệm Sông Đà" ||
		uic.Act["sub"] != ownID.Subject {
		t.Errorf("userinfo as the organisation = %+v, want sub %q, the organisation and act.sub %q", uic, idc.Sub, ownID.Subject)
	}

	// 4. The representative closes the organisation's account.
	step("close the organisation's account",
		chromedp.Navigate(s.base+"/portal/organisations"),
		chromedp.WaitVisible(chromedp.ID("close-O0312345673")),
		chromedp.Click(chromedp.CSS(`tr.org-close summary`)),
		chromedp.SendKeys(chromedp.ID("reason-O0312345673"), "Giải thể"),
		chromedp.SendKeys(chromedp.ID("confirm-O0312345673"), "0312345673"),
		chromedp.Submit(chromedp.ID("close-O0312345673")),
		chromedp.WaitVisible(chromedp.CSS("tr.org-closed")),
	)
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(orgTok)); err == nil {
		t.Error("the closed organisation's access token still works at userinfo")
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(ownTok)); err != nil {
		t.Errorf("closing the organisation revoked the representative's own token: %v", err)
	}
	step("sign in as the closed organisation: refused",
		chromedp.Navigate(asOrg.AuthCodeURL("again", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("again-nonce"))),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	if h1 := browsertest.Text(t, bctx, chromedp.CSS("main h1")); h1 != "Bạn không đại diện tổ chức nào" {
		t.Errorf("signing in as the closed organisation shows %q", h1)
	}
	mu.Lock()
	_, answered := callbacks["again"]
	mu.Unlock()
	if answered {
		t.Error("the relying party got an answer for the closed organisation without the citizen's click")
	}
	if strings.Contains(s.stderr.String(), pin) {
		t.Error("the log holds the demo citizen's PIN")
	}
}

package oidc_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/browsertest"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/portal"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// portalSessions adapts the portal's sessions, as cmd/dancu does.
type portalSessions struct{ e *eid.Service }

func (s portalSessions) Current(r *http.Request) (oidc.User, bool) {
	c, ok := s.e.Current(r)
	if !ok {
		return oidc.User{}, false
	}
	return oidc.User{AccountID: c.AccountID, PIN: c.PIN, Level: c.Level, SessionID: c.SessionID, AuthTime: c.AuthTime, AMR: c.AMR}, true
}

// SignOut ends the portal session at the citizen's RP-initiated logout.
func (s portalSessions) SignOut(w http.ResponseWriter, r *http.Request, u oidc.User) error {
	if err := s.e.SignOut(r.Context(), eid.Citizen{AccountID: u.AccountID, SessionID: u.SessionID}); err != nil {
		return err
	}
	s.e.ClearCookie(w, r)
	return nil
}

// TestBrowser_SignInAndConsent drives headless Chromium, without
// JavaScript, through a relying party's login: the portal's sign-in with
// password and authenticator code, the consent page, agreement; then the
// relying party exchanges the code with the standard client libraries.
func TestBrowser_SignInAndConsent(t *testing.T) {
	browsertest.Require(t)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	putPeople(t, st)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	accessLog, err := audit.Open(ctx, st, audit.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer accessLog.Close()
	reg := registry.New(st)
	citizens := eid.New(eid.Deps{Store: st, Nonces: st, People: reg, Recorder: accessLog, Logger: logger},
		eid.Config{Params: credential.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}})
	const password = "a long test password 2026"
	acct, err := citizens.Provision(ctx, personAn.PIN, password, eid.Level2, "test")
	if err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	citizenPortal := portal.New(portal.Deps{EID: citizens, People: reg, Tracker: accessLog, Logger: logger})
	p, err := oidc.New(ctx, oidc.Deps{Store: st, Registry: reg, Datasets: st, Sessions: portalSessions{citizens},
		Layout: citizenPortal, Recorder: accessLog, Logger: logger}, oidc.Options{Issuer: issuer})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := auth.Setup(ctx, st, "test-admin-token-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Deps{Registry: reg, Store: st, Auth: a, Logger: logger, Recorder: accessLog})
	p.Mount(srv.Mux())
	citizenPortal.Mount(srv.Mux())
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	defer ts.Close()

	var mu sync.Mutex
	var callback string
	rpSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cb" {
			mu.Lock()
			callback = r.URL.RawQuery
			mu.Unlock()
		}
		io.WriteString(w, "<!doctype html><title>RP</title><p id=rp-done>RP received the answer</p>")
	}))
	defer rpSrv.Close()
	rp, secret, err := p.AddRP(ctx, oidc.RPInput{ID: "bank", Name: "Ngân hàng Thử nghiệm", Purpose: "Mở tài khoản trực tuyến",
		RedirectURIs: []string{rpSrv.URL + "/cb"}, AuthMethod: oidc.AuthClientSecretBasic,
		Scopes: []string{"openid", "profile", "birthdate", "national_id"}, RequiredLevel: 2})
	if err != nil {
		t.Fatal(err)
	}
	provider, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	ep := provider.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	conf := oauth2.Config{ClientID: rp.ID, ClientSecret: secret, Endpoint: ep, RedirectURL: rp.RedirectURIs[0],
		Scopes: []string{"openid", "profile", "birthdate", "national_id"}}
	verifier := oauth2.GenerateVerifier()
	start := conf.AuthCodeURL("browser-state", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("browser-nonce"))

	cctx := browsertest.New(t, ctx, browsertest.Options{})

	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, cctx, what, steps...)
	}
	text := func(id string) string {
		t.Helper()
		return browsertest.Text(t, cctx, chromedp.ID(id))
	}
	step("sign in to the portal",
		chromedp.Navigate(start),
		chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.SendKeys(chromedp.ID("pin"), personAn.PIN),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("signin-form")),
		chromedp.WaitVisible(chromedp.ID("totp")),
	)
	// The code is computed once its page is there, so that it is fresh.
	step("second factor",
		chromedp.SendKeys(chromedp.ID("totp"), credential.TOTPCode(acct.TOTPSecret, time.Now())),
		chromedp.Submit(chromedp.ID("totp-form")),
		chromedp.WaitVisible(chromedp.ID("consent")),
	)
	// The consent page is drawn in the portal's layout: its header with the
	// session, its stylesheet applied (the Content-Security-Policy lets it
	// load), and its language switch, which shows the same request in
	// English.
	type layoutSeen struct {
		Header, Signout, Stylesheet bool
		HeaderBackground, H1        string
	}
	layout, err := chromedp.Run(cctx, chromedp.Evaluate[layoutSeen](`({
		Header: !!document.querySelector("header.site-header"),
		Signout: !!document.querySelector("header #signout"),
		Stylesheet: !!document.querySelector('link[rel=stylesheet][href="/portal/static/portal.css"]'),
		HeaderBackground: getComputedStyle(document.querySelector("header.site-header")).backgroundColor,
		H1: document.querySelector("main h1").textContent,
	})`))
	if err != nil {
		t.Fatalf("browser: read the consent page's layout: %v", err)
	}
	if !layout.Header || !layout.Signout || !layout.Stylesheet || layout.H1 != "Chia sẻ thông tin" ||
		layout.HeaderBackground == "" || layout.HeaderBackground == "rgba(0, 0, 0, 0)" {
		t.Errorf("the consent page is not in the portal's layout: %+v", layout)
	}
	step("switch to English",
		chromedp.Click(chromedp.CSS(`nav.lang a[href*="lang=en"]`)),
		chromedp.WaitVisible(chromedp.ID("consent")),
	)
	if h1 := browsertest.Text(t, cctx, chromedp.CSS("main h1")); h1 != "Share your information" {
		t.Errorf("after the language switch the consent page is titled %q", h1)
	}
	title, purpose, attrs := text("rp-name"), text("rp-purpose"), text("attributes")
	if !strings.Contains(attrs, "personal identification number") {
		t.Errorf("the English consent page lists %q", attrs)
	}
	step("agree",
		chromedp.Click(chromedp.ID("agree")),
		chromedp.WaitVisible(chromedp.ID("rp-done")),
	)
	if title != rp.Name || !strings.Contains(purpose, "Mở tài khoản") || !strings.Contains(attrs, "Số định danh cá nhân") && !strings.Contains(attrs, "personal identification number") {
		t.Errorf("consent page showed %q, %q, %q", title, purpose, attrs)
	}
	mu.Lock()
	q := callback
	mu.Unlock()
	vals, _ := parseQuery(q)
	if vals["state"] != "browser-state" || vals["code"] == "" {
		t.Fatalf("callback query %q", q)
	}
	tok, err := conf.Exchange(ctx, vals["code"], oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&gooidc.Config{ClientID: rp.ID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ACR string   `json:"acr"`
		AMR []string `json:"amr"`
	}
	idt.Claims(&c)
	if idt.Nonce != "browser-nonce" || c.ACR != oidc.ACRLevel2 || len(c.AMR) == 0 {
		t.Errorf("ID token: nonce %q, acr %q, amr %v", idt.Nonce, c.ACR, c.AMR)
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	ui.Claims(&info)
	if info["pin"] != personAn.PIN || info["name"] != personAn.FullName {
		t.Errorf("userinfo = %v", info)
	}

	// Logging out at the relying party ends the portal session too: the
	// next login asks the citizen to sign in.
	var disc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	provider.Claims(&disc)
	step("log out at the relying party",
		chromedp.Navigate(disc.EndSession+"?"+url.Values{"id_token_hint": {tok.Extra("id_token").(string)}}.Encode()),
		chromedp.WaitVisible(chromedp.CSS("main")),
	)
	if sessions, err := citizens.Sessions(ctx, acct.Account.ID); err != nil || len(sessions) != 0 {
		t.Errorf("after logout the account has sessions %v, %v", sessions, err)
	}
	step("the next login asks to sign in",
		chromedp.Navigate(conf.AuthCodeURL("again", oauth2.S256ChallengeOption(verifier))),
		chromedp.WaitVisible(chromedp.ID("signin-form")),
	)
}

func parseQuery(q string) (map[string]string, error) {
	out := map[string]string{}
	for part := range strings.SplitSeq(q, "&") {
		k, v, _ := strings.Cut(part, "=")
		uv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		out[k] = uv
	}
	return out, nil
}

func putPeople(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []*registry.Person{personAn, personMai} {
		row, err := registry.PersonRow(p, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Update(ctx, func(tx store.Tx) error {
			return tx.PutPerson(ctx, store.PersonVersion{PersonRow: row, Change: store.Change{
				EventID: "ev-" + p.PIN, EventType: "initial_registration", Actor: "test", Reason: "test",
				ValidFrom: "2020-01-01", RecordedAt: time.Now().UTC()}})
		}); err != nil {
			t.Fatal(err)
		}
	}
}

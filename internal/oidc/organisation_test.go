package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/store"
)

var (
	orgHoaBinh = oidc.Organisation{AccountID: "O0312345678", Name: "Công ty TNHH Hoà Bình", TaxCode: "0312345678"}
	orgHTX     = oidc.Organisation{AccountID: "O0398765432001", Name: "Hợp tác xã Nông nghiệp Tân Phú", TaxCode: "0398765432-001"}
)

var reOrgChoice = regexp.MustCompile(`name="organisation" value="([^"]+)"`)

// orgClaims are the claims of a sign-in as an organisation.
type orgClaims struct {
	Sub          string            `json:"sub"`
	ACR          string            `json:"acr"`
	Act          map[string]string `json:"act"`
	Organisation map[string]string `json:"organisation"`
	Name         string            `json:"name"`
}

func TestProvider_SignInAsOrganisation(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testSignInAsOrganisation(t, b.open(t))
		})
	}
}

// A citizen signs in as an organisation they represent, through the
// standard client libraries: the organisation is the (pairwise) subject,
// the citizen the actor, the level theirs; the organisation's consent is
// its own; a representative who no longer represents it cannot act.
func testSignInAsOrganisation(t *testing.T, st store.Store) {
	e := newEnv(t, st)
	ctx := context.Background()
	rp, secret := e.addRP(oidc.RPInput{ID: "thue", Name: "Thuế điện tử", Purpose: "Khai thuế của doanh nghiệp",
		Scopes: []string{"openid", "organisation", "profile", "offline_access"}, RequiredLevel: 1})
	orgClient := e.client(rp, secret, "openid", "organisation", "profile", "offline_access")
	personal := e.client(rp, secret, "openid")
	verifier := oauth2.GenerateVerifier()

	// Level 1 cannot act for an organisation, whatever the registration.
	mai := e.signIn(userMai)
	if status, _, body, _ := orgClient.authorize(mai, "s", "n", verifier); status != http.StatusForbidden || !strings.Contains(body, `id="back"`) {
		t.Errorf("level 1 as an organisation: %d\n%s", status, body)
	}
	// A citizen who represents no organisation is refused, with the way
	// back saying access_denied.
	an := e.signIn(userAn)
	status, _, body, _ := orgClient.authorize(an, "s", "n", verifier)
	back := reBack.FindStringSubmatch(body)
	if status != http.StatusForbidden || back == nil || !strings.Contains(back[1], "error=access_denied") || !strings.Contains(back[1], "state=s") {
		t.Fatalf("no organisation: %d\n%s", status, body)
	}

	// Representing two, the citizen chooses on the consent page.
	e.orgs.set(userAn.AccountID, orgHoaBinh, orgHTX)
	status, _, body, _ = orgClient.authorize(an, "st-org", "n-org", verifier)
	choices := reOrgChoice.FindAllStringSubmatch(body, -1)
	if status != http.StatusOK || len(choices) != 2 || !strings.Contains(body, orgHTX.Name) || !strings.Contains(body, `data-scope="organisation"`) {
		t.Fatalf("consent page for an organisation: %d, choices %v\n%s", status, choices, body)
	}
	// A choice of an organisation the citizen does not represent is refused.
	csrf, id := reCSRF.FindStringSubmatch(body)[1], reID.FindStringSubmatch(body)[1]
	form := url.Values{"id": {id}, "csrf": {csrf}, "decision": {"agree"}, "organisation": {"O0100000000"}}
	if status, _, _, _ := an.post(e.issuer+oidc.LoginPath, form); status != http.StatusForbidden {
		t.Errorf("an organisation not represented: %d, want 403", status)
	}
	form.Set("organisation", orgHTX.AccountID)
	status, loc, body, _ := an.post(e.issuer+oidc.LoginPath, form)
	if status != http.StatusFound || loc == nil || loc.Query().Get("state") != "st-org" || loc.Query().Get("code") == "" {
		t.Fatalf("agree as %s: %d %v\n%s", orgHTX.AccountID, status, loc, body)
	}
	tok, err := orgClient.exchange(loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := orgClient.verifier.Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var id1 orgClaims
	if err := idt.Claims(&id1); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "n-org" || id1.ACR != oidc.ACRLevel2 || id1.Act["sub"] == "" || id1.Sub == "" || id1.Organisation != nil || id1.Name != "" {
		t.Errorf("ID token of an organisation's sign-in: %+v (no attribute belongs in it)", id1)
	}
	var ui orgClaims
	m, err := orgClient.userinfo(tok)
	if err != nil {
		t.Fatal(err)
	}
	ui.Sub, _ = m["sub"].(string)
	if o, ok := m["organisation"].(map[string]any); ok {
		ui.Organisation = map[string]string{"name": o["name"].(string), "tax_code": o["tax_code"].(string)}
	}
	if a, ok := m["act"].(map[string]any); ok {
		ui.Act = map[string]string{"sub": a["sub"].(string)}
	}
	ui.Name, _ = m["name"].(string)
	if ui.Sub != id1.Sub || ui.Organisation["name"] != orgHTX.Name || ui.Organisation["tax_code"] != orgHTX.TaxCode ||
		ui.Act["sub"] != id1.Act["sub"] || ui.Name != personAn.FullName || m["pin"] != nil {
		t.Errorf("userinfo of an organisation's sign-in = %v", m)
	}
	// Introspection says who acted, as the ID token does.
	req, _ := http.NewRequest("POST", e.issuer+"/oidc/introspect", strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(rp.ID, secret)
	iresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var intro struct {
		Active bool              `json:"active"`
		Sub    string            `json:"sub"`
		Act    map[string]string `json:"act"`
	}
	json.NewDecoder(iresp.Body).Decode(&intro)
	iresp.Body.Close()
	if !intro.Active || intro.Sub != id1.Sub || intro.Act["sub"] != id1.Act["sub"] {
		t.Errorf("introspection of an organisation's token = %+v", intro)
	}
	// The release is in the access log under the representative, who sees
	// in their tracker that they acted for an organisation.
	all := e.rec.All()
	last := all[len(all)-1]
	if last.PIN != personAn.PIN || last.Actor != rp.ID || !slices.Contains(last.Fields, "eid_organisation") || !slices.Contains(last.Fields, "full_name") {
		t.Errorf("access log entry = %+v", last)
	}

	// The citizen's own sign-in at the same party: the actor of the
	// organisation's sign-in is the citizen's own pairwise subject, and the
	// organisation's subject is another one. The organisation's consent is
	// not the citizen's: the page asks again.
	status, _, body, _ = personal.authorize(an, "st-me", "n-me", verifier)
	if status != http.StatusOK || reOrgChoice.MatchString(body) {
		t.Fatalf("personal sign-in after the organisation's consent: %d\n%s", status, body)
	}
	status, loc, body, _ = an.consent(body, "agree")
	if status != http.StatusFound {
		t.Fatalf("personal consent: %d\n%s", status, body)
	}
	ptok, err := personal.exchange(loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	pidt, err := personal.verifier.Verify(ctx, ptok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if pidt.Subject != id1.Act["sub"] || pidt.Subject == id1.Sub {
		t.Errorf("personal subject %q; organisation's actor %q, subject %q", pidt.Subject, id1.Act["sub"], id1.Sub)
	}

	// prompt=none cannot choose between two organisations.
	status, loc, _, _ = orgClient.authorize(an, "st-none", "n", verifier, oauth2.SetAuthURLParam("prompt", "none"))
	if status != http.StatusFound || loc.Query().Get("error") != "account_selection_required" || loc.Query().Get("state") != "st-none" {
		t.Errorf("prompt=none with two organisations: %d %v", status, loc)
	}
	// Representing only that one now, the remembered consent of the
	// organisation signs in without a page, as the same subject.
	e.orgs.set(userAn.AccountID, orgHTX)
	code := orgClient.login(an, "st-again", "n-again", verifier)
	tok2, err := orgClient.exchange(code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	idt2, err := orgClient.verifier.Verify(ctx, tok2.Extra("id_token").(string))
	if err != nil || idt2.Subject != id1.Sub {
		t.Fatalf("second sign-in as the organisation: %v, subject %q want %q", err, idt2.Subject, id1.Sub)
	}
	// Another representative of the same organisation (after a handover)
	// gets the same organisation subject, with themselves as the actor.
	e.orgs.set(userAn.AccountID)
	e.orgs.set(userMai.AccountID, orgHTX)
	maiL2 := userMai
	maiL2.Level, maiL2.SessionID = 2, "sess-mai-2"
	mai2 := e.signIn(maiL2)
	mcode := orgClient.login(mai2, "st-mai", "n-mai", verifier)
	mtok, err := orgClient.exchange(mcode, verifier)
	if err != nil {
		t.Fatal(err)
	}
	midt, err := orgClient.verifier.Verify(ctx, mtok.Extra("id_token").(string))
	var mc orgClaims
	if err == nil {
		err = midt.Claims(&mc)
	}
	if err != nil || mc.Sub != id1.Sub || mc.Act["sub"] == id1.Act["sub"] || mc.Act["sub"] == "" {
		t.Errorf("new representative's sign-in: %v, %+v; want subject %q and another actor", err, mc, id1.Sub)
	}

	// The former representative's refresh token stops at once, even
	// before the revocation: the provider asks who represents the
	// organisation at every refresh.
	if _, err := orgClient.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token(); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("refresh by the former representative: %v, want invalid_grant", err)
	}
	// RevokeAccount (what the handover calls) ends the organisation's
	// consents and tokens: the new representative's too, who agrees again.
	if _, err := orgClient.userinfo(mtok); err != nil {
		t.Fatalf("userinfo before the revocation: %v", err)
	}
	if err := e.p.RevokeAccount(ctx, orgHTX.AccountID); err != nil {
		t.Fatal(err)
	}
	if _, err := orgClient.userinfo(mtok); err == nil {
		t.Error("an access token of the organisation survived RevokeAccount")
	}
	if _, err := orgClient.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: mtok.RefreshToken}).Token(); err == nil {
		t.Error("a refresh token of the organisation survived RevokeAccount")
	}
	if status, _, body, _ := orgClient.authorize(mai2, "st-after", "n", verifier); status != http.StatusOK || !reOrgChoice.MatchString(body) {
		t.Errorf("after RevokeAccount the consent page is not shown again: %d", status)
	}
	// The citizen's own consent and tokens are not the organisation's.
	if _, err := personal.userinfo(ptok); err != nil {
		t.Errorf("the citizen's own token was revoked with the organisation's: %v", err)
	}
}

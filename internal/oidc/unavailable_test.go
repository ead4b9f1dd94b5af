package oidc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/store"
)

// outageStore is a store whose OIDC requests, codes and tokens fail as an
// unreachable database does (store.ErrUnavailable) while down is set. It
// does not touch store.LastUnavailable, so the API middleware's safety net
// (a 500 during an outage becomes 503) cannot be what answers.
type outageStore struct {
	store.Store
	down   atomic.Bool
	broken atomic.Bool // fail with an internal error that is not an outage
}

var (
	errDown   = fmt.Errorf("test: the database went away: %w", store.ErrUnavailable)
	errBroken = errors.New("test: page 42 of table oidc_auth_requests is corrupt")
)

func (s *outageStore) PutOIDCAuthRequest(ctx context.Context, r store.OIDCAuthRequest) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.PutOIDCAuthRequest(ctx, r)
}

func (s *outageStore) UseOIDCAuthCode(ctx context.Context, codeHash string) (store.OIDCAuthRequest, error) {
	if s.down.Load() {
		return store.OIDCAuthRequest{}, errDown
	}
	return s.Store.UseOIDCAuthCode(ctx, codeHash)
}

func (s *outageStore) PutOIDCToken(ctx context.Context, t store.OIDCToken) error {
	if s.broken.Load() {
		return errBroken
	}
	return s.Store.PutOIDCToken(ctx, t)
}

func (s *outageStore) OIDCToken(ctx context.Context, id string) (store.OIDCToken, error) {
	if s.down.Load() {
		return store.OIDCToken{}, errDown
	}
	return s.Store.OIDCToken(ctx, id)
}

// TestProvider_StoreUnavailable checks that an outage of the store is
// answered as OAuth says: the authorization endpoint redirects with
// error=temporarily_unavailable and the state, the token, userinfo and
// introspection endpoints answer 503 with Retry-After and the OAuth error
// body — and that the same requests succeed once the store is back.
func TestProvider_StoreUnavailable(t *testing.T) {
	st := &outageStore{Store: openSQLite(t)}
	e := newEnv(t, st)
	rp, secret := e.addRP(oidc.RPInput{ID: "bank", Scopes: []string{"openid", "profile"}})
	c := e.client(rp, secret, "openid", "profile")
	br := e.signIn(userAn)

	// Authorization: back to the relying party, state unchanged.
	st.down.Store(true)
	v := oauth2.GenerateVerifier()
	status, loc, body, _ := c.authorize(br, "st-1", "n", v)
	if status != http.StatusFound || loc == nil || !strings.HasPrefix(loc.String(), rp.RedirectURIs[0]) {
		t.Fatalf("authorize during an outage: %d %v\n%s", status, loc, body)
	}
	if q := loc.Query(); q.Get("error") != "temporarily_unavailable" || q.Get("state") != "st-1" || q.Get("code") != "" {
		t.Errorf("authorize during an outage redirected with %v", q)
	}
	st.down.Store(false)

	// Token: a code obtained while the store was up, exchanged while down.
	code := c.login(br, "st-2", "n", v)

	// Authorization with the consent remembered: the code cannot be
	// written.
	st.down.Store(true)
	status, loc, body, _ = c.authorize(br, "st-3", "n", v)
	if status != http.StatusFound || loc == nil || loc.Query().Get("error") != "temporarily_unavailable" ||
		loc.Query().Get("state") != "st-3" || loc.Query().Get("code") != "" {
		t.Fatalf("authorize with consent during an outage: %d %v\n%s", status, loc, body)
	}
	st.down.Store(false)

	st.down.Store(true)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rp.RedirectURIs[0]}, "code_verifier": {v}}
	req, _ := http.NewRequest("POST", e.issuer+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(rp.ID, secret)
	checkUnavailable(t, "token", req)
	// The code was not consumed: once the store is back it is exchanged.
	st.down.Store(false)
	tok, err := c.exchange(code, v)
	if err != nil {
		t.Fatalf("exchange after the outage: %v", err)
	}

	// Userinfo and introspection with a token this process has not read
	// yet (a read one is answered from memory for 2 seconds).
	st.down.Store(true)
	req, _ = http.NewRequest("GET", e.issuer+"/oidc/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	checkUnavailable(t, "userinfo", req)
	req, _ = http.NewRequest("POST", e.issuer+"/oidc/introspect", strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(rp.ID, secret)
	checkUnavailable(t, "introspect", req)
	req, _ = http.NewRequest("POST", e.issuer+"/oidc/revoke", strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(rp.ID, secret)
	checkUnavailable(t, "revoke", req)
	st.down.Store(false)
	if _, err := c.userinfo(tok); err != nil {
		t.Errorf("userinfo after the outage: %v", err)
	}
}

// TestProvider_InternalErrorHidden checks that a store failure that is not
// an outage is answered as server_error without its text: the library would
// put a plain error's text in error_description.
func TestProvider_InternalErrorHidden(t *testing.T) {
	st := &outageStore{Store: openSQLite(t)}
	e := newEnv(t, st)
	rp, secret := e.addRP(oidc.RPInput{ID: "bank", Scopes: []string{"openid", "profile"}})
	c := e.client(rp, secret, "openid", "profile")
	br := e.signIn(userAn)
	v := oauth2.GenerateVerifier()
	code := c.login(br, "st-1", "n", v)

	// The token cannot be written for a reason that is not an outage.
	st.broken.Store(true)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rp.RedirectURIs[0]}, "code_verifier": {v}}
	req, _ := http.NewRequest("POST", e.issuer+"/oidc/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(rp.ID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]string
	_ = json.Unmarshal(b, &m)
	if resp.StatusCode != http.StatusInternalServerError || m["error"] != "server_error" {
		t.Errorf("token with a broken store: %d %s; want 500 server_error", resp.StatusCode, b)
	}
	if strings.Contains(string(b), "corrupt") || strings.Contains(string(b), "oidc_auth_requests") {
		t.Errorf("token with a broken store: the answer carries the internal error: %s", b)
	}
}

func checkUnavailable(t *testing.T, name string, req *http.Request) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Errorf("%s during an outage: body %q is not JSON", name, b)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		m["error"] != "temporarily_unavailable" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s during an outage: %d Retry-After %q %s; want 503, Retry-After and temporarily_unavailable",
			name, resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if strings.Contains(string(b), "database went away") {
		t.Errorf("%s: the answer carries the internal error: %s", name, b)
	}
}

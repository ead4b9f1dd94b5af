package oidc_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/registry"
)

// clock is a time source a test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// secondProcess starts another provider over the env's store, as a second
// dancu serve behind the same load balancer would be, with its own clock.
func (e *env) secondProcess(now func() time.Time) (*oidc.Provider, *httptest.Server) {
	e.t.Helper()
	p, err := oidc.New(context.Background(), oidc.Deps{Store: e.st, Registry: registry.New(e.st), Sessions: e.sessions,
		Recorder: e.rec, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		oidc.Options{Issuer: e.issuer, Now: now})
	if err != nil {
		e.t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Mount(mux)
	ts := httptest.NewServer(mux)
	e.t.Cleanup(ts.Close)
	return p, ts
}

// userinfoStatus calls a process's userinfo endpoint with an access token.
func userinfoStatus(t *testing.T, base, access string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/oidc/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// A process answers userinfo from access tokens it read less than two
// seconds ago. A revocation made by the process itself takes effect at
// once; one made by another process within that bound.
func TestProvider_TokenCacheRevocation(t *testing.T) {
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			e := newEnv(t, bk.open(t))
			rp, secret := e.addRP(oidc.RPInput{ID: "bank", Scopes: []string{"openid", "profile"}})
			c := e.client(rp, secret, "openid", "profile")
			br := e.signIn(userAn)
			login := func() string {
				v := oauth2.GenerateVerifier()
				tok, err := c.exchange(c.login(br, "s", "n", v), v)
				if err != nil {
					t.Fatal(err)
				}
				return tok.AccessToken
			}
			clk := &clock{t: time.Now()}
			p2, second := e.secondProcess(clk.now)

			// Revoked by the other process: refused here once the bound
			// has passed, not before.
			access := login()
			for _, base := range []string{e.issuer, second.URL} {
				if got := userinfoStatus(t, base, access); got != http.StatusOK {
					t.Fatalf("userinfo at %s = %d before revocation", base, got)
				}
			}
			if err := e.p.RevokeApp(context.Background(), userAn.AccountID, "bank"); err != nil {
				t.Fatal(err)
			}
			if got := userinfoStatus(t, e.issuer, access); got == http.StatusOK {
				t.Error("the revoking process still answered with the revoked token")
			}
			if got := userinfoStatus(t, second.URL, access); got != http.StatusOK {
				t.Errorf("within the bound, the other process answered %d; the test no longer exercises its cache", got)
			}
			clk.add(2*time.Second + time.Millisecond)
			if got := userinfoStatus(t, second.URL, access); got == http.StatusOK {
				t.Error("the other process still answered with a token revoked over two seconds ago")
			}

			// Revoked by the process that cached it: refused at once.
			access = login()
			if got := userinfoStatus(t, second.URL, access); got != http.StatusOK {
				t.Fatalf("userinfo = %d before revocation", got)
			}
			if err := p2.RevokeApp(context.Background(), userAn.AccountID, "bank"); err != nil {
				t.Fatal(err)
			}
			if got := userinfoStatus(t, second.URL, access); got == http.StatusOK {
				t.Error("a process answered with a token it revoked itself")
			}
		})
	}
}

package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/ratelimit"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// clientTokens accepts "client-a" and "client-b" as tokens of clients of
// agencies a and b.
type clientTokens struct{}

func (clientTokens) VerifyBearer(_ context.Context, token string) (auth.Principal, bool) {
	switch token {
	case "client-a", "client-a2":
		return auth.Principal{ID: token, Kind: auth.KindClient, Agency: "a"}, true
	case "client-b":
		return auth.Principal{ID: token, Kind: auth.KindClient, Agency: "b"}, true
	}
	return auth.Principal{}, false
}

func TestServer_RateLimit(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, _, err := auth.Setup(ctx, st, testToken)
	if err != nil {
		t.Fatal(err)
	}
	a.AddVerifier(clientTokens{})
	srv := api.New(api.Deps{Registry: registry.New(st), Store: st, Auth: a, Logger: slog.New(slog.DiscardHandler),
		Recorder: &audittest.Recorder{}, RateLimit: api.RateLimit{
			PerAddress:     ratelimit.New(0.001, 2, 0),
			PerAgency:      ratelimit.New(0.001, 3, 0),
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		}})
	get := func(path, from, token string, xff ...string) *http.Response {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = from + ":40000"
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		for _, h := range xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Result()
	}
	codes := func(n int, f func() *http.Response) []int {
		var out []int
		for range n {
			out = append(out, f().StatusCode)
		}
		return out
	}
	equal := func(what string, got []int, want ...int) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: %v, want %v", what, got, want)
			}
		}
	}

	// Anonymous requests: per address, the burst then 429.
	equal("one address", codes(3, func() *http.Response { return get("/nothing-here", "203.0.113.1", "") }), 404, 404, 429)
	resp := get("/nothing-here", "203.0.113.1", "")
	if resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("429 headers: %v", resp.Header)
	}
	equal("another address", codes(1, func() *http.Response { return get("/nothing-here", "203.0.113.2", "") }), 404)
	// Probes are never limited: a load balancer polling an address that
	// is over its limit must not see the process as down.
	for _, path := range []string{"/healthz", "/readyz"} {
		for _, c := range codes(4, func() *http.Response { return get(path, "203.0.113.1", "") }) {
			if c != http.StatusOK {
				t.Fatalf("%s from an address over its limit: %d, want 200", path, c)
			}
		}
	}
	// Token guessing counts against the address.
	equal("bad tokens", codes(3, func() *http.Response { return get("/v1/citizens/079190000001", "203.0.113.3", "guess") }), 401, 401, 429)

	// Behind a trusted proxy, the client is the forwarded address; from
	// anywhere else the header is ignored.
	equal("via proxy", codes(3, func() *http.Response { return get("/nothing-here", "10.1.1.1", "", "198.51.100.9, 10.2.2.2") }), 404, 404, 429)
	equal("via proxy, other client", codes(1, func() *http.Response { return get("/nothing-here", "10.1.1.1", "", "198.51.100.10") }), 404)
	equal("forged header", codes(3, func() *http.Response { return get("/nothing-here", "203.0.113.4", "", "198.51.100.11") }), 404, 404, 429)
	equal("forged header, next forged value", codes(1, func() *http.Response { return get("/nothing-here", "203.0.113.4", "", "198.51.100.12") }), 429)

	// Agencies: per agency, across its clients and addresses; the admin
	// and other agencies are not held back.
	n := 0
	for i, tok := range []string{"client-a", "client-a2", "client-a", "client-a2"} {
		if get("/v1/citizens/079190000001", "192.0.2."+string(rune('1'+i)), tok).StatusCode == http.StatusTooManyRequests {
			n++
		}
	}
	if n != 1 {
		t.Errorf("agency a: %d of 4 requests limited, want 1 (burst 3)", n)
	}
	if got := get("/v1/citizens/079190000001", "192.0.2.1", "client-b").StatusCode; got == http.StatusTooManyRequests {
		t.Error("agency b was limited by agency a's use")
	}
	// The administrator's API calls are not limited, even from an address
	// that is over its limit.
	for _, c := range codes(5, func() *http.Response { return get("/v1/citizens/079190000001", "203.0.113.1", testToken) }) {
		if c == http.StatusTooManyRequests {
			t.Fatal("the administrator was rate limited")
		}
	}
}

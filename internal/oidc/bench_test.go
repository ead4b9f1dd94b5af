package oidc_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/store"
)

// benchEnv is a provider over SQLite with the real access log (every
// release is a durable Merkle-log entry), a relying party with the
// citizen's consent remembered, and a signed-in browser.
type benchEnv struct {
	e      *env
	secret string
	conf   oauth2.Config
}

func newBenchEnv(b *testing.B, st store.Store) *benchEnv {
	b.Helper()
	log, err := audit.Open(context.Background(), st, audit.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { log.Close() })
	e := newEnvWith(b, st, log)
	rp, secret := e.addRP(oidc.RPInput{ID: "bank", Scopes: []string{"openid", "profile", "birthdate", "national_id"}})
	be := &benchEnv{e: e, secret: secret, conf: oauth2.Config{ClientID: rp.ID, ClientSecret: secret,
		Endpoint:    oauth2.Endpoint{AuthURL: e.issuer + "/oidc/authorize", TokenURL: e.issuer + "/oidc/token", AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL: rp.RedirectURIs[0], Scopes: []string{"openid", "profile", "birthdate", "national_id"}}}
	// Consent once, so that every flow measured skips the page.
	br := e.signIn(userAn)
	c := e.client(rp, secret, be.conf.Scopes...)
	v := oauth2.GenerateVerifier()
	if _, err := c.exchange(c.login(br, "s", "n", v), v); err != nil {
		b.Fatal(err)
	}
	return be
}

// transport is one keep-alive connection pool per benchmark goroutine.
// setInFlight sets how many requests the benchmark keeps in flight:
// DANCU_BENCH_IN_FLIGHT, or 4 per GOMAXPROCS. Userinfo waits for its
// access-log entry's commit, and the log commits the entries waiting
// together, so the rate grows with the requests in flight until the CPU is
// busy: few in flight measure the commit's latency, many the CPU's rate.
func setInFlight(b *testing.B) {
	per := 4
	if n, err := strconv.Atoi(os.Getenv("DANCU_BENCH_IN_FLIGHT")); err == nil && n > 0 {
		per = max(1, n/runtime.GOMAXPROCS(0))
	}
	b.SetParallelism(per)
}

func benchClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: 4},
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if r.URL.Path == "/cb" {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// flow runs one authorization-code + PKCE + token + userinfo flow.
func (be *benchEnv) flow(b *testing.B, c *http.Client) {
	v := oauth2.GenerateVerifier()
	req, _ := http.NewRequest("GET", be.conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("nonce", "n")), nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: userAn.SessionID})
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		b.Fatalf("authorize: %d %v", resp.StatusCode, loc)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {be.conf.RedirectURL}, "code_verifier": {v}}
	treq, _ := http.NewRequest("POST", be.conf.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	treq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	treq.SetBasicAuth(be.conf.ClientID, be.secret)
	tresp, err := c.Do(treq)
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	json.NewDecoder(tresp.Body).Decode(&tok)
	tresp.Body.Close()
	if tok.AccessToken == "" || tok.IDToken == "" {
		b.Fatalf("token: %d", tresp.StatusCode)
	}
	be.userinfo(b, c, tok.AccessToken)
}

func (be *benchEnv) userinfo(b *testing.B, c *http.Client, access string) {
	ureq, _ := http.NewRequest("GET", be.e.issuer+"/oidc/userinfo", nil)
	ureq.Header.Set("Authorization", "Bearer "+access)
	uresp, err := c.Do(ureq)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, uresp.Body)
	uresp.Body.Close()
	if uresp.StatusCode != http.StatusOK {
		b.Fatalf("userinfo: %d", uresp.StatusCode)
	}
}

// BenchmarkFlow measures complete flows with an established session and
// remembered consent: authorize (three redirects inside the provider),
// code exchange with PKCE and client_secret_basic, userinfo.
func BenchmarkFlow(b *testing.B) {
	for _, bk := range backends {
		b.Run(bk.name, func(b *testing.B) {
			be := newBenchEnv(b, bk.open(b))
			b.SetParallelism(4)
			b.ResetTimer()
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				c := benchClient()
				for pb.Next() {
					be.flow(b, c)
				}
			})
			report(b, cpu, "flows/s")
		})
	}
}

// BenchmarkUserinfo measures userinfo alone: token check, registry read,
// access-log entry, answer.
func BenchmarkUserinfo(b *testing.B) {
	for _, bk := range backends {
		b.Run(bk.name, func(b *testing.B) {
			be := newBenchEnv(b, bk.open(b))
			tok := be.token(b)
			setInFlight(b)
			b.ResetTimer()
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				c := benchClient()
				for pb.Next() {
					be.userinfo(b, c, tok)
				}
			})
			report(b, cpu, "req/s")
		})
	}
}

// BenchmarkIntrospect measures token introspection by the relying party.
func BenchmarkIntrospect(b *testing.B) {
	for _, bk := range backends {
		b.Run(bk.name, func(b *testing.B) {
			be := newBenchEnv(b, bk.open(b))
			tok := be.token(b)
			body := url.Values{"token": {tok}}.Encode()
			b.SetParallelism(4)
			b.ResetTimer()
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				c := benchClient()
				for pb.Next() {
					req, _ := http.NewRequest("POST", be.e.issuer+"/oidc/introspect", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.SetBasicAuth("bank", be.secret)
					resp, err := c.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					var m map[string]any
					json.NewDecoder(resp.Body).Decode(&m)
					resp.Body.Close()
					if m["active"] != true {
						b.Fatalf("introspection: %d %v", resp.StatusCode, m)
					}
				}
			})
			report(b, cpu, "req/s")
		})
	}
}

func (be *benchEnv) token(b *testing.B) string {
	c := be.e.client(&oidc.RP{ID: "bank", RedirectURIs: []string{be.conf.RedirectURL}}, be.secret, be.conf.Scopes...)
	br := be.e.signIn(userAn)
	v := oauth2.GenerateVerifier()
	tok, err := c.exchange(c.login(br, "s", "n", v), v)
	if err != nil {
		b.Fatal(err)
	}
	return tok.AccessToken
}

// cpuTime is the CPU time the process used so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report gives the wall-clock rate, and the rate that two dedicated cores
// would sustain given the CPU time used per operation (clients included),
// which is what a machine shared with other work can still measure.
func report(b *testing.B, since time.Duration, unit string) {
	used := cpuTime() - since
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
	if used > 0 {
		perOp := float64(used.Microseconds()) / float64(b.N)
		b.ReportMetric(perOp, "cpu-µs/op")
		b.ReportMetric(2e6/perOp, unit+"@2cores")
	}
}

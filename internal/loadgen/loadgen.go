package loadgen

import (
	"bytes"
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/dancu/dancu/internal/units"
)

// Operations the mix may name.
const (
	OpLookup = "lookup" // GET /v1/citizens/{pin} as an agency's API client, with a purpose
	OpBatch  = "batch"  // POST /v1/citizens/batch of 20 PINs as the agency's client
	OpRead   = "read"   // GET /v1/citizens/{pin} as the administrator
	OpSearch = "search" // GET /v1/citizens?name=...&birth_year=... as the administrator
	OpEvent  = "event"  // POST /v1/events: a phone correction of a random person
)

// Ops lists the operations in report order.
var Ops = []string{OpLookup, OpBatch, OpRead, OpSearch, OpEvent}

// Config says what to run.
type Config struct {
	BaseURL    string // the server, such as http://127.0.0.1:8080
	AdminToken string
	// Issuer is the server's public URL (DANCU_PUBLIC_URL), the audience of
	// the client's token request; BaseURL if "".
	Issuer      string
	Duration    time.Duration
	Connections int
	Mix         map[string]int // operation → weight
	Seed        uint64
	// People bounds the pool of people the operations pick from.
	People int
	Client *http.Client // http.DefaultClient if nil
}

// ParseMix reads "lookup=70,event=10,...".
func ParseMix(s string) (map[string]int, error) {
	mix := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("mix: %q is not OPERATION=WEIGHT", part)
		}
		if !slices.Contains(Ops, name) {
			return nil, fmt.Errorf("mix: unknown operation %q (want one of %s)", name, strings.Join(Ops, ", "))
		}
		mix[name] = n
	}
	total := 0
	for _, n := range mix {
		total += n
	}
	if total == 0 {
		return nil, errors.New("mix: the weights add up to 0")
	}
	return mix, nil
}

// OpResult is what one operation did.
type OpResult struct {
	Name      string
	Count     int         // answered requests
	Refused   int         // 4xx answers
	Errors    int         // 5xx answers and transport failures
	Statuses  map[int]int // by status code; 0 for transport failures
	PerSecond float64
	P50, P90  time.Duration
	P99, Max  time.Duration
}

// Result is a run's report.
type Result struct {
	Elapsed     time.Duration
	Connections int
	People      int
	Ops         []OpResult
}

// Errors is the number of 5xx answers and transport failures in all.
func (r *Result) Errors() int {
	n := 0
	for _, o := range r.Ops {
		n += o.Errors
	}
	return n
}

// Write prints the report as a table.
func (r *Result) Write(w io.Writer) {
	fmt.Fprintf(w, "%s with %d connections over a pool of %d people\n\n", r.Elapsed.Round(time.Millisecond), r.Connections, r.People)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\trefused (4xx)\terrors (5xx, failed)\t")
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
	total := 0
	for _, o := range r.Ops {
		total += o.Count
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t%d\t\n", o.Name, o.Count, o.PerSecond, ms(o.P50), ms(o.P90), ms(o.P99), ms(o.Max), o.Refused, o.Errors)
	}
	fmt.Fprintf(tw, "all\t%d\t%.0f\t\t\t\t\t\t%d\t\n", total, float64(total)/r.Elapsed.Seconds(), r.Errors())
	tw.Flush()
}

// person is one member of the pool.
type person struct {
	PIN       string
	Name      string
	BirthYear int
}

// runner holds what the workers share.
type runner struct {
	cfg         Config
	client      *http.Client
	pool        []person
	clientToken string
	purpose     string
	ops         []string // one entry per unit of weight
}

// Run sets up and drives the load, and returns the report. It fails only
// when the set-up fails; failures during the run are counted.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Connections <= 0 {
		cfg.Connections = 32
	}
	if cfg.People <= 0 {
		cfg.People = 2000
	}
	if cfg.Issuer == "" {
		cfg.Issuer = cfg.BaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	r := &runner{cfg: cfg, client: cfg.Client}
	if r.client == nil {
		r.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Connections}}
	}
	for _, op := range Ops {
		for range cfg.Mix[op] {
			r.ops = append(r.ops, op)
		}
	}
	if err := r.findPeople(ctx); err != nil {
		return nil, err
	}
	if cfg.Mix[OpLookup] > 0 || cfg.Mix[OpBatch] > 0 {
		if err := r.setUpAgency(ctx); err != nil {
			return nil, err
		}
	}
	return r.drive(ctx), nil
}

// sample is one request's outcome.
type sample struct {
	status  int // 0: transport failure
	latency time.Duration
}

func (r *runner) drive(ctx context.Context) *Result {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	var mu sync.Mutex
	samples := map[string][]sample{}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range r.cfg.Connections {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(w)))
			local := map[string][]sample{}
			for ctx.Err() == nil {
				op := r.ops[rng.IntN(len(r.ops))]
				t0 := time.Now()
				status := r.do(ctx, op, rng)
				if ctx.Err() != nil && status == 0 {
					break // cut off by the end of the run, not a failure
				}
				local[op] = append(local[op], sample{status, time.Since(t0)})
			}
			mu.Lock()
			for op, s := range local {
				samples[op] = append(samples[op], s...)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := &Result{Elapsed: elapsed, Connections: r.cfg.Connections, People: len(r.pool)}
	for _, op := range Ops {
		s := samples[op]
		if len(s) == 0 {
			continue
		}
		o := OpResult{Name: op, Count: len(s), Statuses: map[int]int{}, PerSecond: float64(len(s)) / elapsed.Seconds()}
		lat := make([]time.Duration, len(s))
		for i, x := range s {
			lat[i] = x.latency
			o.Statuses[x.status]++
			switch {
			case x.status == 0 || x.status >= 500:
				o.Errors++
			case x.status >= 400:
				o.Refused++
			}
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		o.P50, o.P90, o.P99, o.Max = q(0.50), q(0.90), q(0.99), lat[len(lat)-1]
		res.Ops = append(res.Ops, o)
	}
	return res
}

// do sends one request of op and returns its status (0 on failure).
func (r *runner) do(ctx context.Context, op string, rng *rand.Rand) int {
	p := r.pool[rng.IntN(len(r.pool))]
	switch op {
	case OpLookup:
		return r.send(ctx, "GET", "/v1/citizens/"+p.PIN+"?purpose="+url.QueryEscape(r.purpose), r.clientToken, nil)
	case OpBatch:
		pins := make([]string, 20)
		for i := range pins {
			pins[i] = r.pool[rng.IntN(len(r.pool))].PIN
		}
		return r.send(ctx, "POST", "/v1/citizens/batch?purpose="+url.QueryEscape(r.purpose), r.clientToken, map[string]any{"pins": pins})
	case OpRead:
		return r.send(ctx, "GET", "/v1/citizens/"+p.PIN, r.cfg.AdminToken, nil)
	case OpSearch:
		q := url.Values{"name": {p.Name}, "limit": {"20"}}
		if p.BirthYear > 0 {
			q.Set("birth_year", strconv.Itoa(p.BirthYear))
		}
		return r.send(ctx, "GET", "/v1/citizens?"+q.Encode(), r.cfg.AdminToken, nil)
	case OpEvent:
		return r.send(ctx, "POST", "/v1/events", r.cfg.AdminToken, map[string]any{
			"type": "correction", "subject": p.PIN, "effective_date": time.Now().Format(time.DateOnly),
			"reason": "dancu bench: load test correction",
			"data":   map[string]any{"field": "phone", "value": fmt.Sprintf("09%08d", rng.IntN(100_000_000))},
		})
	}
	return 0
}

// send makes one request and reads the whole answer.
func (r *runner) send(ctx context.Context, method, path, token string, body any) int {
	status, _, err := r.call(ctx, method, path, token, body)
	if err != nil {
		return 0
	}
	return status
}

func (r *runner) call(ctx context.Context, method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.cfg.BaseURL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// findPeople fills the pool by searching province after province.
func (r *runner) findPeople(ctx context.Context) error {
	for _, prov := range units.Provinces(time.Now()) {
		cursor := ""
		for len(r.pool) < r.cfg.People {
			q := url.Values{"province": {prov.Code}, "limit": {"200"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			status, b, err := r.call(ctx, "GET", "/v1/citizens?"+q.Encode(), r.cfg.AdminToken, nil)
			if err != nil {
				return fmt.Errorf("find people: %w", err)
			}
			if status != http.StatusOK {
				return fmt.Errorf("find people: GET /v1/citizens answered %d (is the admin token right?)", status)
			}
			var page struct {
				Items []struct {
					PIN       string `json:"pin"`
					FullName  string `json:"full_name"`
					BirthDate string `json:"birth_date"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			if err := json.Unmarshal(b, &page); err != nil {
				return fmt.Errorf("find people: %w", err)
			}
			for _, it := range page.Items {
				y, _ := strconv.Atoi(strings.SplitN(it.BirthDate, "-", 2)[0])
				r.pool = append(r.pool, person{PIN: it.PIN, Name: it.FullName, BirthYear: y})
			}
			if page.NextCursor == "" || len(page.Items) == 0 {
				break
			}
			cursor = page.NextCursor
		}
		if len(r.pool) >= r.cfg.People {
			break
		}
	}
	if len(r.pool) == 0 {
		return errors.New("find people: the registry holds nobody (generate a population first)")
	}
	return nil
}

// setUpAgency registers a bench agency, a grant and an API client with a
// fresh key, and gets the client an access token.
func (r *runner) setUpAgency(ctx context.Context) error {
	id := "bench-" + strings.ToLower(crand.Text()[:8])
	r.purpose = "bench.load-test"
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	jwk := jose.JSONWebKey{Key: pub, KeyID: "bench-1", Algorithm: string(jose.EdDSA), Use: "sig"}
	steps := []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/admin/agencies", map[string]any{"id": id, "name": "Load test " + id, "kind": "other"}},
		{"PUT", "/v1/admin/agencies/" + id + "/grants/" + r.purpose, map[string]any{
			"legal_basis": "Load test of a staging installation (dancu bench)",
			"fields":      []string{"full_name", "birth_date", "sex"}}},
		{"POST", "/v1/admin/clients", map[string]any{"client_id": id, "agency": id, "name": "dancu bench",
			"jwks": map[string]any{"keys": []any{jwk}}}},
	}
	for _, s := range steps {
		status, b, err := r.call(ctx, s.method, s.path, r.cfg.AdminToken, s.body)
		if err != nil || status >= 300 {
			return fmt.Errorf("set up the bench agency: %s %s: %d %s %v", s.method, s.path, status, b, err)
		}
	}
	tokenURL := strings.TrimRight(r.cfg.Issuer, "/") + "/v1/oauth/token"
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), "bench-1"))
	if err != nil {
		return err
	}
	now := time.Now()
	assertion, err := jwt.Signed(sig).Claims(jwt.Claims{
		Issuer: id, Subject: id, Audience: jwt.Audience{tokenURL}, ID: crand.Text(),
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)),
	}).Serialize()
	if err != nil {
		return err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_assertion": {assertion},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
	req, err := http.NewRequestWithContext(ctx, "POST", r.cfg.BaseURL+"/v1/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("bench client token: %w", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error_description"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	if resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		return fmt.Errorf("bench client token: %d %s (is --issuer the server's DANCU_PUBLIC_URL?)", resp.StatusCode, tok.Error)
	}
	r.clientToken = tok.AccessToken
	return nil
}

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
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
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
	// URLs are the servers, such as http://127.0.0.1:8080: one, or several
	// dancu processes sharing one store. Connection w goes to URLs[w mod n],
	// the spread of a load balancer that balances connections; the set-up
	// goes to the first.
	URLs       []string
	AdminToken string
	// Issuer is the servers' public URL (DANCU_PUBLIC_URL), the audience of
	// the client's token request; URLs[0] if "".
	Issuer      string
	Duration    time.Duration
	Connections int
	// Rate, if positive, is the total requests per second to send: an open
	// schedule that the connections share, so that a load below capacity
	// can be held for a long time. A request's latency is then measured
	// from when the schedule meant it to start, so that a server falling
	// behind shows in the percentiles instead of slowing the schedule
	// (no coordinated omission). 0: each connection sends as fast as
	// answers come back.
	Rate float64
	// SampleEvery, if positive, is how often each server's /metrics is read
	// for its memory (Result.Memory).
	SampleEvery time.Duration
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
	Targets     int     // servers the connections were spread over
	Rate        float64 // the schedule's requests per second; 0: closed loops
	Ops         []OpResult
	// Memory holds the servers' memory samples, if SampleEvery was set.
	Memory []MemorySample
	all    []time.Duration // every latency, for the overall percentiles
}

// Errors is the number of 5xx answers and transport failures in all.
func (r *Result) Errors() int {
	n := 0
	for _, o := range r.Ops {
		n += o.Errors
	}
	return n
}

// Overall returns the requests per second and the latency percentiles of
// all operations together.
func (r *Result) Overall() OpResult {
	o := OpResult{Name: "all", Errors: r.Errors()}
	for _, op := range r.Ops {
		o.Count += op.Count
		o.Refused += op.Refused
	}
	o.PerSecond = float64(o.Count) / r.Elapsed.Seconds()
	o.P50, o.P90, o.P99, o.Max = percentiles(slices.Clone(r.all))
	return o
}

// Write prints the report as a table, and the memory trend if sampled.
func (r *Result) Write(w io.Writer) {
	servers := "one server"
	if r.Targets > 1 {
		servers = fmt.Sprintf("%d servers", r.Targets)
	}
	pace := "closed loops"
	if r.Rate > 0 {
		pace = fmt.Sprintf("a schedule of %.0f req/s", r.Rate)
	}
	fmt.Fprintf(w, "%s with %d connections to %s, %s, over a pool of %d people\n\n",
		r.Elapsed.Round(time.Millisecond), r.Connections, servers, pace, r.People)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\trefused (4xx)\terrors (5xx, failed)\t")
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
	for _, o := range append(slices.Clone(r.Ops), r.Overall()) {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t%d\t\n", o.Name, o.Count, o.PerSecond, ms(o.P50), ms(o.P90), ms(o.P99), ms(o.Max), o.Refused, o.Errors)
	}
	tw.Flush()
	for _, o := range r.Ops {
		var other []string
		for _, code := range slices.Sorted(maps.Keys(o.Statuses)) {
			if code < 200 || code >= 300 {
				other = append(other, fmt.Sprintf("%d×%d", o.Statuses[code], code))
			}
		}
		if len(other) > 0 {
			fmt.Fprintf(w, "%s answers other than 2xx (0: no answer): %s\n", o.Name, strings.Join(other, ", "))
		}
	}
	if len(r.Memory) > 0 {
		fmt.Fprintln(w)
		writeMemory(w, r.Memory)
	}
}

// person is one member of the pool.
type person struct {
	PIN       string
	Name      string
	BirthYear int
}

// runner holds what the workers share.
type runner struct {
	cfg     Config
	client  *http.Client
	pool    []person
	agency  *Agency
	tokenMu sync.Mutex
	// renewAfter is, after a failed renewal, when to try again.
	renewAfter time.Time
	purpose    string
	ops        []string // one entry per unit of weight
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
	if len(cfg.URLs) == 0 {
		return nil, errors.New("loadgen: no server URL")
	}
	cfg.URLs = slices.Clone(cfg.URLs)
	for i, u := range cfg.URLs {
		cfg.URLs[i] = strings.TrimRight(u, "/")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = cfg.URLs[0]
	}
	r := &runner{cfg: cfg, client: cfg.Client}
	if r.client == nil {
		r.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Connections, MaxIdleConns: 2 * cfg.Connections}}
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
	sched := newSchedule(start, r.cfg.Rate)
	var memory []MemorySample
	if r.cfg.SampleEvery > 0 {
		wg.Go(func() { memory = r.sampleMemory(ctx, start) })
	}
	for w := range r.cfg.Connections {
		base := r.cfg.URLs[w%len(r.cfg.URLs)]
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(w)))
			local := map[string][]sample{}
			for ctx.Err() == nil {
				t0, ok := sched.next(ctx)
				if !ok {
					break
				}
				op := r.ops[rng.IntN(len(r.ops))]
				status := r.do(ctx, base, op, rng)
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
	res := &Result{Elapsed: elapsed, Connections: r.cfg.Connections, People: len(r.pool),
		Targets: len(r.cfg.URLs), Rate: r.cfg.Rate, Memory: memory}
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
		o.P50, o.P90, o.P99, o.Max = percentiles(lat)
		res.Ops = append(res.Ops, o)
		res.all = append(res.all, lat...)
	}
	return res
}

// percentiles sorts lat and returns its 50th, 90th and 99th percentiles
// and its maximum.
func percentiles(lat []time.Duration) (p50, p90, p99, maxLat time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return q(0.50), q(0.90), q(0.99), lat[len(lat)-1]
}

// schedule hands out the start times of an open schedule of rate requests
// per second, or, with rate 0, the present.
type schedule struct {
	start    time.Time
	interval time.Duration
	mu       sync.Mutex
	n        int64
}

func newSchedule(start time.Time, rate float64) *schedule {
	s := &schedule{start: start}
	if rate > 0 {
		s.interval = time.Duration(float64(time.Second) / rate)
	}
	return s
}

// next waits for the next slot and returns the time it was due; false when
// ctx ends first.
func (s *schedule) next(ctx context.Context) (time.Time, bool) {
	if s.interval == 0 {
		return time.Now(), ctx.Err() == nil
	}
	s.mu.Lock()
	due := s.start.Add(time.Duration(s.n) * s.interval)
	s.n++
	s.mu.Unlock()
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return due, false
		case <-t.C:
		}
	}
	return due, ctx.Err() == nil
}

// do sends one request of op to base and returns its status (0 on failure).
func (r *runner) do(ctx context.Context, base, op string, rng *rand.Rand) int {
	p := r.pool[rng.IntN(len(r.pool))]
	switch op {
	case OpLookup:
		return r.send(ctx, base, "GET", "/v1/citizens/"+p.PIN+"?purpose="+url.QueryEscape(r.purpose), r.clientToken(ctx), nil)
	case OpBatch:
		pins := make([]string, 20)
		for i := range pins {
			pins[i] = r.pool[rng.IntN(len(r.pool))].PIN
		}
		return r.send(ctx, base, "POST", "/v1/citizens/batch?purpose="+url.QueryEscape(r.purpose), r.clientToken(ctx), map[string]any{"pins": pins})
	case OpRead:
		return r.send(ctx, base, "GET", "/v1/citizens/"+p.PIN, r.cfg.AdminToken, nil)
	case OpSearch:
		q := url.Values{"name": {p.Name}, "limit": {"20"}}
		if p.BirthYear > 0 {
			q.Set("birth_year", strconv.Itoa(p.BirthYear))
		}
		return r.send(ctx, base, "GET", "/v1/citizens?"+q.Encode(), r.cfg.AdminToken, nil)
	case OpEvent:
		return r.send(ctx, base, "POST", "/v1/events", r.cfg.AdminToken, map[string]any{
			"type": "correction", "subject": p.PIN, "effective_date": time.Now().Format(time.DateOnly),
			"reason": "dancu bench: load test correction",
			"data":   map[string]any{"field": "phone", "value": fmt.Sprintf("09%08d", rng.IntN(100_000_000))},
		})
	}
	return 0
}

// send makes one request and reads the whole answer.
func (r *runner) send(ctx context.Context, base, method, path, token string, body any) int {
	status, _, err := r.call(ctx, base, method, path, token, body)
	if err != nil {
		return 0
	}
	return status
}

func (r *runner) call(ctx context.Context, base, method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
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
			status, b, err := r.call(ctx, r.cfg.URLs[0], "GET", "/v1/citizens?"+q.Encode(), r.cfg.AdminToken, nil)
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

// setUpAgency registers the bench's agency and client; token renews the
// client's token from then on.
func (r *runner) setUpAgency(ctx context.Context) error {
	r.purpose = "bench.load-test"
	a, err := SetUpAgency(ctx, r.client, r.cfg.URLs[0], r.cfg.Issuer, r.cfg.AdminToken, r.purpose)
	if err != nil {
		return err
	}
	r.agency = a
	return nil
}

// clientToken returns the agency client's access token, renewing it when
// less than a minute of it is left: a run may outlast a token (5 minutes
// by default). A failed renewal keeps the old token, whose refusals are
// then counted.
func (r *runner) clientToken(ctx context.Context) string {
	r.tokenMu.Lock()
	defer r.tokenMu.Unlock()
	if time.Until(r.agency.Expires) < time.Minute && time.Now().After(r.renewAfter) {
		if err := r.agency.Renew(ctx); err != nil {
			r.renewAfter = time.Now().Add(5 * time.Second) // not on every request
		}
	}
	return r.agency.Token
}

// Agency is an agency SetUpAgency registered, with its one API client.
type Agency struct {
	// ID names both the agency and its client.
	ID string
	// Token is the client's access token, valid until Expires.
	Token   string
	Expires time.Time

	client   *http.Client
	tokenURL string // where to ask for tokens
	audience string // the token endpoint as the server names it
	key      ed25519.PrivateKey
}

// SetUpAgency registers, through the administrator's API at baseURL, an
// agency with a grant for purpose (full name, birth date and sex) and an API
// client with a fresh Ed25519 key, and gets the client an access token by
// private_key_jwt. issuer is the server's public URL, the audience of the
// client's assertion. The fault tests use it too: an agency's client is the
// only way to upload a linked dataset.
func SetUpAgency(ctx context.Context, client *http.Client, baseURL, issuer, adminToken, purpose string) (*Agency, error) {
	id := "bench-" + strings.ToLower(crand.Text()[:8])
	baseURL = strings.TrimRight(baseURL, "/")
	r := &runner{client: client}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	jwk := jose.JSONWebKey{Key: pub, KeyID: "bench-1", Algorithm: string(jose.EdDSA), Use: "sig"}
	steps := []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/admin/agencies", map[string]any{"id": id, "name": "Load test " + id, "kind": "other"}},
		{"PUT", "/v1/admin/agencies/" + id + "/grants/" + purpose, map[string]any{
			"legal_basis": "Load test of a staging installation (dancu bench)",
			"fields":      []string{"full_name", "birth_date", "sex"}}},
		{"POST", "/v1/admin/clients", map[string]any{"client_id": id, "agency": id, "name": "dancu bench",
			"jwks": map[string]any{"keys": []any{jwk}}}},
	}
	for _, s := range steps {
		status, b, err := r.call(ctx, baseURL, s.method, s.path, adminToken, s.body)
		if err != nil || status >= 300 {
			return nil, fmt.Errorf("set up the bench agency: %s %s: %d %s %v", s.method, s.path, status, b, err)
		}
	}
	a := &Agency{ID: id, client: client, tokenURL: baseURL + "/v1/oauth/token",
		audience: strings.TrimRight(issuer, "/") + "/v1/oauth/token", key: priv}
	if err := a.Renew(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Renew gets the client a new access token with a fresh assertion.
func (a *Agency) Renew(ctx context.Context) error {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: a.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), "bench-1"))
	if err != nil {
		return err
	}
	now := time.Now()
	assertion, err := jwt.Signed(sig).Claims(jwt.Claims{
		Issuer: a.ID, Subject: a.ID, Audience: jwt.Audience{a.audience}, ID: crand.Text(),
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)),
	}).Serialize()
	if err != nil {
		return err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_assertion": {assertion},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}
	req, err := http.NewRequestWithContext(ctx, "POST", a.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("bench client token: %w", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error_description"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	if resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		return fmt.Errorf("bench client token: %d %s (is --issuer the server's DANCU_PUBLIC_URL?)", resp.StatusCode, tok.Error)
	}
	a.Token, a.Expires = tok.AccessToken, now.Add(time.Duration(tok.ExpiresIn)*time.Second)
	return nil
}

package exchange_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/exchange/exchangetest"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

const (
	adminToken = "test-admin-token-0123456789"
	issuer     = "https://dancu.test"
	tokenURL   = issuer + exchange.TokenPath
)

// backend opens a fresh store of one kind for a test.
type backend struct {
	name string
	open func(t testing.TB) store.Store
}

// backends are the stores every store-dependent test runs on: SQLite
// always, PostgreSQL where DANCU_TEST_POSTGRES is set.
var backends = []backend{
	{"sqlite", func(t testing.TB) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t testing.TB) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
		if err != nil {
			t.Fatalf("postgres.Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

// forEachBackend runs fn as a subtest on each backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, open func(testing.TB) store.Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.open)
		})
	}
}

// env is a dancu server with the exchange mounted, over one store.
type env struct {
	t   testing.TB
	st  store.Store
	svc *exchange.Service
	rec *audittest.Recorder
	ts  *httptest.Server
	h   http.Handler
}

// The people every env holds.
var (
	personAn = &registry.Person{
		PIN: "079090000123", FullName: "Nguyễn Văn An", BirthDate: registry.MustParseDate("1990-05-17"),
		Sex: registry.Male, Ethnicity: "01", Nationality: "VN", MaritalStatus: registry.Single,
		Phone: "0901234567", Email: "an@example.vn", BloodType: "O+",
		PermanentResidence: &registry.Residence{Province: "79", Commune: "26734", Address: "12 Lê Lợi", ValidFrom: registry.MustParseDate("2010-01-01")},
		Status:             registry.Status{State: registry.Alive},
	}
	personHoa = &registry.Person{
		PIN: "001185000456", FullName: "Trần Thị Hoà", BirthDate: registry.MustParseDate("1985"),
		Sex: registry.Female, Ethnicity: "01", Nationality: "VN", MaritalStatus: registry.Widowed,
		Status: registry.Status{State: registry.Dead, Date: registry.MustParseDate("2024-02-03")},
	}
)

func newEnv(t testing.TB, st store.Store) *env {
	t.Helper()
	ctx := context.Background()
	for _, p := range []*registry.Person{personAn, personHoa} {
		row, err := registry.PersonRow(p, 1)
		if err != nil {
			t.Fatal(err)
		}
		err = st.Update(ctx, func(tx store.Tx) error {
			return tx.PutPerson(ctx, store.PersonVersion{PersonRow: row, Change: store.Change{
				EventID: "ev-" + p.PIN, EventType: "initial_registration", Actor: "test", Reason: "test",
				ValidFrom: "2020-01-01", RecordedAt: time.Now().UTC(),
			}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return newEnvNoPeople(t, st)
}

// clientKey is a client's signing key pair.
type clientKey struct {
	priv jose.JSONWebKey
	pub  jose.JSONWebKey
}

func newKey(t testing.TB, kid string) clientKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv := jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}
	return clientKey{priv: priv, pub: priv.Public()}
}

func jwksOf(t testing.TB, keys ...clientKey) exchange.JSONWebKeySet {
	t.Helper()
	var set exchange.JSONWebKeySet
	for _, k := range keys {
		b, err := k.pub.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		set.Keys = append(set.Keys, b)
	}
	return set
}

// assertion signs client-assertion claims with k.
func assertion(t testing.TB, k clientKey, c jwt.Claims) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), k.priv.KeyID))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(sig).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims are valid assertion claims for client.
func claims(client string) jwt.Claims {
	now := time.Now()
	return jwt.Claims{
		Issuer: client, Subject: client, Audience: jwt.Audience{tokenURL},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)),
		ID: rand.Text(),
	}
}

// tokenForm posts a token request and returns the status and decoded body.
func (e *env) tokenForm(form url.Values) (int, map[string]any, http.Header) {
	e.t.Helper()
	resp, err := http.PostForm(e.ts.URL+exchange.TokenPath, form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		e.t.Fatalf("token response is not JSON: %v", err)
	}
	return resp.StatusCode, body, resp.Header
}

func assertionForm(a string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {exchange.AssertionType},
		"client_assertion":      {a},
	}
}

// token gets an access token for a client with key k.
func (e *env) token(client string, k clientKey) string {
	e.t.Helper()
	status, body, _ := e.tokenForm(assertionForm(assertion(e.t, k, claims(client))))
	if status != http.StatusOK {
		e.t.Fatalf("token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

// do sends a request with a bearer token and returns the status and body.
func (e *env) do(method, path, bearer string, body any, hdr ...string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// setup registers an agency with one client (key k) and one grant.
func (e *env) setup(agency, client string, k clientKey, g exchange.Grant) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.svc.AddAgency(ctx, exchange.Agency{ID: agency, Name: "Agency " + agency, Kind: "insurer"}); err != nil && !errors.Is(err, store.ErrExists) {
		e.t.Fatal(err)
	}
	if client != "" {
		_, err := e.svc.AddClient(ctx, exchange.Client{ID: client, Agency: agency, Name: "system", JWKS: jwksOf(e.t, k)})
		if errors.Is(err, store.ErrExists) {
			// A benchmark runs its body again on the same store.
			_, err = e.svc.SetClientKeys(ctx, client, jwksOf(e.t, k))
		}
		if err != nil {
			e.t.Fatal(err)
		}
	}
	if g.Purpose != "" {
		g.Agency = agency
		if g.LegalBasis == "" {
			g.LegalBasis = "Law on Social Insurance 2024, art. 30"
		}
		if _, err := e.svc.SetGrant(ctx, g); err != nil {
			e.t.Fatal(err)
		}
	}
}

func keysOf(t testing.TB, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	return m
}

// newEnvNoPeople is a server over st as it is, such as a second server over
// a store newEnv already filled.
func newEnvNoPeople(t testing.TB, st store.Store) *env {
	t.Helper()
	rec := &audittest.Recorder{}
	stack := exchangetest.New(t, st, rec, issuer, adminToken)
	e := &env{t: t, st: st, svc: stack.Exchange, rec: rec, h: stack.API}
	e.ts = httptest.NewServer(stack.API)
	t.Cleanup(e.ts.Close)
	return e
}

package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// backend opens a fresh store of one kind for a test.
type backend struct {
	name string
	open func(t testing.TB) store.Store
}

// backends: SQLite always, PostgreSQL where DANCU_TEST_POSTGRES is set.
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

func openSQLite(t testing.TB) store.Store { return backends[0].open(t) }

// People on record in every env.
var (
	personAn = &registry.Person{
		PIN: "079090000123", FullName: "Nguyễn Văn An", BirthDate: registry.MustParseDate("1990-05-17"),
		Sex: registry.Male, Ethnicity: "01", Nationality: "VN", MaritalStatus: registry.Single,
		Phone: "0901234567", HouseholdID: "HH-1", RelationshipToHead: "head",
		PermanentResidence: &registry.Residence{Province: "79", Commune: "26734", Address: "12 Lê Lợi", ValidFrom: registry.MustParseDate("2010-01-01")},
		Status:             registry.Status{State: registry.Alive},
	}
	personMai = &registry.Person{
		PIN: "001185000456", FullName: "Trần Thị Mai", BirthDate: registry.MustParseDate("1985"),
		Sex: registry.Female, Ethnicity: "01", Nationality: "VN", MaritalStatus: registry.Married,
		Status: registry.Status{State: registry.Alive},
	}
)

// The citizens' sessions, by cookie value.
var (
	userAn  = oidc.User{AccountID: "acc-an", PIN: personAn.PIN, Level: 2, SessionID: "sess-an", AMR: []string{"pwd", "otp"}}
	userMai = oidc.User{AccountID: "acc-mai", PIN: personMai.PIN, Level: 1, SessionID: "sess-mai", AMR: []string{"pwd", "totp"}}
)

const sessionCookie = "test_session"

// fakeSessions is the portal as the provider sees it: a cookie naming a
// session.
type fakeSessions struct {
	mu    sync.Mutex
	users map[string]oidc.User
}

func (f *fakeSessions) Current(r *http.Request) (oidc.User, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return oidc.User{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[c.Value]
	return u, ok
}

// SignOut ends u's session, as the portal does.
func (f *fakeSessions) SignOut(w http.ResponseWriter, _ *http.Request, u oidc.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, u.SessionID)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1})
	return nil
}

// fakeOrgs is who represents which organisation, as package eid would
// answer.
type fakeOrgs struct {
	mu  sync.Mutex
	rep map[string][]oidc.Organisation // representative's account → organisations
}

func (f *fakeOrgs) Represented(_ context.Context, accountID string) ([]oidc.Organisation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]oidc.Organisation(nil), f.rep[accountID]...), nil
}

func (f *fakeOrgs) set(accountID string, orgs ...oidc.Organisation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rep[accountID] = orgs
}

// env is a dancu server with the provider mounted, over one store.
type env struct {
	t        testing.TB
	st       store.Store
	p        *oidc.Provider
	rec      *audittest.Recorder
	ts       *httptest.Server
	issuer   string
	sessions *fakeSessions
	orgs     *fakeOrgs
	rp       *httptest.Server // the relying party's callback
}

func newEnv(t testing.TB, st store.Store) *env {
	t.Helper()
	return newEnvWith(t, st, nil)
}

// newEnvWith builds an env whose provider records accesses with rec (the
// in-memory recorder when nil).
func newEnvWith(t testing.TB, st store.Store, recorder audit.Recorder) *env {
	t.Helper()
	ctx := context.Background()
	for _, p := range []*registry.Person{personAn, personMai} {
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
	a, _, err := auth.Setup(ctx, st, "test-admin-token-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(st)
	rec := &audittest.Recorder{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, rec: rec, issuer: "http://" + ln.Addr().String(),
		sessions: &fakeSessions{users: map[string]oidc.User{}}, orgs: &fakeOrgs{rep: map[string][]oidc.Organisation{}}}
	var r audit.Recorder = rec
	if recorder != nil {
		r = recorder
	}
	e.p, err = oidc.New(ctx, oidc.Deps{Store: st, Registry: reg, Datasets: st, Sessions: e.sessions, Organisations: e.orgs, Recorder: r, Logger: log},
		oidc.Options{Issuer: e.issuer})
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Deps{Registry: reg, Store: st, Auth: a, Logger: log, Recorder: rec})
	e.p.Mount(srv.Mux())
	e.ts = httptest.NewUnstartedServer(srv)
	e.ts.Listener.Close()
	e.ts.Listener = ln
	e.ts.Start()
	t.Cleanup(e.ts.Close)
	e.rp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "rp") }))
	t.Cleanup(e.rp.Close)
	return e
}

// signIn gives a browser a portal session for u.
func (e *env) signIn(u oidc.User) *browser {
	e.sessions.mu.Lock()
	if u.AuthTime.IsZero() {
		u.AuthTime = time.Now().Add(-time.Minute)
	}
	e.sessions.users[u.SessionID] = u
	e.sessions.mu.Unlock()
	b := e.browser()
	base, _ := url.Parse(e.issuer)
	b.jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Value: u.SessionID, Path: "/"}})
	return b
}

// browser follows redirects within the provider and stops at the relying
// party's callback or the portal's sign-in page.
type browser struct {
	e   *env
	jar *cookiejar.Jar
	c   *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{e: e, jar: jar}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(r.URL.String(), e.issuer) || strings.HasPrefix(r.URL.Path, "/portal/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// get fetches a URL, returning the final response's status, Location and body.
func (b *browser) get(u string) (int, *url.URL, string, http.Header) {
	b.e.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return finish(b.e.t, resp)
}

func (b *browser) post(u string, form url.Values) (int, *url.URL, string, http.Header) {
	b.e.t.Helper()
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return finish(b.e.t, resp)
}

func finish(t testing.TB, resp *http.Response) (int, *url.URL, string, http.Header) {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var loc *url.URL
	if l := resp.Header.Get("Location"); l != "" {
		loc, _ = resp.Request.URL.Parse(l)
	}
	return resp.StatusCode, loc, string(body), resp.Header
}

var (
	reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	reID   = regexp.MustCompile(`name="id" value="([^"]+)"`)
)

// consent submits the decision on a consent page's body.
func (b *browser) consent(page, decision string) (int, *url.URL, string, http.Header) {
	b.e.t.Helper()
	csrf, id := reCSRF.FindStringSubmatch(page), reID.FindStringSubmatch(page)
	if csrf == nil || id == nil {
		b.e.t.Fatalf("not a consent page:\n%s", page)
	}
	return b.post(b.e.issuer+oidc.LoginPath, url.Values{"id": {id[1]}, "csrf": {csrf[1]}, "decision": {decision}})
}

// ecKey is a relying party's signing key pair for private_key_jwt.
func ecKey(t testing.TB, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}
}

var reBack = regexp.MustCompile(`id="back" class="btn" href="([^"]+)"`)

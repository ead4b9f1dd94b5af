package portal

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// fakePeople is a hand-written registry of a few people.
type fakePeople map[string]*registry.Person

func (f fakePeople) Person(_ context.Context, pin string, _ registry.Date) (*registry.Record, error) {
	if err := registry.CheckPIN("pin", pin); err != nil {
		return nil, err
	}
	p, ok := f[pin]
	if !ok {
		return nil, &registry.Error{Kind: registry.NotFound, Field: "pin", Reason: "person not found"}
	}
	return &registry.Record{Person: p, Version: 1}, nil
}

const (
	pinAdult = "079190000001"
	phone    = "0912345678"
	card     = "079190000001"
	password = "correct horse battery"
)

func people() fakePeople {
	return fakePeople{pinAdult: {
		PIN: pinAdult, FullName: "Nguyễn Văn Hoà", BirthDate: registry.MustParseDate("1990-05-17"), Sex: registry.Male,
		Status: registry.Status{State: registry.Alive}, Phone: phone, Ethnicity: "01", Nationality: "VN",
		Documents: []registry.Document{{Kind: registry.CanCuoc, Number: card, Chip: true, Status: "valid", IssueDate: registry.MustParseDate("2024-07-01")}},
	}}
}

// fakeSMS keeps what was sent.
type fakeSMS struct {
	mu   sync.Mutex
	text []string
}

func (f *fakeSMS) Send(_ context.Context, _, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.text = append(f.text, text)
	return nil
}

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

func (f *fakeSMS) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.text) == 0 {
		return ""
	}
	return codeRE.FindString(f.text[len(f.text)-1])
}

// fakeApps is a hand-written ConnectedApps.
type fakeApps struct {
	mu      sync.Mutex
	apps    []ConnectedApp
	revoked []string
	// holders are the accounts whose consents were revoked, in order.
	holders []string
}

func (f *fakeApps) List(context.Context, eid.Citizen) ([]ConnectedApp, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ConnectedApp(nil), f.apps...), nil
}

func (f *fakeApps) Revoke(_ context.Context, c eid.Citizen, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = append(f.revoked, id)
	f.holders = append(f.holders, c.AccountID)
	return nil
}

// RevokeAccount implements eid.Grants: every consent of the account.
func (f *fakeApps) RevokeAccount(_ context.Context, accountID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holders = append(f.holders, accountID)
	f.revoked = append(f.revoked, "*")
	return nil
}

// env is a portal over a real store, a real access log and the eid
// service, with fakes at the registry and SMS boundaries.
type env struct {
	srv  *httptest.Server
	eid  *eid.Service
	log  *audit.Log
	sms  *fakeSMS
	apps *fakeApps
	h    *Handler
}

func newEnv(t *testing.T, sections ...Section) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e := &env{sms: &fakeSMS{}, apps: &fakeApps{}, log: l}
	cfg := eid.DefaultConfig()
	cfg.Params = credential.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	e.eid = eid.New(eid.Deps{Store: st, Nonces: st, People: people(), SMS: e.sms, Recorder: l, Grants: e.apps}, cfg)
	e.h = New(Deps{EID: e.eid, People: people(), Tracker: l, Apps: e.apps})
	for _, s := range sections {
		e.h.AddSection(s)
	}
	mux := http.NewServeMux()
	e.h.Mount(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see them.
type browser struct {
	t *testing.T
	c *http.Client
	e *env
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token the browser's forms carry.
func (b *browser) csrf() string {
	b.t.Helper()
	resp, body := b.get("/portal/signin")
	if resp.StatusCode == http.StatusSeeOther { // signed in: the header's sign-out form
		_, body = b.get("/portal/")
	}
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatal("no CSRF token on the sign-in page")
	}
	return m[1]
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.srv.URL)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var hiddenRE = func(name string) *regexp.Regexp {
	return regexp.MustCompile(`name="` + name + `" value="([^"]+)"`)
}

// register registers the adult through the portal's forms.
func (b *browser) register() {
	b.t.Helper()
	tok := b.csrf()
	_, body := b.post("/portal/register", url.Values{"csrf": {tok}, "pin": {pinAdult}, "full_name": {"Nguyễn Văn Hoà"}, "birth_date": {"1990-05-17"}, "phone": {phone}})
	m := hiddenRE("step").FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no code step in the answer: %.300s", body)
	}
	b.e.eid.Flush()
	resp, _ := b.post("/portal/register/code", url.Values{"csrf": {tok}, "step": {m[1]}, "code": {b.e.sms.last()}, "password": {password}, "password2": {password}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/security?welcome=1" {
		b.t.Fatalf("registration: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// signIn signs in through the forms with an SMS code and returns where the
// portal sent the browser.
func (b *browser) signIn(next string) string {
	b.t.Helper()
	tok := b.csrf()
	_, body := b.post("/portal/signin", url.Values{"csrf": {tok}, "pin": {pinAdult}, "password": {password}, "next": {next}})
	m := hiddenRE("pending").FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no second step: %.300s", body)
	}
	b.post("/portal/signin/sms", url.Values{"csrf": {tok}, "pending": {m[1]}, "next": {next}})
	b.e.eid.Flush()
	resp, _ := b.post("/portal/signin/verify", url.Values{"csrf": {tok}, "pending": {m[1]}, "method": {"sms"}, "code": {b.e.sms.last()}, "next": {next}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("verify: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

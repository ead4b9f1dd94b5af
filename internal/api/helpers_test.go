package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/match/linkage"
	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// testToken is the administrator token every test server accepts.
const testToken = "test-admin-token-0123456789"

// now is the registry's clock in tests: events may be dated up to this day.
var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// syncBuffer collects log output written from concurrent requests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is a server over a fresh SQLite store holding one household of
// three and two other people.
type fixture struct {
	t      testing.TB
	srv    *api.Server
	store  *sqlite.Store
	reg    *registry.Registry
	logs   *syncBuffer
	people map[string]*registry.Person // by short name: an, hoa, binh, minh, lan
	hh     *registry.Household
	rec    *audittest.Recorder
}

// options change how newFixture builds the server.
type options struct {
	wrapStore func(store.Store) store.Store
	pinger    api.Pinger
	writable  api.WriteChecker
	logTo     io.Writer // instead of the fixture's buffer, at info level
	recordErr error     // the recorder fails every Record with it
	screen    bool      // check registrations for people on record (linkage)
}

func newFixture(t testing.TB) *fixture { return newFixtureWith(t, options{}) }

func newFixtureWith(t testing.TB, o options) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	var st store.Store = s
	if o.wrapStore != nil {
		st = o.wrapStore(s)
	}
	regOpts := []registry.Option{registry.WithClock(func() time.Time { return now })}
	if o.screen {
		regOpts = append(regOpts, registry.WithScreen(linkage.NewScreen(linkage.NewService(s), slog.New(slog.DiscardHandler))))
	}
	reg := registry.New(st, regOpts...)
	a, _, err := auth.Setup(ctx, s, testToken)
	if err != nil {
		t.Fatalf("auth.Setup: %v", err)
	}
	logs := &syncBuffer{}
	var logger *slog.Logger
	if o.logTo != nil {
		logger = slog.New(slog.NewJSONHandler(o.logTo, nil))
	} else {
		logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var pinger api.Pinger = st
	if o.pinger != nil {
		pinger = o.pinger
	}
	rec := audittest.Failing(o.recordErr)
	f := &fixture{
		t: t, store: s, reg: reg, logs: logs, rec: rec,
		srv: api.New(api.Deps{Registry: reg, Store: pinger, Auth: a, Logger: logger, Version: "test", Recorder: rec, Writable: o.writable}),
	}
	f.seed()
	return f
}

func mustPIN(t testing.TB, province string, year int, sex pin.Sex, serial int) string {
	t.Helper()
	p, err := pin.New(province, year, sex, serial)
	if err != nil {
		t.Fatalf("pin.New: %v", err)
	}
	return p.String()
}

// seed bulk-loads the fixture's people the way the generator does.
func (f *fixture) seed() {
	t := f.t
	home := registry.Residence{Province: "79", Commune: "25747", Address: "12 Đường Số 3", ValidFrom: registry.MustParseDate("2015-06-01")}
	person := func(name string, born string, sex registry.Sex, serial int) *registry.Person {
		ps := pin.Male
		if sex == registry.Female {
			ps = pin.Female
		}
		b := registry.MustParseDate(born)
		return &registry.Person{
			PIN: mustPIN(t, "079", b.Year, ps, serial), FullName: name, BirthDate: b, Sex: sex,
			BirthRegistrationPlace: registry.Place{Province: "79"},
			Ethnicity:              "01", Nationality: "VN", MaritalStatus: registry.Single,
			Status: registry.Status{State: registry.Alive},
		}
	}
	an := person("Nguyễn Văn An", "1980-04-12", registry.Male, 101)
	hoa := person("Lê Thị Hoà", "1982-09-30", registry.Female, 102)
	binh := person("Nguyễn Văn Bình", "2010-01-05", registry.Male, 103)
	minh := person("Trần Đức Minh", "1975-11-20", registry.Male, 104)
	lan := person("Phạm Thị Lan", "1990", registry.Female, 105) // an old record: year only
	hh := &registry.Household{ID: "HTESTHOUSE001", Head: an.PIN, Address: home, Members: []registry.HouseholdMember{
		{PIN: an.PIN, Relationship: registry.RelHead},
		{PIN: hoa.PIN, Relationship: registry.RelSpouse},
		{PIN: binh.PIN, Relationship: registry.RelChild},
	}}
	an.MaritalStatus, hoa.MaritalStatus = registry.Married, registry.Married
	an.Spouse = &registry.Relative{PIN: hoa.PIN, FullName: hoa.FullName, Nationality: "VN"}
	hoa.Spouse = &registry.Relative{PIN: an.PIN, FullName: an.FullName, Nationality: "VN"}
	binh.Father = &registry.Relative{PIN: an.PIN, FullName: an.FullName, Nationality: "VN"}
	binh.Mother = &registry.Relative{PIN: hoa.PIN, FullName: hoa.FullName, Nationality: "VN"}
	an.Children = []registry.Relative{{PIN: binh.PIN, FullName: binh.FullName, Nationality: "VN"}}
	hoa.Children = an.Children
	for _, p := range []*registry.Person{an, hoa, binh} {
		res := home
		p.PermanentResidence, p.HouseholdID = &res, hh.ID
		p.RelationshipToHead = hh.Members[hh.Member(p.PIN)].Relationship
	}
	res := registry.Residence{Province: "01", Commune: "00004", Address: "5 Phố Huế", ValidFrom: registry.MustParseDate("2001-01-01")}
	minh.PermanentResidence = &res

	f.people = map[string]*registry.Person{"an": an, "hoa": hoa, "binh": binh, "minh": minh, "lan": lan}
	f.hh = hh

	change := func(validFrom string) store.Change {
		return store.Change{EventID: "seed", EventType: "bulk_load", Actor: "generator", Reason: "test fixture",
			ValidFrom: validFrom, RecordedAt: now.Add(-24 * time.Hour)}
	}
	var b store.Batch
	for _, p := range f.people {
		row, err := registry.PersonRow(p, 1)
		if err != nil {
			t.Fatal(err)
		}
		b.Persons = append(b.Persons, store.PersonVersion{PersonRow: row, Change: change(p.BirthDate.Earliest().Format(time.DateOnly))})
	}
	hrow, err := registry.HouseholdRow(hh, 1)
	if err != nil {
		t.Fatal(err)
	}
	b.Households = append(b.Households, store.HouseholdVersion{HouseholdRow: hrow, Change: change("2015-06-01")})
	ctx := context.Background()
	l, err := f.store.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Load(ctx, b); err != nil {
		l.Close(ctx)
		t.Fatalf("Load: %v", err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatalf("loader Close: %v", err)
	}
}

// pins returns every PIN and full name on record, for the log checks.
func (f *fixture) secrets() []string {
	var out []string
	for _, p := range f.people {
		out = append(out, p.PIN, p.FullName)
	}
	return out
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem decodes a problem body, checking its media type and status.
func (r response) problem(t *testing.T) api.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != api.ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q (body %s)", ct, api.ProblemContentType, r.body)
	}
	var p api.Problem
	r.json(t, &p)
	if p.Status != r.status {
		t.Errorf("problem status = %d, want the response's %d", p.Status, r.status)
	}
	if p.Title == "" {
		t.Errorf("problem has no title: %s", r.body)
	}
	return p
}

// locations lists the locations named in a problem's errors.
func locations(p api.Problem) []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	return out
}

// req is a request to make against the fixture's server.
type req struct {
	method string
	path   string
	body   string
	header map[string]string
	noAuth bool
}

func (f *fixture) do(r req) response {
	f.t.Helper()
	return serve(f.srv, r)
}

func serve(h http.Handler, r req) response {
	if r.method == "" {
		r.method = http.MethodGet
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if !r.noAuth {
		hr.Header.Set("Authorization", "Bearer "+testToken)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, hr)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (f *fixture) get(path string) response { f.t.Helper(); return f.do(req{path: path}) }

// mustStatus fails the test unless r has the wanted status.
func mustStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
}

// serveChunked posts body to /v1/events without a Content-Length, as a
// chunked upload would arrive.
func serveChunked(f *fixture, body io.Reader) response {
	hr := httptest.NewRequest(http.MethodPost, "/v1/events", struct{ io.Reader }{body})
	hr.ContentLength = -1
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+testToken)
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, hr)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

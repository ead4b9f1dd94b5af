package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// testToken is the administrator token of every test environment.
const testToken = "dancu_test-token-0123456789abcdef"

// testNow is the registry's clock in tests: every effective date of the
// fixture lies before it.
var testNow = time.Date(2026, 3, 15, 10, 0, 0, 0, registry.Vietnam)

// family is the fixture's main household: a couple who registered in 2025,
// married, had a daughter, and whose husband got a card and a temporary
// residence, so that his history has several versions with changes.
type family struct {
	Husband, Wife, Child string
	Household            string
}

// env is a console over a real SQLite store.
type env struct {
	t    *testing.T
	h    *Handler
	mux  *http.ServeMux
	reg  *registry.Registry
	auth *auth.Authenticator
	logs *syncBuffer
	fam  family
	st   *sqlite.Store
	rec  *audittest.Recorder
	// names and pins of everyone in the fixture, for the log check.
	names []string
	pins  []string
}

// syncBuffer is a log sink shared by concurrent requests.
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

// extraPeople are registered alone so that searches have more than one page
// and names that share a prefix.
var extraPeople = []struct {
	name  string
	birth string
	sex   registry.Sex
	comm  string
	prov  string
}{
	{"Nguyễn Văn Anh", "1990-05-20", registry.Male, "26740", "79"},
	{"Nguyễn Văn Bảo", "1979-11-02", registry.Male, "26740", "79"},
	{"Nguyễn Văn Cường", "1985-01-09", registry.Male, "00004", "01"},
	{"Lê Thị Hoa", "1992-08-08", registry.Female, "00004", "01"},
	{"H'Hen Niê", "1995-02-14", registry.Female, "00008", "01"},
}

// fixtures are shared by the tests of the package: building one takes a
// moment and no test changes the registry.
var (
	fixtureOnce sync.Once
	fixture     *env
	fixtureErr  error
)

// fixtureDir holds the shared fixture's database; TestMain removes it.
var fixtureDir string

func osMkdirTemp() (string, error) {
	d, err := os.MkdirTemp("", "dancu-web-test-")
	fixtureDir = d
	return d, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture != nil {
		fixture.st.Close()
	}
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// newEnv returns the shared console. Tests that change the handler's
// settings call newOwnEnv instead.
func newEnv(t *testing.T) *env {
	t.Helper()
	fixtureOnce.Do(func() {
		dir, err := osMkdirTemp()
		if err != nil {
			fixtureErr = err
			return
		}
		fixture, fixtureErr = buildEnv(filepath.Join(dir, "dancu.db"))
	})
	if fixtureErr != nil {
		t.Fatalf("fixture: %v", fixtureErr)
	}
	return fixture
}

func buildEnv(path string) (*env, error) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	a, _, err := auth.Setup(ctx, st, testToken)
	if err != nil {
		return nil, err
	}
	reg := registry.New(st, registry.WithClock(func() time.Time { return testNow }))
	e := &env{reg: reg, auth: a, logs: &syncBuffer{}, st: st}
	if err := e.populate(ctx); err != nil {
		return nil, err
	}
	e.rec = &audittest.Recorder{}
	e.h = New(Deps{Registry: reg, Auth: a, Logger: slogJSON(e.logs), Recorder: e.rec})
	e.h.failDelay = time.Millisecond
	e.h.now = func() time.Time { return testNow }
	e.mux = http.NewServeMux()
	e.h.Mount(e.mux)
	return e, nil
}

func (e *env) submit(ctx context.Context, typ, subject, date, reason string, data any) (*registry.Result, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	res, err := e.reg.Submit(ctx, registry.Submission{Actor: "officer-7", Event: registry.Event{
		Type: typ, Subject: subject, EffectiveDate: registry.MustParseDate(date), Reason: reason, Data: raw,
	}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	return res, nil
}

func (e *env) populate(ctx context.Context) error {
	m := func(kv ...any) map[string]any {
		out := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	place := func(prov, comm string) map[string]any { return m("province", prov, "commune", comm) }
	res, err := e.submit(ctx, "initial_registration", "", "2025-08-01", "Thu thập bổ sung", m(
		"full_name", "Nguyễn Văn An", "birth_date", "1985-03-02", "sex", "male", "ethnicity", "01",
		"registration_place", m("province", "79"), "hometown", m("text", "Hà Tĩnh"),
		"old_id_number", "023456789",
		"address", m("province", "79", "commune", "26740", "address", "12 Lê Lợi"),
	))
	if err != nil {
		return err
	}
	e.fam.Husband = res.PIN
	e.fam.Household = res.Households[0].ID
	res, err = e.submit(ctx, "initial_registration", "", "2025-08-01", "Thu thập bổ sung", m(
		"full_name", "Trần Thị Bình", "birth_date", "1988-07-15", "sex", "female", "ethnicity", "01",
		"registration_place", m("province", "01"), "household_id", e.fam.Household, "relationship", "spouse",
	))
	if err != nil {
		return err
	}
	e.fam.Wife = res.PIN
	if _, err := e.submit(ctx, "marriage", e.fam.Husband, "2025-09-01", "Giấy chứng nhận kết hôn số 12/2025", m("spouse_pin", e.fam.Wife)); err != nil {
		return err
	}
	if _, err := e.submit(ctx, "id_card_issued", e.fam.Husband, "2025-10-01", "Hồ sơ cấp thẻ số 456", m()); err != nil {
		return err
	}
	res, err = e.submit(ctx, "birth_registration", "", "2026-01-20", "Giấy khai sinh số 3/2026", m(
		"full_name", "Nguyễn Minh Châu", "birth_date", "2026-01-10", "sex", "female", "ethnicity", "01",
		"registration_place", place("79", "26740"), "place_of_birth", m("text", "Bệnh viện Từ Dũ", "province", "79"),
		"mother_pin", e.fam.Wife, "father_pin", e.fam.Husband,
	))
	if err != nil {
		return err
	}
	e.fam.Child = res.PIN
	if _, err := e.submit(ctx, "temporary_residence_registration", e.fam.Husband, "2026-02-01", "Đăng ký tạm trú số 9", m(
		"province", "01", "commune", "00004", "address", "5 Phan Đình Phùng",
	)); err != nil {
		return err
	}
	e.names = []string{"Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Minh Châu", "12 Lê Lợi"}
	e.pins = []string{e.fam.Husband, e.fam.Wife, e.fam.Child}
	for _, x := range extraPeople {
		res, err := e.submit(ctx, "initial_registration", "", "2025-08-02", "Thu thập bổ sung", m(
			"full_name", x.name, "birth_date", x.birth, "sex", x.sex, "ethnicity", "01",
			"registration_place", m("province", x.prov),
			"address", m("province", x.prov, "commune", x.comm, "address", "1 Đường Số 1"),
		))
		if err != nil {
			return err
		}
		e.names = append(e.names, x.name)
		e.pins = append(e.pins, res.PIN)
	}
	return nil
}

// do serves one request through the mux, with the cookies given.
func (e *env) do(t *testing.T, req *http.Request, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec.Result()
}

// get requests path with the cookies given (nil ones are skipped, so that
// a test can pass no session).
func (e *env) get(t *testing.T, path string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	var cs []*http.Cookie
	for _, c := range cookies {
		if c != nil {
			cs = append(cs, c)
		}
	}
	resp := e.do(t, req, cs...)
	return resp, readBody(t, resp)
}

// slogJSON logs at debug level so that the console's own request lines (debug
// when the api server logs the request) are checked too.
func slogJSON(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// session returns a valid session cookie, as signing in would set.
func (e *env) session() *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: e.auth.NewSession(auth.Admin, time.Hour)}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return string(b)
}

func postForm(path string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// cookieNamed returns the cookie a response sets under name, or nil.
func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// newServerClient serves the console over a real listener with a cookie jar,
// for flows across several requests.
func newServerClient(t *testing.T, e *env, tls bool) (*httptest.Server, *http.Client) {
	t.Helper()
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(e.mux)
	} else {
		srv = httptest.NewServer(e.mux)
	}
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return srv, c
}

// mustContain fails unless body holds every want.
func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("page contains %q", b)
		}
	}
}

package connect

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/feed"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/web"
)

const (
	testToken = "dancu_test-token-0123456789abcdef"
	// sessionCookie is the console's session cookie (package web).
	sessionCookie = "dancu_console"
)

// env is the console with the connect section over a real SQLite store.
type env struct {
	t     *testing.T
	mux   *http.ServeMux
	st    store.Store
	auth  *auth.Authenticator
	staff *staff.Service
	ex    *exchange.Service
	feeds *feed.Service
	ds    *dataset.Service
	reg   *registry.Registry
	pins  []string
	logs  *logBuffer
	// cookies by who: "admin" (bootstrap), "auditor", "registrar", "stat".
	cookies map[string]*http.Cookie
}

// backends are the stores the handler tests run on; PostgreSQL only where
// DANCU_TEST_POSTGRES names a server (CI starts one).
var backends = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"sqlite", func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}},
	{"postgres", func(t *testing.T) store.Store {
		st, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}},
}

// eachBackend runs fn with a fresh environment on every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, newEnvOn(t, b.open(t))) })
	}
}

// newEnv is an environment on SQLite.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, backends[0].open(t))
}

func newEnvOn(t *testing.T, st store.Store) *env {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { st.Close() })
	var err error
	a, _, err := auth.Setup(ctx, st, testToken)
	if err != nil {
		t.Fatal(err)
	}
	rec := &audittest.Recorder{}
	e := &env{t: t, st: st, auth: a, cookies: map[string]*http.Cookie{}}
	e.reg = registry.New(st)
	e.staff = staff.New(st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	if e.ex, err = exchange.New(ctx, st, e.reg, rec, nil, exchange.Config{Issuer: "https://dancu.test"}); err != nil {
		t.Fatal(err)
	}
	if e.feeds, err = feed.New(ctx, st, e.ex, rec, nil); err != nil {
		t.Fatal(err)
	}
	e.ds = dataset.New(st, e.ex, rec, nil)
	for _, name := range []string{"Nguyễn Văn An", "Trần Thị Bình"} {
		raw, _ := json.Marshal(map[string]any{
			"full_name": name, "birth_date": "1985-03-02", "sex": "male", "ethnicity": "01",
			"registration_place": map[string]any{"province": "01"},
			"address":            map[string]any{"province": "01", "commune": "00004", "address": "Số 1"},
		})
		res, err := e.reg.Submit(ctx, registry.Submission{Actor: "admin", Event: registry.Event{
			Type: "initial_registration", EffectiveDate: registry.MustParseDate("2025-08-01"), Reason: "Thu thập", Data: raw}})
		if err != nil {
			t.Fatal(err)
		}
		e.pins = append(e.pins, res.PIN)
	}
	for name, role := range map[string]staff.Role{"auditor": staff.Auditor, "registrar": staff.Registrar, "stat": staff.Statistician} {
		e.cookies[name] = e.account(name, role)
	}
	e.cookies["admin"] = &http.Cookie{Name: sessionCookie, Value: a.NewSession(auth.Admin, time.Hour)}
	e.mount()
	return e
}

// account creates an officer with a changed password and returns a
// session cookie for them.
func (e *env) account(name string, role staff.Role) *http.Cookie {
	e.t.Helper()
	ctx := context.Background()
	n := staff.NewAccount{Username: name + "1", DisplayName: name, Roles: []staff.Role{role}}
	if role == staff.Registrar {
		n.Scope = []staff.Unit{{Province: "01"}}
	}
	acct, cr, err := e.staff.Create(ctx, n)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.staff.ChangePassword(ctx, acct.ID, cr.Password, "a long new password 123"); err != nil {
		e.t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: e.auth.NewSession(auth.Principal{ID: acct.ID, Kind: "staff"}, time.Hour)}
}

func (e *env) mount() {
	e.mountWith(&audittest.Recorder{}, nil)
}

// mountWith serves the console with rec as its access log and tr as its
// data tracker (nil: none).
func (e *env) mountWith(rec audit.Recorder, tr web.Tracker) {
	e.logs = &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(e.logs, nil))
	console := web.New(web.Deps{Registry: e.reg, Auth: e.auth, Staff: e.staff, Recorder: rec, Tracker: tr, Logger: logger})
	Add(Deps{Console: console, Exchange: e.ex, Feeds: e.feeds, Datasets: e.ds, Logger: logger})
	e.mux = http.NewServeMux()
	console.Mount(e.mux)
}

func (e *env) do(req *http.Request, who string) (*http.Response, string) {
	e.t.Helper()
	if c := e.cookies[who]; c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *env) get(path, who string) (*http.Response, string) {
	e.t.Helper()
	return e.do(httptest.NewRequest(http.MethodGet, path, nil), who)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads who's CSRF token off the section's first page.
func (e *env) csrf(who string) string {
	e.t.Helper()
	_, body := e.get(prefix, who)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no csrf field for %s", who)
	}
	return html.UnescapeString(m[1])
}

// post posts a form as who with their CSRF token (unless form has one).
func (e *env) post(path, who string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", e.csrf(who))
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req, who)
}

// logBuffer is a log sink safe for concurrent requests.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

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

func wantStatus(t *testing.T, what string, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s: status %d (location %q), want %d", what, resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

// jwks returns a public JWK Set of fresh keys with the given kids.
func jwks(t *testing.T, kids ...string) string {
	t.Helper()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	for i, kid := range kids {
		var k jose.JSONWebKey
		if i%2 == 0 {
			pub, _, _ := ed25519.GenerateKey(rand.Reader)
			k = jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: string(jose.EdDSA), Use: "sig"}
		} else {
			priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			k = jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}
		}
		b, err := k.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		set.Keys = append(set.Keys, b)
	}
	b, _ := json.Marshal(set)
	return string(b)
}

func (e *env) agencies() []exchange.Agency {
	e.t.Helper()
	as, err := e.ex.Agencies(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

func (e *env) addAgency(id string) {
	e.t.Helper()
	if _, err := e.ex.AddAgency(context.Background(), exchange.Agency{ID: id, Name: "Bảo hiểm xã hội Việt Nam", Kind: "insurer"}); err != nil {
		e.t.Fatal(err)
	}
}

func TestMessages_sameKeys(t *testing.T) {
	for lang, msgs := range messages {
		for other, omsgs := range messages {
			for k := range msgs {
				if _, ok := omsgs[k]; !ok {
					t.Errorf("%q is in %s but not in %s", k, lang, other)
				}
			}
		}
	}
	// Every event type has a label or, for one added after this page, its
	// code; none shows as a missing message.
	for _, k := range append(registry.EventTypes(), "not_yet_labelled") {
		if got := catalogueFor("vi").Event(k); got == "" || strings.Contains(got, "⟦") {
			t.Errorf("event type %s shows as %q", k, got)
		}
	}
	if got := catalogueFor("en").Event("death"); got != "Death registration" {
		t.Errorf("Event(death) = %q", got)
	}
	for _, k := range exchange.AgencyKinds {
		if !catalogueFor("en").has("kind." + k) {
			t.Errorf("no label for agency kind %s", k)
		}
	}
}

func TestCatalogue_Number(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int64
		want string
	}{{"vi", 27000000, "27.000.000"}, {"en", 27000000, "27,000,000"}, {"en", 999, "999"}, {"vi", 1000, "1.000"}, {"en", -1234, "-1,234"}, {"en", 0, "0"}} {
		if got := catalogueFor(tc.lang).Number(tc.n); got != tc.want {
			t.Errorf("Number(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	if got := catalogueFor("vi").Percent(0.2745); got != "27,4%" && got != "27,5%" {
		t.Errorf("Percent = %q", got)
	}
}

// TestHandler_access checks who may use the section: the bootstrap
// administrator and national administrators; no one else, for reading or
// writing, and without the CSRF token nothing is written.
func TestHandler_access(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		resp, _ := e.get(prefix, "")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login") {
			t.Errorf("signed out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body := e.get(prefix, "admin")
		wantStatus(t, "bootstrap admin", resp, http.StatusOK)
		mustContain(t, body, `href="/console/connect/">Kết nối</a>`, "Cơ quan, tổ chức kết nối")

		e.addAgency("vss")
		for _, who := range []string{"auditor", "registrar", "stat"} {
			for _, path := range []string{prefix, prefix + "agencies/vss", prefix + "datasets", prefix + "agencies/vss/grant"} {
				resp, body := e.get(path, who)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s GET %s: status %d, want 403", who, path, resp.StatusCode)
				}
				mustNotContain(t, body, "Bảo hiểm xã hội Việt Nam", `href="/console/connect/"`)
			}
			// Their own CSRF token does not help them.
			_, page := e.get("/console/password", who)
			tok := ""
			if m := csrfField.FindStringSubmatch(page); m != nil {
				tok = html.UnescapeString(m[1])
			}
			resp, _ := e.post(prefix+"agencies", who, url.Values{"csrf": {tok}, "id": {"evil"}, "name": {"Evil"}, "kind": {"other"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST: status %d, want 403", who, resp.StatusCode)
			}
			resp, _ = e.post(prefix+"agencies/vss/status", who, url.Values{"csrf": {tok}, "status": {"disabled"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST status: %d, want 403", who, resp.StatusCode)
			}
		}
		// No CSRF token, or another session's: refused, nothing written.
		for name, tok := range map[string][]string{"none": nil, "empty": {""}, "other session": {e.csrf("auditor")}} {
			form := url.Values{"id": {"evil"}, "name": {"Evil"}, "kind": {"other"}}
			if tok != nil {
				form["csrf"] = tok
			} else {
				form["csrf"] = []string{""}
			}
			resp, _ := e.post(prefix+"agencies", "admin", form)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("CSRF %s: status %d, want 403", name, resp.StatusCode)
			}
		}
		if ag, _ := e.ex.Agency(context.Background(), "vss"); ag.Status != exchange.Active {
			t.Error("a refused request disabled the agency")
		}
		if n := len(e.agencies()); n != 1 {
			t.Errorf("%d agencies after refused requests, want 1", n)
		}

		// A national administrator's account may; the bootstrap token is then
		// closed.
		natl := e.account("natl", staff.NationalAdmin)
		e.cookies["natl"] = natl
		resp, body = e.get(prefix+"?lang=en", "natl")
		wantStatus(t, "national admin", resp, http.StatusOK)
		mustContain(t, body, `href="/console/connect/">Connections</a>`, "vss")
		resp, _ = e.post(prefix+"agencies", "natl", url.Values{"id": {"bank-vcb"}, "name": {"Vietcombank"}, "kind": {"bank"}})
		wantStatus(t, "national admin adds", resp, http.StatusSeeOther)
	})
}

func TestHandler_addAgency(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		resp, _ := e.post(prefix+"agencies", "admin", url.Values{"id": {"vss"}, "name": {"Bảo hiểm xã hội Việt Nam"}, "kind": {"insurer"}})
		wantStatus(t, "add", resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != prefix+"agencies/vss?done=agency_added" {
			t.Errorf("redirect to %q", loc)
		}
		_, body := e.get(prefix+"agencies/vss?done=agency_added", "admin")
		mustContain(t, body, "Đã thêm cơ quan.", "Bảo hiểm xã hội Việt Nam", "Đang hoạt động")
		_, body = e.get(prefix, "admin")
		mustContain(t, body, `href="/console/connect/agencies/vss"`, "Bảo hiểm")

		for name, tc := range map[string]struct {
			form   url.Values
			status int
			field  string
			msg    string
		}{
			"bad id":       {url.Values{"id": {"VSS 2"}, "name": {"X"}, "kind": {"bank"}}, 400, "agency-id", "Mã phải gồm 1–63 ký tự"},
			"no name":      {url.Values{"id": {"vss2"}, "name": {"  "}, "kind": {"bank"}}, 400, "agency-name", "Cần nhập tên"},
			"long name":    {url.Values{"id": {"vss2"}, "name": {strings.Repeat("x", 301)}, "kind": {"bank"}}, 400, "agency-name", "Cần nhập tên"},
			"bad kind":     {url.Values{"id": {"vss2"}, "name": {"X"}, "kind": {"spaceport"}}, 400, "agency-kind", "Hãy chọn một loại"},
			"taken":        {url.Values{"id": {"vss"}, "name": {"X"}, "kind": {"bank"}}, 409, "agency-id", "Mã này đã được dùng."},
			"missing form": {url.Values{}, 400, "agency-id", "Mã phải gồm"},
		} {
			t.Run(name, func(t *testing.T) {
				resp, body := e.post(prefix+"agencies", "admin", tc.form)
				wantStatus(t, name, resp, tc.status)
				mustContain(t, body, tc.msg)
				// The message sits under its field, and what was typed is kept.
				i, j := strings.Index(body, `id="`+tc.field+`"`), strings.Index(body, tc.msg)
				if i < 0 || j < i {
					t.Errorf("the message is not under the field %s", tc.field)
				}
				if id := tc.form.Get("id"); id != "" {
					mustContain(t, body, `value="`+html.EscapeString(id)+`"`)
				}
				if n := len(e.agencies()); n != 1 {
					t.Errorf("%d agencies, want 1: a refused form wrote", n)
				}
			})
		}
		// English.
		resp, body = e.post(prefix+"agencies?lang=en", "admin", url.Values{"id": {""}, "name": {""}, "kind": {""}})
		wantStatus(t, "english", resp, http.StatusBadRequest)
		mustContain(t, body, "The ID must be 1–63", "The name is required", "Choose a kind from the list.")

		// Status toggle.
		resp, _ = e.post(prefix+"agencies/vss/status", "admin", url.Values{"status": {"disabled"}})
		wantStatus(t, "disable", resp, http.StatusSeeOther)
		if ag, _ := e.ex.Agency(context.Background(), "vss"); ag.Status != exchange.Disabled {
			t.Errorf("status %s after disabling", ag.Status)
		}
		_, body = e.get(prefix+"agencies/vss", "admin")
		mustContain(t, body, "Đã tạm ngừng", "Kích hoạt lại")
		resp, _ = e.post(prefix+"agencies/vss/status", "admin", url.Values{"status": {"active"}})
		wantStatus(t, "enable", resp, http.StatusSeeOther)
		resp, _ = e.post(prefix+"agencies/vss/status", "admin", url.Values{"status": {"deleted"}})
		wantStatus(t, "bad status", resp, http.StatusBadRequest)
		resp, _ = e.post(prefix+"agencies/nobody/status", "admin", url.Values{"status": {"active"}})
		wantStatus(t, "unknown agency", resp, http.StatusNotFound)
		if ag, _ := e.ex.Agency(context.Background(), "vss"); ag.Status != exchange.Active {
			t.Errorf("status %s after enabling and a bad request", ag.Status)
		}
		resp, _ = e.get(prefix+"agencies/nobody", "admin")
		wantStatus(t, "unknown agency page", resp, http.StatusNotFound)
		resp, _ = e.get(prefix+"nothing/here", "admin")
		wantStatus(t, "unknown page", resp, http.StatusNotFound)
	})
}

func TestHandler_clients(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.addAgency("vss")
		keys := jwks(t, "k1")
		resp, _ := e.post(prefix+"agencies/vss/clients", "admin", url.Values{"client_id": {"vss-core"}, "name": {"Hệ thống thu BHXH"}, "jwks": {keys}})
		wantStatus(t, "add client", resp, http.StatusSeeOther)
		cl, err := e.ex.Client(ctx, "vss-core")
		if err != nil || cl.Agency != "vss" || cl.Status != exchange.Active || len(cl.JWKS.Keys) != 1 {
			t.Fatalf("client %+v, %v", cl, err)
		}
		_, body := e.get(prefix+"agencies/vss", "admin")
		mustContain(t, body, "vss-core", "Hệ thống thu BHXH", "k1 (OKP)")

		count := func() int {
			cs, err := e.ex.Clients(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			return len(cs)
		}
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		privJWK, _ := jose.JSONWebKey{Key: priv, KeyID: "secret"}.MarshalJSON()
		noKid, _ := jose.JSONWebKey{Key: &priv.PublicKey}.MarshalJSON()
		for name, tc := range map[string]struct {
			form   url.Values
			status int
			msgs   []string
		}{
			"no keys":     {url.Values{"client_id": {"c2"}, "name": {"X"}, "jwks": {""}}, 400, []string{"Cần dán khoá công khai"}},
			"not json":    {url.Values{"client_id": {"c2"}, "name": {"X"}, "jwks": {"{keys"}}, 400, []string{"Khoá công khai không hợp lệ: jwks: not JSON"}},
			"private key": {url.Values{"client_id": {"c2"}, "name": {"X"}, "jwks": {string(privJWK)}}, 400, []string{"is private"}},
			"no kid":      {url.Values{"client_id": {"c2"}, "name": {"X"}, "jwks": {string(noKid)}}, 400, []string{"needs a kid"}},
			"bad id":      {url.Values{"client_id": {"C 2"}, "name": {""}, "jwks": {keys}}, 400, []string{"Mã phải gồm", "Cần nhập tên"}},
			"taken":       {url.Values{"client_id": {"vss-core"}, "name": {"X"}, "jwks": {keys}}, 409, []string{"Mã này đã được dùng."}},
		} {
			t.Run(name, func(t *testing.T) {
				resp, body := e.post(prefix+"agencies/vss/clients", "admin", tc.form)
				wantStatus(t, name, resp, tc.status)
				mustContain(t, body, tc.msgs...)
				if n := count(); n != 1 {
					t.Errorf("%d clients, want 1", n)
				}
			})
		}
		resp, _ = e.post(prefix+"agencies/nobody/clients", "admin", url.Values{"client_id": {"c3"}, "name": {"X"}, "jwks": {keys}})
		wantStatus(t, "unknown agency", resp, http.StatusNotFound)

		// Disable and enable.
		resp, _ = e.post(prefix+"clients/vss-core/status", "admin", url.Values{"status": {"disabled"}})
		wantStatus(t, "disable", resp, http.StatusSeeOther)
		if cl, _ := e.ex.Client(ctx, "vss-core"); cl.Status != exchange.Disabled {
			t.Errorf("client status %s", cl.Status)
		}
		resp, _ = e.post(prefix+"clients/vss-core/status", "admin", url.Values{"status": {"active"}})
		wantStatus(t, "enable", resp, http.StatusSeeOther)
		resp, _ = e.post(prefix+"clients/vss-core/status", "admin", url.Values{"status": {""}})
		wantStatus(t, "bad status", resp, http.StatusBadRequest)
		resp, _ = e.post(prefix+"clients/nobody/status", "admin", url.Values{"status": {"active"}})
		wantStatus(t, "unknown client", resp, http.StatusNotFound)

		// Rotation: the keys page shows the current set; old and new together,
		// then the new alone.
		resp, body = e.get(prefix+"clients/vss-core/keys", "admin")
		wantStatus(t, "keys page", resp, http.StatusOK)
		mustContain(t, body, "k1 (OKP)", "&#34;kid&#34;: &#34;k1&#34;")
		var cur struct {
			Keys []json.RawMessage `json:"keys"`
		}
		json.Unmarshal([]byte(keys), &cur)
		var next struct {
			Keys []json.RawMessage `json:"keys"`
		}
		json.Unmarshal([]byte(jwks(t, "k2", "k3")), &next)
		both, _ := json.Marshal(map[string]any{"keys": append(cur.Keys, next.Keys...)})
		resp, _ = e.post(prefix+"clients/vss-core/keys", "admin", url.Values{"jwks": {string(both)}})
		wantStatus(t, "replace keys", resp, http.StatusSeeOther)
		if cl, _ := e.ex.Client(ctx, "vss-core"); len(cl.JWKS.Keys) != 3 {
			t.Errorf("%d keys after rollover, want 3", len(cl.JWKS.Keys))
		}
		before, _ := e.ex.Client(ctx, "vss-core")
		resp, body = e.post(prefix+"clients/vss-core/keys", "admin", url.Values{"jwks": {`{"keys": []}`}})
		wantStatus(t, "empty key set", resp, http.StatusBadRequest)
		mustContain(t, body, "at least one key is required", `{&#34;keys&#34;: []}`)
		if after, _ := e.ex.Client(ctx, "vss-core"); after.Version != before.Version {
			t.Error("refused keys were written")
		}
		resp, _ = e.get(prefix+"clients/nobody/keys", "admin")
		wantStatus(t, "unknown client keys", resp, http.StatusNotFound)
	})
}

func TestHandler_grants(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.addAgency("vss")
		if _, err := e.ds.Register(ctx, dataset.Dataset{Name: "vss-si", Kind: "social-insurance", Agency: "vss"}); err != nil {
			t.Fatal(err)
		}
		resp, body := e.get(prefix+"agencies/vss/grant", "admin")
		wantStatus(t, "new grant form", resp, http.StatusOK)
		mustContain(t, body, `name="fields" value="full_name"`, `name="event_types" value="death"`, `name="datasets" value="vss-si"`, "Đăng ký khai tử")

		form := url.Values{"purpose": {"social-insurance.enrolment"}, "legal_basis": {"Luật Bảo hiểm xã hội 2024, Điều 28"},
			"fields": {"full_name", "birth_date"}, "event_types": {"death", "marriage"}, "datasets": {"vss-si"},
			"demographic_check": {"1"}, "status": {"active"}}
		resp, _ = e.post(prefix+"agencies/vss/grants", "admin", form)
		wantStatus(t, "set grant", resp, http.StatusSeeOther)
		gs, _ := e.ex.Grants(ctx, "vss")
		if len(gs) != 1 {
			t.Fatalf("%d grants", len(gs))
		}
		g := gs[0]
		if g.Purpose != "social-insurance.enrolment" || !slices.Equal(g.Fields, []string{"full_name", "birth_date"}) ||
			!slices.Equal(g.EventTypes, []string{"death", "marriage"}) || !slices.Equal(g.Datasets, []string{"vss-si"}) || !g.DemographicCheck || g.Status != exchange.Active {
			t.Errorf("grant %+v", g)
		}
		_, body = e.get(prefix+"agencies/vss", "admin")
		mustContain(t, body, "social-insurance.enrolment", "Luật Bảo hiểm xã hội 2024", "full_name, birth_date", "Đăng ký khai tử, Đăng ký kết hôn", "vss-si")

		// The edit form shows the grant as it is; saving replaces it.
		_, body = e.get(prefix+"agencies/vss/grant?purpose=social-insurance.enrolment", "admin")
		mustContain(t, body, `value="social-insurance.enrolment" readonly`, `value="full_name" checked`, `value="death" checked`, `value="vss-si" checked`, `name="demographic_check" value="1" checked`)
		mustNotContain(t, body, `value="phone" checked`)
		form.Set("edit", "1")
		form["fields"] = []string{"full_name"}
		form.Del("demographic_check")
		form.Set("status", "disabled")
		resp, _ = e.post(prefix+"agencies/vss/grants", "admin", form)
		wantStatus(t, "replace grant", resp, http.StatusSeeOther)
		gs, _ = e.ex.Grants(ctx, "vss")
		if len(gs) != 1 || !slices.Equal(gs[0].Fields, []string{"full_name"}) || gs[0].DemographicCheck || gs[0].Status != exchange.Disabled {
			t.Errorf("replaced grant %+v", gs)
		}
		version := gs[0].Version

		good := func() url.Values {
			return url.Values{"purpose": {"p1"}, "legal_basis": {"Luật"}, "fields": {"full_name"}, "status": {"active"}}
		}
		with := func(k string, v ...string) url.Values {
			f := good()
			if v == nil {
				f.Del(k)
			} else {
				f[k] = v
			}
			return f
		}
		for name, tc := range map[string]struct {
			form url.Values
			msg  string
		}{
			"bad purpose":     {with("purpose", "Mục đích"), "Mã mục đích phải gồm"},
			"no legal basis":  {with("legal_basis"), "Cần nhập căn cứ pháp lý"},
			"unknown field":   {with("fields", "full_name", "password_hash"), "Trường không có trong danh sách: password_hash."},
			"pin not granted": {with("fields", "pin"), "Trường không có trong danh sách: pin."},
			"unknown event":   {with("event_types", "coronation"), "Loại sự kiện không có trong danh sách: coronation."},
			"unknown dataset": {with("datasets", "tax-records"), "Bộ dữ liệu không có trong danh sách: tax-records."},
			"bad status":      {with("status", "maybe"), "Trạng thái không hợp lệ."},
			"purpose exists":  {with("purpose", "social-insurance.enrolment"), "Cơ quan đã có phạm vi cho mục đích này"},
		} {
			t.Run(name, func(t *testing.T) {
				resp, body := e.post(prefix+"agencies/vss/grants", "admin", tc.form)
				want := http.StatusBadRequest
				if name == "purpose exists" {
					want = http.StatusConflict
				}
				wantStatus(t, name, resp, want)
				mustContain(t, body, tc.msg)
				gs, _ := e.ex.Grants(ctx, "vss")
				if len(gs) != 1 || gs[0].Version != version {
					t.Errorf("a refused grant was written: %+v", gs)
				}
			})
		}
		resp, _ = e.get(prefix+"agencies/vss/grant?purpose=nothing", "admin")
		wantStatus(t, "unknown grant", resp, http.StatusNotFound)
		resp, _ = e.post(prefix+"agencies/nobody/grants", "admin", good())
		wantStatus(t, "unknown agency", resp, http.StatusNotFound)
	})
}

func TestHandler_webhooks(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.addAgency("vss")
		_, body := e.get(prefix+"agencies/vss", "admin")
		mustContain(t, body, "Cần cấp một phạm vi có sự kiện")
		mustNotContain(t, body, `id="add-webhook"`)
		if _, err := e.ex.SetGrant(ctx, exchange.Grant{Agency: "vss", Purpose: "insurance", LegalBasis: "Luật", Fields: []string{"full_name"}, EventTypes: []string{"death", "marriage"}}); err != nil {
			t.Fatal(err)
		}
		_, body = e.get(prefix+"agencies/vss", "admin")
		mustContain(t, body, `id="add-webhook"`, `<option value="insurance"`, `name="event_types" value="death"`)

		form := url.Values{"webhook_id": {"vss-main"}, "purpose": {"insurance"}, "url": {"https://hooks.vss.example/dancu"}, "event_types": {"death"}}
		resp, body := e.post(prefix+"agencies/vss/webhooks", "admin", form)
		wantStatus(t, "add webhook", resp, http.StatusCreated)
		secret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`).FindString(html.UnescapeString(body))
		if secret == "" {
			t.Fatal("the new subscription's secret is not shown")
		}
		mustContain(t, body, "chỉ hiển thị một lần này", "https://hooks.vss.example/dancu")
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("the secret's page may be cached: %q", resp.Header.Get("Cache-Control"))
		}
		_, body = e.get(prefix+"agencies/vss", "admin")
		mustContain(t, body, "vss-main", "https://hooks.vss.example/dancu")
		mustNotContain(t, html.UnescapeString(body), secret, "whsec_")
		// The change is logged with who made it; the secret is not.
		mustContain(t, e.logs.String(), `"msg":"connections changed","action":"webhook_added","id":"vss-main","principal":"admin"`)
		mustNotContain(t, e.logs.String(), "whsec_")

		count := func() int {
			subs, _ := e.feeds.Subscriptions(ctx, "")
			return len(subs)
		}
		for name, tc := range map[string]struct {
			form   url.Values
			status int
			msg    string
		}{
			"plain http":      {url.Values{"webhook_id": {"w2"}, "purpose": {"insurance"}, "url": {"http://hooks.vss.example/"}, "event_types": {"death"}}, 400, "url must use https"},
			"not a url":       {url.Values{"webhook_id": {"w2"}, "purpose": {"insurance"}, "url": {"hooks"}, "event_types": {"death"}}, 400, "Cần nhập địa chỉ https đầy đủ"},
			"no grant":        {url.Values{"webhook_id": {"w2"}, "purpose": {"kyc"}, "url": {"https://h.example/"}, "event_types": {"death"}}, 400, "Hãy chọn một phạm vi khai thác"},
			"no events":       {url.Values{"webhook_id": {"w2"}, "purpose": {"insurance"}, "url": {"https://h.example/"}}, 400, "Hãy chọn ít nhất một sự kiện"},
			"event not grant": {url.Values{"webhook_id": {"w2"}, "purpose": {"insurance"}, "url": {"https://h.example/"}, "event_types": {"divorce"}}, 400, "Sự kiện divorce không thuộc phạm vi"},
			"bad id":          {url.Values{"webhook_id": {"W 2"}, "purpose": {"insurance"}, "url": {"https://h.example/"}, "event_types": {"death"}}, 400, "Mã phải gồm"},
			"taken":           {url.Values{"webhook_id": {"vss-main"}, "purpose": {"insurance"}, "url": {"https://h.example/"}, "event_types": {"death"}}, 409, "Mã này đã được dùng."},
		} {
			t.Run(name, func(t *testing.T) {
				resp, body := e.post(prefix+"agencies/vss/webhooks", "admin", tc.form)
				wantStatus(t, name, resp, tc.status)
				mustContain(t, body, tc.msg)
				mustNotContain(t, body, "whsec_")
				if n := count(); n != 1 {
					t.Errorf("%d subscriptions, want 1", n)
				}
			})
		}

		// Disable and enable.
		resp, _ = e.post(prefix+"webhooks/vss-main/status", "admin", url.Values{"status": {"disabled"}})
		wantStatus(t, "disable", resp, http.StatusSeeOther)
		if subs, _ := e.feeds.Subscriptions(ctx, "vss"); subs[0].Status != exchange.Disabled {
			t.Errorf("status %s", subs[0].Status)
		}
		resp, _ = e.post(prefix+"webhooks/vss-main/status", "admin", url.Values{"status": {"active"}})
		wantStatus(t, "enable", resp, http.StatusSeeOther)
		resp, _ = e.post(prefix+"webhooks/vss-main/status", "admin", url.Values{"status": {"x"}})
		wantStatus(t, "bad status", resp, http.StatusBadRequest)
		resp, _ = e.post(prefix+"webhooks/nobody/status", "admin", url.Values{"status": {"active"}})
		wantStatus(t, "unknown webhook", resp, http.StatusNotFound)

		// Dead letters: two messages the relay gave up on.
		consumer := "webhook:vss-main"
		now := time.Now()
		pend := []store.PendingDelivery{
			{Seq: 7, PIN: e.pins[0], Attempts: 12, FirstAt: now.Add(-72 * time.Hour), NextAt: now, LastError: "status 500"},
			{Seq: 9, PIN: e.pins[1], Attempts: 12, FirstAt: now.Add(-72 * time.Hour), NextAt: now, LastError: "timeout"},
		}
		if err := e.st.AdvanceDelivery(ctx, consumer, 10, pend); err != nil {
			t.Fatal(err)
		}
		for _, p := range pend {
			if err := e.st.FinishDelivery(ctx, consumer, p.Seq, true, now); err != nil {
				t.Fatal(err)
			}
		}
		resp, body = e.get(prefix+"webhooks/vss-main/dead-letters?lang=en", "admin")
		wantStatus(t, "dead letters", resp, http.StatusOK)
		mustContain(t, body, "msg_7", "msg_9", "status 500", "timeout", "/console/connect/webhooks/vss-main/dead-letters/7/redeliver")
		mustNotContain(t, body, e.pins[0], e.pins[1])
		_, body = e.get(prefix+"agencies/vss", "admin")
		mustContain(t, body, `href="/console/connect/webhooks/vss-main/dead-letters"`)

		// Redeliver without CSRF: refused; with: back in the retry queue.
		resp, _ = e.post(prefix+"webhooks/vss-main/dead-letters/7/redeliver", "admin", url.Values{"csrf": {"forged"}})
		wantStatus(t, "forged redeliver", resp, http.StatusForbidden)
		resp, _ = e.post(prefix+"webhooks/vss-main/dead-letters/7/redeliver", "admin", url.Values{})
		wantStatus(t, "redeliver", resp, http.StatusSeeOther)
		dead, _ := e.feeds.DeadLetters(ctx, "vss-main", 0, 100)
		if len(dead) != 1 || dead[0].Seq != 9 {
			t.Errorf("dead letters after redelivery: %+v", dead)
		}
		pending, _ := e.st.PendingDeliveries(ctx, consumer, 0, 10)
		if len(pending) != 1 || pending[0].Seq != 7 || pending[0].Attempts != 0 {
			t.Errorf("pending after redelivery: %+v", pending)
		}
		_, body = e.get(prefix+"webhooks/vss-main/dead-letters?done=redelivered&lang=en", "admin")
		mustContain(t, body, "queued for redelivery", "msg_9")
		mustNotContain(t, body, "msg_7")
		for path, want := range map[string]int{
			prefix + "webhooks/vss-main/dead-letters/7/redeliver":   http.StatusNotFound, // no longer dead
			prefix + "webhooks/vss-main/dead-letters/abc/redeliver": http.StatusBadRequest,
			prefix + "webhooks/vss-main/dead-letters/0/redeliver":   http.StatusBadRequest,
			prefix + "webhooks/nobody/dead-letters/9/redeliver":     http.StatusNotFound,
		} {
			resp, _ := e.post(path, "admin", url.Values{})
			if resp.StatusCode != want {
				t.Errorf("POST %s: status %d, want %d", path, resp.StatusCode, want)
			}
		}
		if dead, _ := e.feeds.DeadLetters(ctx, "vss-main", 0, 100); len(dead) != 1 {
			t.Errorf("%d dead letters after refused redeliveries, want 1", len(dead))
		}
		for path, want := range map[string]int{
			prefix + "webhooks/vss-main/dead-letters?after=x":  http.StatusBadRequest,
			prefix + "webhooks/vss-main/dead-letters?after=-1": http.StatusBadRequest,
			prefix + "webhooks/vss-main/dead-letters?after=9":  http.StatusOK,
			prefix + "webhooks/nobody/dead-letters":            http.StatusNotFound,
		} {
			if resp, _ := e.get(path, "admin"); resp.StatusCode != want {
				t.Errorf("GET %s: status %d, want %d", path, resp.StatusCode, want)
			}
		}
	})
}

func TestHandler_datasets(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.addAgency("vss")
		resp, body := e.get(prefix+"datasets", "admin")
		wantStatus(t, "datasets", resp, http.StatusOK)
		mustContain(t, body, "Chưa có bộ dữ liệu nào", "Dân số còn sống: 2 người.", `<option value="social-insurance"`, `<option value="vss"`)

		resp, _ = e.post(prefix+"datasets", "admin", url.Values{"name": {"vss-si"}, "kind": {"social-insurance"}, "agency": {"vss"}})
		wantStatus(t, "register", resp, http.StatusSeeOther)
		d, err := e.ds.Dataset(ctx, "vss-si")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.ds.Put(ctx, d, "vss", "si-1", e.pins[0], json.RawMessage(`{"insurance_code":"0123456789","status":"active"}`)); err != nil {
			t.Fatal(err)
		}
		_, body = e.get(prefix+"datasets?lang=en", "admin")
		mustContain(t, body, "1 living citizens synchronised with vss-si (50.0%)", "Living population: 2 people.")
		_, body = e.get(prefix+"datasets", "admin")
		mustContain(t, body, "1 công dân còn sống đã được đồng bộ với vss-si (50,0%)")

		count := func() int {
			cov, _, _ := e.ds.Datasets(ctx)
			return len(cov)
		}
		for name, tc := range map[string]struct {
			form   url.Values
			status int
			msg    string
		}{
			"bad name":       {url.Values{"name": {"VSS SI"}, "kind": {"passport"}, "agency": {"vss"}}, 400, "Mã phải gồm"},
			"bad kind":       {url.Values{"name": {"p"}, "kind": {"tax"}, "agency": {"vss"}}, 400, "Hãy chọn một loại dữ liệu"},
			"unknown agency": {url.Values{"name": {"p"}, "kind": {"passport"}, "agency": {"nobody"}}, 400, "Hãy chọn một cơ quan"},
			"taken":          {url.Values{"name": {"vss-si"}, "kind": {"passport"}, "agency": {"vss"}}, 409, "Mã này đã được dùng."},
		} {
			t.Run(name, func(t *testing.T) {
				resp, body := e.post(prefix+"datasets", "admin", tc.form)
				wantStatus(t, name, resp, tc.status)
				mustContain(t, body, tc.msg)
				if n := count(); n != 1 {
					t.Errorf("%d datasets, want 1", n)
				}
			})
		}
	})
}

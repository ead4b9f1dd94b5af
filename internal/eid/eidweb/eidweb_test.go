package eidweb

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/web"
)

const sessionCookie = "dancu_console"

// fakePeople is a hand-written registry: one person in Hà Nội (01), one in
// Hồ Chí Minh City (79), each with a valid chip card.
type fakePeople map[string]*registry.Person

func (f fakePeople) Person(_ context.Context, pin string, _ registry.Date) (*registry.Record, error) {
	p, ok := f[pin]
	if !ok {
		return nil, &registry.Error{Kind: registry.NotFound, Field: "pin", Reason: "person not found"}
	}
	return &registry.Record{Person: p, Version: 1}, nil
}

func person(pin, province, commune, phone string) *registry.Person {
	return &registry.Person{
		PIN: pin, FullName: "Nguyễn Văn An", BirthDate: registry.MustParseDate("1990-01-01"), Sex: registry.Male,
		Status: registry.Status{State: registry.Alive}, Phone: phone,
		PermanentResidence: &registry.Residence{Province: province, Commune: commune, Address: "Số 1"},
		Documents:          []registry.Document{{Kind: registry.CanCuoc, Number: pin, Chip: true, Status: "valid"}},
	}
}

const (
	pinHN  = "001190000001"
	pinHCM = "079190000002"
)

type env struct {
	t       *testing.T
	mux     *http.ServeMux
	eid     *eid.Service
	rec     *audittest.Recorder
	grants  *grantsRevoked
	cookies map[string]*http.Cookie
}

// grantsRevoked records the accounts whose relying parties' grants were
// revoked.
type grantsRevoked struct{ ids []string }

func (g *grantsRevoked) RevokeAccount(_ context.Context, id string) error {
	g.ids = append(g.ids, id)
	return nil
}

func newEnv(t *testing.T) *env {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, _, err := auth.Setup(ctx, st, "dancu_test-token-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	people := fakePeople{pinHN: person(pinHN, "01", "00004", "0912345678"), pinHCM: person(pinHCM, "79", "26734", "0987654321")}
	e := &env{t: t, rec: &audittest.Recorder{}, grants: &grantsRevoked{}, cookies: map[string]*http.Cookie{}}
	cfg := eid.DefaultConfig()
	cfg.Params = credential.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	e.eid = eid.New(eid.Deps{Store: st, Nonces: st, People: people, Recorder: e.rec, Grants: e.grants}, cfg)
	for _, p := range []string{pinHN, pinHCM} {
		if _, err := e.eid.Provision(ctx, p, "a good password", eid.Level1, "test"); err != nil {
			t.Fatal(err)
		}
	}
	sv := staff.New(st, staff.WithParams(cfg.Params))
	for name, role := range map[string]staff.Role{"registrar": staff.Registrar, "auditor": staff.Auditor} {
		n := staff.NewAccount{Username: name + "1", DisplayName: name, Roles: []staff.Role{role}}
		if role == staff.Registrar {
			n.Scope = []staff.Unit{{Province: "01"}}
		}
		acct, cr, err := sv.Create(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sv.ChangePassword(ctx, acct.ID, cr.Password, "a long new password 123"); err != nil {
			t.Fatal(err)
		}
		e.cookies[name] = &http.Cookie{Name: sessionCookie, Value: a.NewSession(auth.Principal{ID: acct.ID, Kind: "staff"}, time.Hour)}
	}
	console := web.New(web.Deps{Registry: registry.New(st), Auth: a, Staff: sv, Recorder: e.rec})
	Add(console, e.eid, nil)
	e.mux = http.NewServeMux()
	console.Mount(e.mux)
	return e
}

func (e *env) do(req *http.Request, who string) (*http.Response, string) {
	e.t.Helper()
	req.AddCookie(e.cookies[who])
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *env) post(path, who string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	_, body := e.do(httptest.NewRequest("GET", prefix, nil), who)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no csrf field for %s", who)
	}
	form.Set("csrf", html.UnescapeString(m[1]))
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req, who)
}

func TestHandler_RaiseLevel(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"face not compared", url.Values{"pin": {pinHN}, "card": {pinHN}}, 422, "Hãy xác nhận đã đối chiếu khuôn mặt."},
		{"wrong card", url.Values{"pin": {pinHN}, "card": {"001190009999"}, "face": {"on"}}, 422, "Số thẻ không khớp"},
		{"outside the scope", url.Values{"pin": {pinHCM}, "card": {pinHCM}, "face": {"on"}}, 403, "không cư trú trong địa bàn"},
		{"no account", url.Values{"pin": {"001190000099"}, "card": {"x"}, "face": {"on"}}, 404, "Không có tài khoản"},
		{"raised", url.Values{"pin": {pinHN}, "card": {pinHN}, "face": {"on"}, "station": {"CA phường Ba Đình"}}, 200, "Đã nâng tài khoản lên mức 2"},
	}
	for _, tt := range tests {
		resp, body := e.post(prefix+"level2", "registrar", tt.form)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want %d and %q", tt.name, resp.StatusCode, tt.status, tt.want)
		}
	}
	a, _ := e.eid.AccountByPIN(context.Background(), pinHN)
	if a.Level != eid.Level2 || a.LevelCheck.Officer != "registrar1" || a.LevelCheck.Station != "CA phường Ba Đình" {
		t.Errorf("account after the raise: level %d, check %+v", a.Level, a.LevelCheck)
	}
	if b, _ := e.eid.AccountByPIN(context.Background(), pinHCM); b.Level != eid.Level1 {
		t.Error("an account outside the officer's units was raised")
	}
	var checks int
	for _, ac := range e.rec.All() {
		if ac.Actor == "registrar1" && ac.Purpose == "eid_level2" {
			checks++
			if ac.PIN == pinHCM {
				t.Error("a refused check (outside the scope) was recorded as a read")
			}
		}
	}
	if checks != 2 { // the wrong card and the successful raise read the record
		t.Errorf("%d reads recorded, want 2", checks)
	}
}

func TestHandler_Recover(t *testing.T) {
	e := newEnv(t)
	resp, body := e.post(prefix+"recover", "registrar", url.Values{"pin": {pinHN}, "card": {pinHN}, "face": {"on"}})
	m := regexp.MustCompile(`id="temp-password">([A-Z2-7]+)<`).FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("recover: %d, temporary password shown: %v", resp.StatusCode, m != nil)
	}
	p, err := e.eid.SignIn(context.Background(), pinHN, m[1], eid.Client{Address: "192.0.2.1"})
	if err != nil || !p.MustChangePassword {
		t.Errorf("sign in with the temporary password: %+v, %v", p, err)
	}
}

func TestHandler_Forbidden(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.do(httptest.NewRequest("GET", prefix, nil), "auditor")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("auditor: %d, want 403", resp.StatusCode)
	}
}

func TestHandler_Account(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(httptest.NewRequest("GET", prefix+"account?pin="+pinHN, nil), "registrar")
	if resp.StatusCode != 200 || !strings.Contains(body, `id="support"`) || !strings.Contains(body, "Không bị khoá") {
		t.Fatalf("account page: %d", resp.StatusCode)
	}
	var read bool
	for _, ac := range e.rec.All() {
		read = read || ac.Purpose == "eid_support" && ac.PIN == pinHN && ac.Actor == "registrar1"
	}
	if !read {
		t.Error("the officer's look-up is not in the access log")
	}
	if resp, _ := e.do(httptest.NewRequest("GET", prefix+"account?pin="+pinHCM, nil), "registrar"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("outside the scope: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.do(httptest.NewRequest("GET", prefix+"account?pin=001190000099", nil), "registrar"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("no account: %d, want 404", resp.StatusCode)
	}
}

// An officer hands an organisation to a new representative at the
// counter: refused without the in-person checks, outside the officer's
// units, below level 2; done, the former representative no longer
// represents it and its grants are revoked.
func TestHandler_HandOver(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	former, _ := e.eid.AccountByPIN(ctx, pinHCM)
	if _, err := e.eid.RaiseLevel(ctx, eid.Check{Officer: "test", PIN: pinHCM, Card: pinHCM}); err != nil {
		t.Fatal(err)
	}
	org, err := e.eid.RegisterOrganisation(ctx, eid.Citizen{AccountID: former.ID}, "Công ty Cổ phần Sông Hồng", "0101234565", eid.Client{})
	if err != nil {
		t.Fatal(err)
	}
	form := func(mut func(url.Values)) url.Values {
		f := url.Values{"tax_code": {"0101234565"}, "pin": {pinHN}, "card": {pinHN}, "face": {"on"},
			"station": {"CA phường Ba Đình"}, "document": {"Nghị quyết HĐQT số 05/2026"}}
		if mut != nil {
			mut(f)
		}
		return f
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"face not compared", form(func(f url.Values) { f.Del("face") }), 422, "Hãy xác nhận đã đối chiếu khuôn mặt."},
		{"level 1", form(nil), 422, "cần tài khoản định danh điện tử mức 2"},
		{"bad tax code", form(func(f url.Values) { f.Set("tax_code", "01012") }), 422, "Mã số thuế gồm 10 chữ số"},
		{"no document", form(func(f url.Values) { f.Set("document", "") }), 422, "văn bản về việc thay đổi"},
		{"unknown organisation", form(func(f url.Values) { f.Set("tax_code", "0109999999") }), 404, "Không có tổ chức"},
		{"outside the scope", form(func(f url.Values) { f.Set("pin", pinHCM); f.Set("card", pinHCM) }), 403, "không cư trú trong địa bàn"},
	}
	for _, tt := range tests {
		resp, body := e.post(prefix+"handover", "registrar", tt.form)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want %d and %q", tt.name, resp.StatusCode, tt.status, tt.want)
		}
	}
	if _, err := e.eid.Represented(ctx, org.ID, former.ID); err != nil || len(e.grants.ids) != 0 {
		t.Fatalf("a refused handover changed the organisation: %v, revoked %v", err, e.grants.ids)
	}
	if _, err := e.eid.RaiseLevel(ctx, eid.Check{Officer: "test", PIN: pinHN, Card: pinHN}); err != nil {
		t.Fatal(err)
	}
	resp, body := e.post(prefix+"handover", "registrar", form(nil))
	if resp.StatusCode != 200 || !strings.Contains(body, "Đã chuyển người đại diện") {
		t.Fatalf("handover: %d\n%s", resp.StatusCode, body)
	}
	next, _ := e.eid.AccountByPIN(ctx, pinHN)
	if _, err := e.eid.Represented(ctx, org.ID, former.ID); !errors.Is(err, eid.ErrNotFound) {
		t.Errorf("the former representative still represents the organisation: %v", err)
	}
	if _, err := e.eid.Represented(ctx, org.ID, next.ID); err != nil {
		t.Errorf("the new representative does not: %v", err)
	}
	if len(e.grants.ids) != 1 || e.grants.ids[0] != org.ID {
		t.Errorf("grants revoked: %v", e.grants.ids)
	}
	var read bool
	for _, ac := range e.rec.All() {
		read = read || ac.Purpose == "eid_org_handover" && ac.PIN == pinHN && ac.Actor == "registrar1"
	}
	if !read {
		t.Error("the officer's check of the new representative is not in the access log")
	}
	evs, _, _ := e.eid.Events(ctx, org.ID, 0, 1)
	if len(evs) != 1 || evs[0].Type != eid.EventRepresentativeChanged || evs[0].Officer != "registrar1" || evs[0].Detail != "Nghị quyết HĐQT số 05/2026" {
		t.Errorf("organisation's last event = %+v", evs)
	}
}

// An officer closes an organisation's account on a document: refused
// without one, for an unknown organisation, and outside the officer's
// units (the representative's residence); done, its grants are revoked,
// its representative no longer acts for it, and the read of the
// representative's account is in the access log. Closing it again says it
// was closed.
func TestHandler_CloseOrganisation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	reg := func(pin, name, taxCode string) (*eid.Account, *eid.Account) {
		rep, _ := e.eid.AccountByPIN(ctx, pin)
		if _, err := e.eid.RaiseLevel(ctx, eid.Check{Officer: "test", PIN: pin, Card: pin}); err != nil {
			t.Fatal(err)
		}
		org, err := e.eid.RegisterOrganisation(ctx, eid.Citizen{AccountID: rep.ID}, name, taxCode, eid.Client{})
		if err != nil {
			t.Fatal(err)
		}
		return rep, org
	}
	rep, org := reg(pinHN, "Công ty Cổ phần Sông Hồng", "0101234565")
	reg(pinHCM, "Công ty TNHH Hoà Bình", "0312345673")
	form := func(taxCode, doc string) url.Values {
		return url.Values{"tax_code": {taxCode}, "station": {"CA phường Ba Đình"}, "document": {doc}}
	}
	const doc = "Thông báo giải thể số 45/2026/TB-ĐKKD"
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no document", form("0101234565", " "), 422, "Hãy nhập văn bản làm căn cứ"},
		{"bad tax code", form("01012", doc), 422, "Mã số thuế gồm 10 chữ số"},
		{"unknown organisation", form("0109999999", doc), 404, "Không có tổ chức với mã số thuế này"},
		{"outside the scope", form("0312345673", doc), 403, "không cư trú trong địa bàn"},
	}
	for _, tt := range tests {
		resp, body := e.post(prefix+"close-org", "registrar", tt.form)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want %d and %q", tt.name, resp.StatusCode, tt.status, tt.want)
		}
	}
	if len(e.grants.ids) != 0 {
		t.Fatalf("a refused closing revoked %v", e.grants.ids)
	}
	resp, body := e.post(prefix+"close-org", "registrar", form("0101234565", doc))
	if resp.StatusCode != 200 || !strings.Contains(body, "Đã đóng tài khoản của tổ chức") {
		t.Fatalf("closing: %d\n%s", resp.StatusCode, body)
	}
	if _, err := e.eid.Represented(ctx, org.ID, rep.ID); !errors.Is(err, eid.ErrNotFound) {
		t.Errorf("the representative still acts for the closed organisation: %v", err)
	}
	if len(e.grants.ids) != 1 || e.grants.ids[0] != org.ID {
		t.Errorf("grants revoked: %v", e.grants.ids)
	}
	var read bool
	for _, ac := range e.rec.All() {
		read = read || ac.Purpose == "eid_org_close" && ac.PIN == pinHN && ac.Actor == "registrar1" && ac.Action == "write"
	}
	if !read {
		t.Error("the closing is not in the access log of the representative")
	}
	evs, _, _ := e.eid.Events(ctx, org.ID, 0, 1)
	if len(evs) != 1 || evs[0].Type != eid.EventOrganisationClosed || evs[0].Officer != "registrar1" || evs[0].Detail != doc {
		t.Errorf("organisation's last event = %+v", evs)
	}
	resp, body = e.post(prefix+"close-org", "registrar", form("0101234565", doc))
	if resp.StatusCode != 409 || !strings.Contains(body, "đã bị đóng") || len(e.grants.ids) != 2 {
		t.Errorf("closing again: %d, revoked %v; want 409 and the grants revoked again", resp.StatusCode, e.grants.ids)
	}
}

package rp

import (
	"context"
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
	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/web"
)

type noSessions struct{}

func (noSessions) Current(*http.Request) (oidc.User, bool)                     { return oidc.User{}, false }
func (noSessions) SignOut(http.ResponseWriter, *http.Request, oidc.User) error { return nil }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestHandler_Pages(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, _, err := auth.Setup(ctx, st, "dancu_test-token-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(st)
	rec := &audittest.Recorder{}
	p, err := oidc.New(ctx, oidc.Deps{Store: st, Registry: reg, Sessions: noSessions{}, Recorder: rec},
		oidc.Options{Issuer: "https://id.dancu.test"})
	if err != nil {
		t.Fatal(err)
	}
	sv := staff.New(st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	console := web.New(web.Deps{Registry: reg, Auth: a, Staff: sv, Recorder: rec})
	Add(Deps{Console: console, Provider: p})
	mux := http.NewServeMux()
	console.Mount(mux)

	admin := &http.Cookie{Name: "dancu_console", Value: a.NewSession(auth.Admin, time.Hour)}
	acct, cr, err := sv.Create(ctx, staff.NewAccount{Username: "reg1", DisplayName: "Registrar", Roles: []staff.Role{staff.Registrar},
		Scope: []staff.Unit{{Province: "01"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sv.ChangePassword(ctx, acct.ID, cr.Password, "a long new password 123"); err != nil {
		t.Fatal(err)
	}
	registrar := &http.Cookie{Name: "dancu_console", Value: a.NewSession(auth.Principal{ID: acct.ID, Kind: "staff"}, time.Hour)}

	do := func(method, path string, c *http.Cookie, form url.Values) (int, string, http.Header) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req := httptest.NewRequest(method, path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.AddCookie(c)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		b, _ := io.ReadAll(w.Result().Body)
		return w.Code, string(b), w.Result().Header
	}
	status, page, _ := do("GET", prefix, admin, nil)
	if status != http.StatusOK || !strings.Contains(page, "Bên nhận định danh") {
		t.Fatalf("list = %d:\n%s", status, page)
	}
	csrf := html.UnescapeString(csrfField.FindStringSubmatch(page)[1])
	if status, _, _ := do("GET", prefix, registrar, nil); status != http.StatusForbidden {
		t.Errorf("registrar sees the section: %d", status)
	}

	good := url.Values{"csrf": {csrf}, "id": {"vcb"}, "name": {"Vietcombank"}, "purpose": {"Mở tài khoản"},
		"redirect_uris": {"https://vcb.example.vn/cb"}, "auth": {"client_secret_basic"},
		"scope": {"openid", "profile", "national_id"}, "level": {"2"}, "subject": {"pairwise"}}
	bad := url.Values{"csrf": {csrf}, "id": {"x"}, "name": {""}, "purpose": {"p"},
		"redirect_uris": {"http://evil.example/cb"}, "auth": {"client_secret_basic"}, "scope": {"profile"}, "level": {"3"}}
	status, page, _ = do("POST", prefix, admin, bad)
	if status != http.StatusUnprocessableEntity || !strings.Contains(page, "redirect_uris[0]") || !strings.Contains(page, "required_level") {
		t.Errorf("bad form = %d:\n%s", status, page)
	}
	if rps, _ := p.RPs(ctx); len(rps) != 0 {
		t.Error("a refused form registered something")
	}
	noCSRF := url.Values{}
	for k, v := range good {
		noCSRF[k] = v
	}
	noCSRF.Del("csrf")
	if status, _, _ := do("POST", prefix, admin, noCSRF); status != http.StatusForbidden {
		t.Errorf("form without CSRF = %d", status)
	}
	status, page, hdr := do("POST", prefix, admin, good)
	if status != http.StatusCreated || !strings.Contains(page, `id="rp-secret-value"`) || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("add = %d:\n%s", status, page)
	}
	rp, err := p.RP(ctx, "vcb")
	if err != nil || rp.RequiredLevel != 2 || len(rp.Scopes) != 3 {
		t.Fatalf("registered %+v, %v", rp, err)
	}
	status, _, hdr = do("POST", prefix+"vcb/status", admin, url.Values{"csrf": {csrf}, "status": {"disabled"}})
	if status != http.StatusSeeOther {
		t.Fatalf("disable = %d", status)
	}
	_, page, _ = do("GET", hdr.Get("Location"), admin, nil)
	if !strings.Contains(page, "Tạm dừng") {
		t.Errorf("detail after disabling:\n%s", page)
	}
	status, page, _ = do("POST", prefix+"vcb/secret", admin, url.Values{"csrf": {csrf}})
	if status != http.StatusOK || !strings.Contains(page, "rp-secret-value") {
		t.Errorf("new secret = %d", status)
	}
	if status, _, _ := do("GET", prefix+"nobody", admin, nil); status != http.StatusNotFound {
		t.Errorf("unknown party = %d", status)
	}
}

package card

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/web"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestConsoleSection looks a person's cards up in the console and reports
// the card lost, as a registrar of the person's commune, and is refused as
// a registrar elsewhere.
func TestConsoleSection(t *testing.T) {
	ctx := context.Background()
	st := backends(t)["sqlite"]
	f := newFixture(t, st, 100)
	rec := &audittest.Recorder{}
	f.svc.rec = rec
	if _, err := f.svc.IssuePending(ctx); err != nil {
		t.Fatal(err)
	}
	pin := f.chipHolder(t)
	p, _ := f.reg.Person(ctx, pin, registry.Date{})
	home := p.Person.PermanentResidence
	a, _, err := auth.Setup(ctx, st, "test-admin-token-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	staffSvc := staff.New(st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	h := web.New(web.Deps{Registry: f.reg, Auth: a, Staff: staffSvc, Recorder: rec})
	h.AddSection(f.svc.ConsoleSection(h))
	mux := http.NewServeMux()
	h.Mount(mux)
	ts := httptest.NewServer(mux)
	defer ts.Close()

	session := func(username string, scope staff.Unit) *http.Client {
		acct, cr, err := staffSvc.Create(ctx, staff.NewAccount{Username: username, DisplayName: username, Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{scope}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := staffSvc.ChangePassword(ctx, acct.ID, cr.Password, "a long new password 123"); err != nil {
			t.Fatal(err)
		}
		jar, _ := cookiejar.New(nil)
		u, _ := url.Parse(ts.URL)
		jar.SetCookies(u, []*http.Cookie{{Name: "dancu_console", Value: a.NewSession(auth.Principal{ID: acct.ID, Kind: "staff"}, time.Hour), Path: "/"}})
		return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	other := "01"
	if home.Province == "01" {
		other = "79"
	}
	local := session("local1", staff.Unit{Province: home.Province, Commune: home.Commune})
	away := session("away1", staff.Unit{Province: other})

	get := func(c *http.Client, path string) (int, string) {
		resp, err := c.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(c *http.Client, path string, form url.Values) int {
		req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", ts.URL)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	code, body := get(local, "/console/cards/?pin="+pin)
	if code != 200 || !strings.Contains(body, `data-status="valid"`) {
		t.Fatalf("look-up: %d %.500s", code, body)
	}
	if got := rec.Take(); len(got) != 1 || got[0].PIN != pin || got[0].Actor != "local1" {
		t.Errorf("look-up recorded %+v", got)
	}
	if code, _ := get(local, "/console/cards/?pin=12345"); code != 400 {
		t.Errorf("bad PIN: %d", code)
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF field")
	}
	form := url.Values{"csrf": {m[1]}, "status": {"lost"}, "reason": {"Công dân báo mất"}}
	_, awayBody := get(away, "/console/cards/?pin="+pin)
	am := csrfField.FindStringSubmatch(awayBody)
	if am == nil {
		t.Fatal("no CSRF field for the other registrar")
	}
	awayForm := url.Values{"csrf": {am[1]}, "status": {"lost"}, "reason": {"x"}}
	if code := post(away, "/console/cards/"+pin+"/status", awayForm); code != http.StatusForbidden {
		t.Errorf("a registrar elsewhere changed the card: %d", code)
	}
	if code := post(local, "/console/cards/"+pin+"/status", url.Values{"status": {"lost"}, "reason": {"x"}}); code != http.StatusForbidden {
		t.Errorf("a post without CSRF: %d", code)
	}
	if code := post(local, "/console/cards/"+pin+"/status", form); code != http.StatusSeeOther {
		t.Fatalf("report lost: %d", code)
	}
	if c, _ := f.svc.Current(ctx, pin); c.Status != StatusLost || c.StatusReason != "Công dân báo mất" {
		t.Errorf("after the report: %+v", c)
	}
	if code := post(local, "/console/cards/"+pin+"/status", url.Values{"csrf": {m[1]}, "status": {"replaced"}, "reason": {"x"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("lost to replaced: %d", code)
	}
}

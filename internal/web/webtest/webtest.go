package webtest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/staff"
)

// CSRFField finds a form's CSRF token in a page.
var CSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Client is an officer's browser without a browser: a cookie jar, no
// redirects followed, and the same-origin header the console expects of
// unsafe requests.
type Client struct {
	t    testing.TB
	base string
	hc   *http.Client
}

// Password is the password every officer signed in by Officer has.
const Password = "a long new password 123"

// Officer creates an account with roles and scope in staffSvc, signs it in
// to the console at base and returns its client.
func Officer(t testing.TB, base string, staffSvc *staff.Service, username string, roles []staff.Role, scope ...staff.Unit) *Client {
	t.Helper()
	ctx := context.Background()
	acct, cr, err := staffSvc.Create(ctx, staff.NewAccount{Username: username, DisplayName: username, Roles: roles, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staffSvc.ChangePassword(ctx, acct.ID, cr.Password, Password); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &Client{t: t, base: base, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, body := c.Get("/console/login")
	m := CSRFField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no csrf in the login form")
	}
	resp, _ := c.Post("/console/login", url.Values{"csrf": {m[1]}, "username": {username}, "password": {Password},
		"code": {staff.TOTPCode(cr.Enrolment.Secret, time.Now())}, "next": {"/console/"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("officer sign-in: %d", resp.StatusCode)
	}
	return c
}

// Do sends req and returns the response with its body read.
func (c *Client) Do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// Get fetches path.
func (c *Client) Get(path string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	return c.Do(req)
}

// Post posts form to path.
func (c *Client) Post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

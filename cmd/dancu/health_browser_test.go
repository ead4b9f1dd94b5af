package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dancu/dancu/internal/browsertest"
	"github.com/dancu/dancu/internal/credential"
)

var (
	demoSignIn = regexp.MustCompile(`PIN (\d{12}), password (\S+)`)
	demoSecret = regexp.MustCompile(`secret ([A-Z2-7]+)`)
)

// TestBrowser_portalHealthBook runs serve --demo, has a health agency push a
// vaccination for the demo citizen through the dataset command, and signs
// the citizen in to the portal in Chromium (password and authenticator
// code) to read the health book. DANCU_HEALTH_SCREENSHOT=FILE keeps a
// screenshot of the page.
func TestBrowser_portalHealthBook(t *testing.T) {
	browsertest.Require(t)
	ctx := context.Background()
	data := t.TempDir()
	s := startServe(t, []string{"--addr", "127.0.0.1:0", "--data", data, "--demo", "--demo-citizens", "300"},
		map[string]string{"DANCU_ADMIN_TOKEN": "test-admin-token-0123456789"})
	defer s.stop()
	m, sm := demoSignIn.FindStringSubmatch(s.stdout.String()), demoSecret.FindStringSubmatch(s.stdout.String())
	if m == nil || sm == nil {
		t.Fatalf("no demo citizen in the output:\n%s", s.stdout)
	}
	pin, password, secret := m[1], m[2], sm[1]

	run := func(args ...string) {
		t.Helper()
		var out bytes.Buffer
		if code := Main(ctx, append(args, "--data", data), &out, &out); code != 0 {
			t.Fatalf("dancu %v: %d %s", args, code, out.String())
		}
	}
	run("agency", "add", "--id", "moh", "--name", "Bộ Y tế", "--kind", "ministry")
	run("dataset", "add", "--name", "moh-tcmr", "--kind", "vaccination", "--agency", "moh")
	file := filepath.Join(t.TempDir(), "vax.ndjson")
	lines := fmt.Sprintf(`{"key":"v1","pin":%q,"attributes":{"vaccine":"measles","dose":"1","date":"2020-03-01","facility":"01001","lot":"MV-2001"}}
{"key":"v2","pin":%q,"attributes":{"vaccine":"measles","dose":"2","date":"2021-03-01","facility":"01001"}}
`, pin, pin)
	os.WriteFile(file, []byte(lines), 0o600)
	run("dataset", "upload", "--name", "moh-tcmr", "--file", file)

	bctx := browsertest.New(t, ctx, browsertest.Options{JavaScript: true, Width: 1280, Height: 900})
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, what, steps...)
	}
	step("open the health book: sign-in first",
		chromedp.Navigate(s.base+"/portal/health"),
		chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.SendKeys(chromedp.CSS("#signin-form #pin"), pin),
		chromedp.SendKeys(chromedp.CSS("#signin-form #password"), password),
		chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("totp")),
	)
	step("the authenticator's code; back to the book",
		chromedp.SendKeys(chromedp.ID("totp"), credential.TOTPCode(secret, time.Now())),
		chromedp.Click(chromedp.CSS(`#totp-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("main table")),
	)
	page, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Tiêm chủng", "measles", "MV-2001", "2021-03-01", "Bảo hiểm y tế"} {
		if !strings.Contains(page, want) {
			t.Errorf("the health book does not show %q:\n%s", want, page)
		}
	}
	if path := os.Getenv("DANCU_HEALTH_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, png, 0o600)
	}
}

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

	"github.com/dancu/dancu/internal/credential"
)

const chromiumPath = "/usr/bin/chromium"

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
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("DANCU_REQUIRE_BROWSER") != "" {
			t.Fatalf("no Chromium at %s, and DANCU_REQUIRE_BROWSER is set", chromiumPath)
		}
		t.Skipf("no Chromium at %s; skipping the browser test", chromiumPath)
	}
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

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(tctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
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

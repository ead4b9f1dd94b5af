package web

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dancu/dancu/internal/browsertest"
)

// screenshotEnv names a file to which TestBrowser_signInSearchOpen writes a
// screenshot of the person page, for a developer to look at the layout.
// Screenshots are never committed.
const screenshotEnv = "DANCU_WEB_SCREENSHOT"

// TestBrowser_signInSearchOpen drives a headless Chromium through the console
// the way an officer would, with JavaScript disabled to prove the pages need
// none: sign in by typing the token, search by an accent-free name, open the
// person and read the page.
func TestBrowser_signInSearchOpen(t *testing.T) {
	browsertest.Require(t)
	e := newEnv(t)
	srv := httptest.NewServer(e.mux)
	defer srv.Close()

	bctx := browsertest.New(t, context.Background(), browsertest.Options{})

	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, what, steps...)
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		return browsertest.Text(t, bctx, sel)
	}

	// Signed out: the console sends us to the sign-in form.
	step("sign in",
		chromedp.Navigate(srv.URL+"/console/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testToken),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("name")),
	)
	if got := text("main h1"); got != "Tra cứu công dân" {
		t.Errorf("after sign-in the page heading is %q, want the search page", got)
	}
	step("search",
		chromedp.SendKeys(chromedp.ID("name"), "nguyen van an"),
		chromedp.Submit(chromedp.ID("name")),
		chromedp.WaitVisible(chromedp.CSS("table.data")),
	)
	if got := text("table.data tbody"); !strings.Contains(got, "Nguyễn Văn An") || !strings.Contains(got, e.fam.Husband) {
		t.Errorf("results do not show the person: %q", got)
	}
	step("open the person",
		chromedp.Click(chromedp.CSS(`table.data a[href="/console/people/`+e.fam.Husband+`"]`)),
		chromedp.WaitVisible(chromedp.ID("history")),
	)
	if got := text("main h1"); got != "Nguyễn Văn An" {
		t.Errorf("person page heading = %q", got)
	}
	page := text("main")
	for _, want := range []string{e.fam.Husband, "Phường Sài Gòn", "Trần Thị Bình", "Lịch sử thay đổi", "Đăng ký kết hôn", "Chưa kết hôn"} {
		if !strings.Contains(page, want) {
			t.Errorf("person page does not show %q", want)
		}
	}

	if path := os.Getenv(screenshotEnv); path != "" {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(path, png, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the person page written to %s", path)
	}
}

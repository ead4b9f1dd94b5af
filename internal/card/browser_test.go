package card

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/browsertest"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/web"
)

// TestBrowser_consoleReportLost signs in to the console in Chromium as the
// administrator, looks a card holder up on the ID cards page and reports
// the card lost through the form. DANCU_CARD_SCREENSHOT=FILE keeps a
// screenshot of the result.
func TestBrowser_consoleReportLost(t *testing.T) {
	browsertest.Require(t)
	ctx := context.Background()
	st := backends(t)["sqlite"]
	f := newFixture(t, st, 100)
	f.svc.rec = &audittest.Recorder{}
	if _, err := f.svc.IssuePending(ctx); err != nil {
		t.Fatal(err)
	}
	pin := f.chipHolder(t)
	const token = "test-admin-token-0123456789"
	a, _, err := auth.Setup(ctx, st, token)
	if err != nil {
		t.Fatal(err)
	}
	h := web.New(web.Deps{Registry: f.reg, Auth: a, Staff: staff.New(st), Recorder: f.svc.rec})
	h.AddSection(f.svc.ConsoleSection(h))
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	bctx := browsertest.New(t, ctx, browsertest.Options{JavaScript: true})
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, what, steps...)
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		return browsertest.Text(t, bctx, sel)
	}
	step("sign in",
		chromedp.Navigate(srv.URL+"/console/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("name")),
	)
	step("look the card up",
		chromedp.Navigate(srv.URL+"/console/cards/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="pin"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="pin"]`), pin),
		chromedp.Submit(chromedp.CSS(`input[name="pin"]`)),
		chromedp.WaitVisible(chromedp.CSS(`td[data-status]`)),
	)
	if got := text(`main table tbody`); !strings.Contains(got, "Còn giá trị") {
		t.Errorf("the card is not shown valid: %q", got)
	}
	step("report it lost",
		chromedp.SendKeys(chromedp.CSS(`input[name="reason"]`), "Công dân báo mất thẻ"),
		chromedp.Submit(chromedp.CSS(`input[name="reason"]`)),
		chromedp.WaitVisible(chromedp.CSS(`td[data-status="lost"]`)),
	)
	if got := text(`main table tbody`); !strings.Contains(got, "Báo mất") || !strings.Contains(got, "Công dân báo mất thẻ") {
		t.Errorf("after the report: %q", got)
	}
	if c, _ := f.svc.Current(ctx, pin); c.Status != StatusLost {
		t.Errorf("stored status %s", c.Status)
	}
	if path := os.Getenv("DANCU_CARD_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, png, 0o600)
	}
}

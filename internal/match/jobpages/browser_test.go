package jobpages_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dancu/dancu/internal/browsertest"
	"github.com/dancu/dancu/internal/match"
)

// TestBrowser_cancel drives a headless Chromium, with JavaScript off, as
// an operator would: sign in, open the jobs, cancel the queued one.
func TestBrowser_cancel(t *testing.T) {
	browsertest.Require(t)
	e := newEnv(t)
	queued, err := e.jobs.Submit(e.ctx, match.JobMeta{Agency: "viettel", Client: "viettel-bss", Purpose: "telecom.subscribers"}, strings.NewReader(list), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	bctx := browsertest.New(t, context.Background(), browsertest.Options{})
	row := "#job-" + queued.ID
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, what, steps...)
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		return strings.TrimSpace(browsertest.Text(t, bctx, sel))
	}
	step("sign in and open the jobs",
		chromedp.Navigate(e.srv.URL+"/console/verify-jobs/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), adminToken),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("jobs")),
	)
	if got := text(chromedp.CSS(row + " .state")); got != "Đang chờ" {
		t.Fatalf("state before: %q", got)
	}
	step("cancel", chromedp.Click(chromedp.CSS(row+" button")), chromedp.WaitVisible(chromedp.ID("notice")))
	if notice, state := text(chromedp.CSS("#notice")), text(chromedp.CSS(row+" .state")); !strings.Contains(notice, "Đã huỷ") || state != "Đã huỷ" {
		t.Errorf("after cancel: notice %q, state %q", notice, state)
	}
	if j, _ := e.st.VerifyJob(e.ctx, queued.ID); j.State != match.StateCancelled {
		t.Errorf("job %s after the click", j.State)
	}
}

package connect

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/browsertest"
)

// screenshotDir names a folder to which TestBrowser_connect writes
// screenshots of the pages it visits, for a developer to look at; they are
// never committed.
const screenshotDir = "DANCU_CONNECT_SCREENSHOTS"

// TestBrowser_connect drives a headless Chromium, with JavaScript off,
// through the console as an administrator would: sign in, add an agency,
// add its client with a pasted JWKS, grant it a purpose with fields ticked,
// then open a person's record and their data tracker.
func TestBrowser_connect(t *testing.T) {
	browsertest.Require(t)
	e := newEnv(t)
	log, err := audit.Open(context.Background(), e.st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	e.mountWith(log, log)
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
	shot := func(name string) {
		t.Helper()
		dir := os.Getenv(screenshotDir)
		if dir == "" {
			return
		}
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		os.WriteFile(dir+"/"+name+".png", png, 0o600)
	}

	step("sign in",
		chromedp.Navigate(srv.URL+"/console/connect/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testToken),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("add-agency")),
	)
	if got := text("main h1"); got != "Cơ quan, tổ chức kết nối" {
		t.Errorf("after sign-in the heading is %q, want the connections page", got)
	}
	step("add an agency",
		chromedp.SendKeys(chromedp.ID("agency-id"), "vss"),
		chromedp.SendKeys(chromedp.ID("agency-name"), "Bảo hiểm xã hội Việt Nam"),
		chromedp.SetValue(chromedp.ID("agency-kind"), "insurer"),
		chromedp.Submit(chromedp.ID("agency-id")),
		chromedp.WaitVisible(chromedp.ID("add-client")),
	)
	if got := text("#notice"); got != "Đã thêm cơ quan." {
		t.Errorf("notice after adding the agency: %q", got)
	}
	shot("agency-new")
	step("add a client",
		chromedp.SendKeys(chromedp.ID("client_id"), "vss-core"),
		chromedp.SendKeys(chromedp.ID("client_name"), "Hệ thống thu BHXH"),
		chromedp.SendKeys(chromedp.ID("client_jwks"), jwks(t, "k1")),
		chromedp.Submit(chromedp.ID("client_id")),
		chromedp.WaitVisible(chromedp.ID("notice")),
	)
	if got := text("#clients table"); !strings.Contains(got, "vss-core") || !strings.Contains(got, "k1 (OKP)") {
		t.Errorf("clients table: %q", got)
	}
	step("grant a purpose",
		chromedp.Click(chromedp.ID("new-grant")),
		chromedp.WaitVisible(chromedp.ID("grant-form")),
		chromedp.SendKeys(chromedp.ID("purpose"), "social-insurance.enrolment"),
		chromedp.SendKeys(chromedp.ID("legal_basis"), "Luật Bảo hiểm xã hội 2024"),
		chromedp.Click(chromedp.CSS(`input[name="fields"][value="full_name"]`)),
		chromedp.Click(chromedp.CSS(`input[name="fields"][value="birth_date"]`)),
		chromedp.Click(chromedp.CSS(`input[name="event_types"][value="death"]`)),
	)
	shot("grant-form")
	step("save the grant",
		chromedp.Submit(chromedp.ID("purpose")),
		chromedp.WaitVisible(chromedp.ID("grants")),
	)
	grants := text("#grants table")
	for _, want := range []string{"social-insurance.enrolment", "Luật Bảo hiểm xã hội 2024", "birth_date, full_name", "Đăng ký khai tử"} {
		if !strings.Contains(grants, want) {
			t.Errorf("grants table lacks %q: %q", want, grants)
		}
	}
	shot("agency")
	gs, _ := e.ex.Grants(context.Background(), "vss")
	if len(gs) != 1 || len(gs[0].Fields) != 2 {
		t.Errorf("stored grants %+v", gs)
	}

	// A person's record, then who accessed it: the record view just made
	// is listed and proven against the next checkpoint.
	step("open a person",
		chromedp.Navigate(srv.URL+"/console/people/"+e.pins[0]),
		chromedp.WaitVisible(chromedp.ID("open-tracker")),
	)
	if _, err := log.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	step("open the tracker",
		chromedp.Click(chromedp.ID("open-tracker")),
		chromedp.WaitVisible(chromedp.ID("accesses")),
	)
	if got := text("#checkpoint"); !strings.Contains(got, "nhật ký gồm 1 mục") {
		t.Errorf("checkpoint line: %q", got)
	}
	if got := text("#accesses table"); !strings.Contains(got, "đã kiểm chứng với điểm kiểm tra 1") || !strings.Contains(got, "registry.administration") {
		t.Errorf("tracker rows: %q", got)
	}
	shot("tracker")
}

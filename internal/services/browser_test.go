package services_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dancu/dancu/internal/browsertest"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/staff"
)

// screenshotDir, if set, receives screenshots of the portal's form and the
// console's dossier page, for a developer to look at. Never committed.
const screenshotDir = "DANCU_SERVICES_SCREENSHOTS"

// TestBrowser_DossierToRegistry drives a headless Chromium, with JavaScript
// off, through a whole dossier: a citizen signs in to the portal with
// electronic identification (PIN, password and authenticator code, package
// eid's real sign-in), files a temporary
// residence registration with a PDF, and reads the code and appointment; an
// officer of the commune signs in to the console with password and TOTP,
// opens the dossier from the queue, accepts and approves it; the registry
// holds the new temporary residence and the citizen sees the decision.
func TestBrowser_DossierToRegistry(t *testing.T) {
	browsertest.Require(t)
	s := newStackWith(t, true)
	const citizenPassword = "mật khẩu đủ dài 2026"
	prov, err := s.eid.Provision(s.ctx, s.husband.PIN, citizenPassword, eid.Level2, "test")
	if err != nil {
		t.Fatal(err)
	}
	user, password, secret := s.officerAccount(t, "ngocha1", staff.Unit{Province: "01", Commune: "00008"})
	upload := filepath.Join(t.TempDir(), "hop-dong-thue-nha.pdf")
	if err := os.WriteFile(upload, pdf, 0o600); err != nil {
		t.Fatal(err)
	}

	bctx := browsertest.New(t, context.Background(), browsertest.Options{Width: 1280, Height: 1000})

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	read := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(bctx, a)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return v
	}
	shot := func(name string) {
		dir := os.Getenv(screenshotDir)
		if dir == "" {
			return
		}
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err == nil {
			os.WriteFile(filepath.Join(dir, name), png, 0o600)
		}
	}
	base := s.srv.URL

	// The citizen.
	step("open the catalogue", chromedp.Navigate(base+"/portal/services/"), chromedp.WaitVisible(chromedp.ID("catalogue")))
	step("apply", chromedp.Click(chromedp.ID("apply-temporary_residence_registration")), chromedp.WaitVisible(chromedp.ID("signin-form")))
	step("sign in", chromedp.SendKeys(chromedp.ID("pin"), s.husband.PIN), chromedp.SendKeys(chromedp.ID("password"), citizenPassword),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.ID("totp")))
	step("second factor", chromedp.SendKeys(chromedp.ID("totp"), credential.TOTPCode(prov.TOTPSecret, time.Now())),
		chromedp.Submit(chromedp.ID("totp")), chromedp.WaitVisible(chromedp.ID("apply-form")))
	name := read(chromedp.Value(chromedp.ID("f_full_name")))
	if name != "Nguyễn Văn An" {
		t.Errorf("prefilled name %q", name)
	}
	step("fill the form",
		chromedp.SendKeys(chromedp.ID("f_province"), "01"), chromedp.SendKeys(chromedp.ID("f_commune"), "00008"),
		chromedp.SendKeys(chromedp.ID("f_address"), "Số 5 phố Ngọc Hà"),
		chromedp.SetUploadFiles(chromedp.ID("file_lawful_residence"), []string{upload}))
	shot("portal-form.png")
	step("submit", chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("filed")))
	code, appointment := read(chromedp.Text(chromedp.ID("dossier-code"))), read(chromedp.Text(chromedp.ID("appointment")))
	if !dossierCode.MatchString(code) || appointment != "2026-12-03" {
		t.Fatalf("filed %q, appointment %q", code, appointment)
	}

	// The officer.
	step("console sign-in", chromedp.Navigate(base+"/console/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("code"), staff.TOTPCode(secret, time.Now())), chromedp.Submit(chromedp.ID("code")),
		chromedp.WaitNotPresent(chromedp.ID("password")))
	step("queue", chromedp.Navigate(base+"/console/services/"), chromedp.WaitVisible(chromedp.ID("queue")))
	counts := read(chromedp.Text(chromedp.ID("queue-counts")))
	if !strings.Contains(counts, "1") {
		t.Errorf("queue counts %q", counts)
	}
	step("open the dossier", chromedp.Click(chromedp.CSS(`a[href="/console/services/dossiers/`+code+`"]`)), chromedp.WaitVisible(chromedp.ID("act-accept")))
	step("accept", chromedp.Click(chromedp.ID("act-accept")), chromedp.WaitVisible(chromedp.ID("act-approve")))
	shot("console-dossier.png")
	step("approve", chromedp.SendKeys(chromedp.ID("note"), "Hồ sơ hợp lệ"), chromedp.Click(chromedp.ID("act-approve")),
		chromedp.WaitVisible(chromedp.ID("dossier-event")))
	event := read(chromedp.Text(chromedp.ID("dossier-event")))
	if event != "dossier-"+code {
		t.Errorf("event shown %q", event)
	}
	shot("console-approved.png")

	// The registry changed, the event is in the outbox, the citizen sees it.
	if p := s.person(s.husband.PIN); p.TemporaryResidence == nil || p.TemporaryResidence.Commune != "00008" {
		t.Errorf("the registry holds no new temporary residence")
	}
	if e, err := s.st.Event(s.ctx, "dossier-"+code); err != nil || e.Type != "temporary_residence_registration" {
		t.Errorf("event %+v, %v", e, err)
	}
	step("citizen reads the decision", chromedp.Navigate(base+"/portal/services/dossiers/"+code), chromedp.WaitVisible(chromedp.ID("status")))
	status := read(chromedp.Text(chromedp.ID("status")))
	if status != "Đã giải quyết" {
		t.Errorf("status shown to the citizen %q", status)
	}
}

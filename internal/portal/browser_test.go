package portal

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	qrreader "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/browsertest"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/sms"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// screenshotEnv names a folder to which the browser test writes
// screenshots of the pages it visits, for a developer to look at. They are
// never committed.
const screenshotEnv = "DANCU_PORTAL_SCREENSHOTS"

var smsCodeRE = regexp.MustCompile(`\b\d{6}\b`)

// TestBrowser_registerSignInCheckProof drives a headless Chromium through
// the portal as a citizen would: register (reading the code the
// development SMS sender wrote to its file), set up an authenticator app,
// sign out, sign in with a code sent by SMS, then open "who used my data"
// and have the browser check an entry's inclusion proof with tracker.js —
// and see the check fail once the entry is tampered with.
func TestBrowser_registerSignInCheckProof(t *testing.T) {
	browsertest.Require(t)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	alog, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer alog.Close()
	smsFile := filepath.Join(t.TempDir(), "sms.jsonl")
	cfg := eid.DefaultConfig()
	cfg.Params = credential.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	svc := eid.New(eid.Deps{Store: st, Nonces: st, People: people(), SMS: &sms.FileSender{Path: smsFile}, Recorder: alog}, cfg)
	h := New(Deps{EID: svc, People: people(), Tracker: alog})
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	bctx := browsertest.New(t, ctx, browsertest.Options{JavaScript: true, Width: 1280, Height: 900})

	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, what, steps...)
	}
	text := func(sel string) string {
		t.Helper()
		return browsertest.Text(t, bctx, chromedp.CSS(sel))
	}
	shot := func(name string) {
		dir := os.Getenv(screenshotEnv)
		if dir == "" {
			return
		}
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err == nil {
			os.WriteFile(filepath.Join(dir, name+".png"), png, 0o600)
		}
	}
	// lastCode waits for the development sender's file to hold n messages
	// and returns the code of the last.
	lastCode := func(n int) string {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			ms, err := sms.ReadFile(smsFile)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) >= n {
				if ms[n-1].To != "+84912345678" {
					t.Errorf("code sent to %s, not the phone on record", ms[n-1].To)
				}
				return smsCodeRE.FindString(ms[n-1].Text)
			}
		}
		t.Fatalf("no SMS number %d in %s", n, smsFile)
		return ""
	}

	step("register",
		chromedp.Navigate(srv.URL+"/portal/register?lang=en"),
		chromedp.WaitVisible(chromedp.ID("pin")),
		chromedp.SendKeys(chromedp.ID("pin"), pinAdult),
		chromedp.SendKeys(chromedp.ID("full_name"), "Nguyễn Văn Hoà"),
		// A date input's typing order depends on the locale: set the value.
		chromedp.SetValue(chromedp.ID("birth_date"), "1990-05-17"),
		chromedp.SendKeys(chromedp.ID("phone"), "0912 345 678"),
	)
	shot("1-register")
	step("submit the details",
		chromedp.Click(chromedp.CSS(`#register-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("code")),
	)
	step("enter the code and a password",
		chromedp.SendKeys(chromedp.ID("code"), lastCode(1)),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("password2"), password),
		chromedp.Click(chromedp.CSS(`#code-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("totp-begin")),
	)
	if got := text("p.notice"); !strings.Contains(got, "level-1 account was created") {
		t.Errorf("after registration: notice %q", got)
	}
	step("set up an authenticator app",
		chromedp.Click(chromedp.ID("totp-begin")),
		chromedp.WaitVisible(chromedp.ID("totp-secret")),
	)
	secret := strings.TrimSpace(text("#totp-secret"))
	shot("2-totp")
	// The QR code beside the secret, as Chromium draws it under the
	// portal's CSP, reads back as the otpauth URI with that secret.
	qrPNG, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS("#totp-qr svg")))
	if err != nil {
		t.Fatalf("browser: screenshot of the QR code: %v", err)
	}
	if got := decodeQR(t, qrPNG); !strings.HasPrefix(got, "otpauth://totp/") || !strings.Contains(got, "secret="+secret) {
		t.Errorf("the QR code reads %q, want the otpauth URI with the secret shown", got)
	}
	step("confirm the app's code",
		chromedp.SendKeys(chromedp.ID("totp-code"), credential.TOTPCode(secret, time.Now())),
		chromedp.Click(chromedp.CSS(`#totp-confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("totp-begin")),
	)
	if got := text("p.notice"); !strings.Contains(got, "authenticator app is set up") {
		t.Errorf("after enrolment: notice %q", got)
	}
	step("sign out",
		chromedp.Click(chromedp.ID("signout")),
		chromedp.WaitVisible(chromedp.ID("signin-form")),
	)
	step("sign in",
		chromedp.Navigate(srv.URL+"/portal/tracker"),
		chromedp.WaitVisible(chromedp.ID("signin-form")),
		chromedp.SendKeys(chromedp.CSS("#signin-form #pin"), pinAdult),
		chromedp.SendKeys(chromedp.CSS("#signin-form #password"), password),
		chromedp.Click(chromedp.CSS(`#signin-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("send-sms")),
	)
	shot("3-second-factor")
	step("ask for a code by SMS",
		chromedp.Click(chromedp.ID("send-sms")),
		chromedp.WaitVisible(chromedp.CSS("p.notice")),
	)
	// Before the proof check, someone read the citizen's data, and the log
	// signed a checkpoint.
	for _, actor := range []string{"bank-a", "clinic-b"} {
		if err := alog.Record(ctx, audit.Access{ActorKind: "client", Actor: actor, Agency: "AG", Purpose: "kyc", PIN: pinAdult, Fields: []string{"full_name", "birth_date"}, Action: "read"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := alog.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	step("enter the SMS code; back to where we were going",
		chromedp.SendKeys(chromedp.ID("sms"), lastCode(2)),
		chromedp.Click(chromedp.CSS(`#sms-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("tracker")),
	)
	if got := text("main h1"); got != "Who used my data" {
		t.Errorf("after sign-in with next: heading %q", got)
	}
	step("check the first entry's proof in the browser",
		chromedp.Click(chromedp.CSS(`#tracker tbody tr:nth-child(1) button.check-proof`)),
	)
	verdict, err := chromedp.Run(bctx, chromedp.Poll[string](`document.querySelector("#tracker tbody tr:nth-child(1) output.proof-result").dataset.verified`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("browser: wait for the proof check: %v", err)
	}
	result := text("#tracker tbody tr:nth-child(1) output.proof-result")
	if verdict != "true" || !strings.Contains(result, "Verified") || strings.Contains(result, "NOT valid") {
		t.Errorf("proof check of an untouched entry: %q (%s)", verdict, result)
	}
	t.Logf("proof check: %s", result)
	shot("4-tracker")
	// Tamper with the second entry's leaf as shown: the same check must fail.
	step("tamper and check again",
		chromedp.Evaluate[chromedp.Void](`(() => { const r = document.querySelector("#tracker tbody tr:nth-child(2)"); const b = atob(r.dataset.leaf); r.dataset.leaf = btoa(b.slice(0, -1) + String.fromCharCode(b.charCodeAt(b.length - 1) ^ 1)); })()`),
		chromedp.Click(chromedp.CSS(`#tracker tbody tr:nth-child(2) button.check-proof`)),
	)
	verdict, err = chromedp.Run(bctx, chromedp.Poll[string](`document.querySelector("#tracker tbody tr:nth-child(2) output.proof-result").dataset.verified`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("browser: wait for the tampered check: %v", err)
	}
	if verdict != "false" {
		t.Errorf("a tampered entry verified: %q", verdict)
	}
}

// decodeQR reads the QR code in a PNG with ZXing's Go port.
func decodeQR(t *testing.T, shot []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrreader.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		// The finder-pattern search sometimes misses on a screenshot's
		// anti-aliased edges; the screenshot is of the code alone, so it
		// can be read as a pure barcode, which needs no search.
		res, err = qrreader.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{
			gozxing.DecodeHintType_PURE_BARCODE: true, gozxing.DecodeHintType_TRY_HARDER: true})
	}
	if err != nil {
		t.Fatalf("the QR code does not decode: %v", err)
	}
	return res.GetText()
}

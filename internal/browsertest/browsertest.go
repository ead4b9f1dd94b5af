// Package browsertest starts the headless Chromium that the web pages'
// browser tests drive through chromedp, the same way in every package: the
// flags that make it start in a container and stay off the network, a
// profile of its own, a window size, and scripts on or off.
package browsertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package puts the browser; CI
// installs it.
const ChromiumPath = "/usr/bin/chromium"

// Require skips t in -short mode, and when Chromium is not installed —
// unless DANCU_REQUIRE_BROWSER is set (CI sets it), when it fails instead.
// Call it before the test's own set-up.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv("DANCU_REQUIRE_BROWSER") != "" {
			t.Fatalf("no Chromium at %s, and DANCU_REQUIRE_BROWSER is set (CI installs it)", ChromiumPath)
		}
		t.Skipf("no Chromium at %s (apt-get install chromium); skipping the browser test", ChromiumPath)
	}
}

// Options say how the browser runs.
type Options struct {
	// JavaScript turns scripts on. The console and most portal pages must
	// work without them, so they are off unless a test needs one (the
	// portal's in-browser proof check).
	JavaScript bool
	// Width and Height are the window's size; 1366×900 if 0.
	Width, Height int
}

// New starts a headless Chromium for t and returns the context its actions
// run in, bounded to 90 seconds from parent; the browser is closed when t
// ends.
func New(t testing.TB, parent context.Context, o Options) context.Context {
	t.Helper()
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = 1366, 900
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(o.Width, o.Height),
	}
	if !o.JavaScript {
		opts = append(opts, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	}
	ctx, cancel := context.WithTimeout(parent, 90*time.Second)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
	})
	return bctx
}

// Do runs steps in the browser and fails t, naming what was being done,
// when one of them fails.
func Do(t testing.TB, bctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(bctx, steps...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// Text returns the text of the element sel selects, and fails t when it
// cannot be read.
func Text[S chromedp.Selectable](t testing.TB, bctx context.Context, sel S) string {
	t.Helper()
	s, err := chromedp.Run(bctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("browser: text of %v: %v", sel, err)
	}
	return s
}

// Package web serves the officers' console: server-rendered HTML pages under
// /console/ to sign in, search the registry, read a person's record as of any
// date with its full history, read a household, and list who accessed a
// person's data (the data tracker, tracker.go: each access's inclusion proof
// and the signed checkpoint are checked here before the page says
// "verified"; the listing is itself recorded in the access log).
//
// The console is deliberately plain: html/template pages and one CSS file,
// embedded in the binary, no JavaScript and nothing fetched from the internet,
// so it runs in a data centre with no outside access and works in a browser
// with scripts disabled.
//
// Every user-visible string lives in the message catalogue (i18n.go), in
// Vietnamese (the default) and English; templates name messages by key.
// Values from the registry (names, addresses) are shown as stored.
//
// Other packages add their own parts of the console as a Section
// (AddSection, before Mount): pages under /console/<name>/ that the console
// serves behind the same session, role check (a staff.Action), CSRF check of
// every unsafe request, security headers and request log, with a link in the
// header for officers allowed to use them. A section's handler finds the
// officer with CurrentOfficer, renders its own content with html/template and
// writes it inside the console layout with Render (RenderError and
// ServerError for failures); its forms post the Officer.CSRF token in a field
// named "csrf".
//
// Security choices, and why:
//
//   - A signed session cookie from package auth, so that several dancu
//     processes behind a load balancer accept each other's sessions.
//   - Every POST form carries a CSRF token: the HMAC of the session value for
//     signed-in forms (nothing to store server-side), and a double-submit
//     cookie for the sign-in form, where there is no session yet. Go's
//     CrossOriginProtection (Sec-Fetch-Site and Origin checks) is a second
//     layer in front of both.
//   - A Content-Security-Policy with default-src 'self' and no inline script
//     or style, frame-ancestors 'none', nosniff and no-referrer, and
//     Cache-Control: no-store on every page, since pages carry personal data.
//   - Logs carry the route pattern, status, duration, request id and the
//     officer's principal id, never a PIN, a name or any other value from a
//     record, nor the query string that holds them.
package web

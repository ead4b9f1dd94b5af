// Package portal serves the citizens' portal under /portal/: registration
// and sign-in (with package eid), "my data" (the registry record, and the
// datasets linked to it at level 2), "who used my data" (the access log's
// entries about the citizen, each checked in the browser against the signed
// checkpoint), sessions with revoke, account activity, connected apps with
// revoke, password and authenticator settings, and organisations' accounts.
// Vietnamese (the default) and English; every string is in the catalogue
// (i18n.go).
//
// # Adding pages to the portal
//
// Another package adds its pages in one of three ways; all render inside the
// portal's layout (header, navigation, language switch, footer) and carry
// its security headers.
//
//  1. A Section (preferred), added with (*Handler).AddSection before Mount:
//
//     h.AddSection(portal.Section{
//     Name:     "health",                 // serves /portal/health/...
//     Label:    map[string]string{"vi": "Sổ sức khoẻ", "en": "Health book"},
//     MinLevel: 2,                        // or SignIn: true; 0 and false: public
//     Handler:  mux,                      // patterns like "GET /portal/health/{id}"
//     })
//
//     The portal runs its middleware first: language, request id, the
//     signed-in citizen, the sign-in redirect (/portal/signin?next=...), the
//     level check, cross-origin protection and the CSRF check of every POST
//     (forms post portal.CSRF(r) in a hidden field named "csrf"). The handler
//     reads portal.CurrentCitizen(r) and portal.Lang(r), renders its content
//     with html/template and writes it with (*Handler).Render(w, r,
//     portal.Page{Title, Body}); RenderError and ServerError write failures.
//
//  2. Pages a package mounts itself under /portal/<name>/ (as package
//     services does) render with (*Handler).RenderPortal(w, r, status, title,
//     body), which works out the language, session and CSRF secret from the
//     request, and get a navigation link with AddLink. Such a package does its
//     own sign-in redirect and CSRF checks.
//
//  3. Pages of another part of the site outside /portal/ (the OpenID
//     Connect provider's consent page) render with (*Handler).RenderPage in
//     a language PageLang chose, and may add origins to the page's
//     form-action. The language and CSRF cookies are set for path / so that
//     such pages share them.
//
// A package that only needs the signed-in citizen uses package eid's
// (*Service).Current(r) through a small interface of its own.
//
// # Security
//
//   - Session cookie (package eid): HttpOnly, SameSite=Lax, Secure over TLS.
//   - CSRF: a double-submit secret in an HttpOnly, SameSite=Strict cookie,
//     posted back by every form; Go's CrossOriginProtection (Sec-Fetch-Site,
//     Origin) in front of it.
//   - Content-Security-Policy: default-src 'self', script-src 'self' (the one
//     script, tracker.js, is a file; no inline script or style), object-src
//     'none', base-uri 'none', form-action 'self', frame-ancestors 'none';
//     nosniff, no-referrer, X-Frame-Options DENY, no-store.
//   - After sign-in, next is followed only to a local path (safeNext).
//   - Registration answers the same page whether or not the details match
//     the registry (see package eid).
//   - Logs carry the route pattern, status, request id and account id; never
//     a PIN, a name, a phone number, a code or a password.
//
// # The proof check in the browser
//
// tracker.js recomputes, with WebCrypto SHA-256, the RFC 6962 leaf hash of
// each entry and walks its audit path (RFC 9162, 2.1.3.2) to the root hash
// of the signed checkpoint shown on the page; where the browser has Ed25519
// in WebCrypto it also checks the checkpoint's signature with the log's
// verifier key. The citizen thus checks that the entry is in the log the
// server signed, without trusting the server's word.
package portal

package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// Cookie names. The session cookie holds the signed value from package auth;
// the login cookie is the double-submit CSRF secret of the sign-in form,
// which has no session to derive a token from.
const (
	sessionCookie = "dancu_console"
	loginCookie   = "dancu_console_login"
)

// sessionTTL is how long a sign-in lasts: one working day.
const sessionTTL = 8 * time.Hour

// maxFormBytes bounds a posted form; the largest field is the token.
const maxFormBytes = 16 << 10

// csrfToken derives the CSRF token of a session: an HMAC keyed with the
// session value. Only someone who holds the session cookie can compute it,
// and a cross-site page can neither read the cookie nor the token, so no
// server-side state is needed and every process agrees on the token. Keying
// with the session rather than hashing it keeps the session out of reach of
// anyone who sees a token in a page.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("dancu-console-csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF reports whether the form's csrf field is the session's token.
func validCSRF(r *http.Request, session string) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(session))) == 1
}

func newLoginSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loginSecret returns the double-submit secret of the sign-in form, setting
// a fresh cookie when there is none (or a malformed one).
func loginSecret(w http.ResponseWriter, r *http.Request, fresh bool) string {
	if c, err := r.Cookie(loginCookie); err == nil && !fresh && len(c.Value) == 43 {
		return c.Value
	}
	v := newLoginSecret()
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: v, Path: consolePrefix + "login", MaxAge: 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	return v
}

func clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: path, MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// loginView is the body of the sign-in page.
type loginView struct {
	CSRF      string
	Next      string
	ErrorKey  string
	NoticeKey string
	// Staff shows the officers' form (username, password, code); Bootstrap
	// shows the admin token form, for first set-up only.
	Staff     bool
	Bootstrap bool
	Username  string
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, ok := h.auth.VerifySession(c.Value); ok {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
	}
	v := loginView{CSRF: loginSecret(w, r, false), Next: next}
	if r.URL.Query().Get("signed_out") == "1" {
		v.NoticeKey = "login.signed_out"
	}
	h.renderLogin(w, r, http.StatusOK, v)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.renderLogin(w, r, http.StatusBadRequest, loginView{CSRF: loginSecret(w, r, true), ErrorKey: "login.expired"})
		return
	}
	next := safeNext(r.PostFormValue("next"))
	c, err := r.Cookie(loginCookie)
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		h.renderLogin(w, r, http.StatusForbidden, loginView{CSRF: loginSecret(w, r, true), Next: next, ErrorKey: "login.expired"})
		return
	}
	if h.staff != nil && r.PostFormValue("token") == "" {
		h.staffLogin(w, r, next)
		return
	}
	if !h.bootstrapOpen(r.Context()) {
		h.renderLogin(w, r, http.StatusForbidden, loginView{CSRF: loginSecret(w, r, false), Next: next, ErrorKey: "login.bootstrap_closed"})
		return
	}
	p, ok := h.auth.VerifyToken(strings.TrimSpace(r.PostFormValue("token")))
	if !ok {
		h.log.Warn("console sign-in refused", logKeyRequestID, reqOf(r).id)
		select {
		case <-time.After(h.failDelay):
		case <-r.Context().Done():
			return
		}
		h.renderLogin(w, r, http.StatusUnauthorized, loginView{CSRF: loginSecret(w, r, false), Next: next, ErrorKey: "login.bad_token"})
		return
	}
	reqOf(r).principal = p
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: h.auth.NewSession(p, sessionTTL), Path: consolePrefix,
		MaxAge: int(sessionTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	clearCookie(w, r, loginCookie, consolePrefix+"login")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout forgets the session in this browser. The signed value itself stays
// valid until it expires (package auth keeps no revocation list), which is
// why sessions are kept short.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || !validCSRF(r, reqOf(r).session) {
		h.forbidden(w, r)
		return
	}
	clearCookie(w, r, sessionCookie, consolePrefix)
	http.Redirect(w, r, consolePrefix+"login?signed_out=1", http.StatusSeeOther)
}

// safeNext returns where to go after signing in: a path inside the console,
// never another site, so that the next parameter cannot be used to send an
// officer to a look-alike page.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, consolePrefix) || strings.ContainsAny(next, "\\\r\n") {
		return consolePrefix
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" ||
		!strings.HasPrefix(path.Clean(u.Path)+"/", consolePrefix) || strings.HasPrefix(u.Path, consolePrefix+"login") {
		return consolePrefix
	}
	return u.RequestURI()
}

package portal

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/eid"
)

// errText turns an eid error into a message for the person, or "" for an
// error that is the server's (logged, then the 500 page).
func errText(c catalogue, err error, now time.Time) string {
	var ie *eid.InputError
	var re *eid.RetryError
	switch {
	case errors.As(err, &ie):
		return c.T("err.input", c.T("field."+ie.Field))
	case errors.As(err, &re):
		wait := re.Until.Sub(now).Round(time.Second)
		if wait < time.Second {
			wait = time.Second
		}
		if errors.Is(err, eid.ErrRateLimited) {
			return c.T("signin.rate", wait.String())
		}
		return c.T("signin.locked", wait.String())
	case errors.Is(err, eid.ErrSignIn):
		return c.T("signin.failed")
	case errors.Is(err, eid.ErrCode):
		return c.T("register.bad_code")
	case errors.Is(err, eid.ErrExists):
		return c.T("register.exists")
	case errors.Is(err, eid.ErrNoSMS):
		return c.T("register.no_sms")
	}
	return ""
}

// registerView is the registration form and its code step.
type registerView struct {
	Enabled                     bool
	PIN, FullName, Birth, Phone string
	Step                        string
}

func (h *Handler) registerForm(w http.ResponseWriter, r *http.Request) {
	c := catalogueFor(reqOf(r).lang)
	notice := ""
	if !h.d.EID.SMSEnabled() {
		notice = c.T("register.no_sms")
	}
	h.render(w, r, http.StatusOK, "register", c.T("register.title"), registerView{Enabled: h.d.EID.SMSEnabled()}, notice, "")
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	c := catalogueFor(reqOf(r).lang)
	v := registerView{
		Enabled: h.d.EID.SMSEnabled(), PIN: strings.TrimSpace(r.PostFormValue("pin")), FullName: r.PostFormValue("full_name"),
		Birth: r.PostFormValue("birth_date"), Phone: r.PostFormValue("phone"),
	}
	step, err := h.d.EID.StartRegistration(r.Context(), eid.Registration{PIN: v.PIN, FullName: v.FullName, BirthDate: v.Birth, Phone: v.Phone}, eid.ClientOf(r))
	if err != nil {
		msg := errText(c, err, time.Now())
		if msg == "" {
			h.serverError(w, r, err)
			return
		}
		h.render(w, r, http.StatusUnprocessableEntity, "register", c.T("register.title"), v, "", msg)
		return
	}
	h.render(w, r, http.StatusOK, "register_code", c.T("register.code_title"), registerView{Step: step}, "", "")
}

func (h *Handler) registerCode(w http.ResponseWriter, r *http.Request) {
	c := catalogueFor(reqOf(r).lang)
	step := r.PostFormValue("step")
	pw := r.PostFormValue("password")
	v := registerView{Step: step}
	if pw != r.PostFormValue("password2") {
		h.render(w, r, http.StatusUnprocessableEntity, "register_code", c.T("register.code_title"), v, "", c.T("register.mismatch"))
		return
	}
	_, sess, err := h.d.EID.CompleteRegistration(r.Context(), step, r.PostFormValue("code"), pw, eid.ClientOf(r))
	if err != nil {
		msg := errText(c, err, time.Now())
		if msg == "" {
			h.serverError(w, r, err)
			return
		}
		h.render(w, r, http.StatusUnprocessableEntity, "register_code", c.T("register.code_title"), v, "", msg)
		return
	}
	h.d.EID.SetCookie(w, r, sess)
	http.Redirect(w, r, prefix+"security?welcome=1", http.StatusSeeOther)
}

// signinView is the sign-in form and its second step.
type signinView struct {
	Next    string
	PIN     string
	Pending string
	TOTP    bool
	SMS     bool
}

func (h *Handler) signinForm(w http.ResponseWriter, r *http.Request) {
	c := catalogueFor(reqOf(r).lang)
	next := safeNext(r.URL.Query().Get("next"))
	// A relying party that asked for a fresh sign-in (prompt=login,
	// max_age) sends the citizen here although they are signed in.
	again := r.URL.Query().Get("prompt") == "login"
	if reqOf(r).signed && !again {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	notice := ""
	switch {
	case r.URL.Query().Get("out") == "1":
		notice = c.T("signin.signed_out")
	case again && reqOf(r).signed:
		notice = c.T("signin.again")
	}
	h.render(w, r, http.StatusOK, "signin", c.T("signin.title"), signinView{Next: next}, notice, "")
}

func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	c := catalogueFor(reqOf(r).lang)
	v := signinView{Next: safeNext(r.PostFormValue("next")), PIN: strings.TrimSpace(r.PostFormValue("pin"))}
	p, err := h.d.EID.SignIn(r.Context(), v.PIN, r.PostFormValue("password"), eid.ClientOf(r))
	if err != nil {
		msg := errText(c, err, time.Now())
		if msg == "" {
			h.serverError(w, r, err)
			return
		}
		h.render(w, r, http.StatusUnauthorized, "signin", c.T("signin.title"), v, "", msg)
		return
	}
	v.Pending, v.TOTP, v.SMS = p.ID, p.TOTP, p.SMS
	h.render(w, r, http.StatusOK, "signin_second", c.T("signin.second"), v, "", "")
}

// second re-renders the second step of a pending sign-in, or the sign-in
// form when it has expired.
func (h *Handler) second(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string) {
	c := catalogueFor(reqOf(r).lang)
	next := safeNext(r.PostFormValue("next"))
	p, err := h.d.EID.PendingSignIn(r.Context(), r.PostFormValue("pending"))
	if err != nil {
		if !errors.Is(err, eid.ErrNotFound) {
			h.serverError(w, r, err)
			return
		}
		h.render(w, r, http.StatusUnauthorized, "signin", c.T("signin.title"), signinView{Next: next}, "", c.T("signin.expired"))
		return
	}
	h.render(w, r, status, "signin_second", c.T("signin.second"), signinView{Next: next, Pending: p.ID, TOTP: p.TOTP, SMS: p.SMS}, notice, errMsg)
}

func (h *Handler) signinSMS(w http.ResponseWriter, r *http.Request) {
	c := catalogueFor(reqOf(r).lang)
	err := h.d.EID.SendSignInCode(r.Context(), r.PostFormValue("pending"))
	switch {
	case err == nil:
		h.second(w, r, http.StatusOK, c.T("signin.sms_sent"), "")
	case errors.Is(err, eid.ErrNotFound):
		h.second(w, r, http.StatusUnauthorized, "", "")
	case errors.Is(err, eid.ErrNoSMS):
		h.second(w, r, http.StatusUnprocessableEntity, "", c.T("register.no_sms"))
	default:
		h.serverError(w, r, err)
	}
}

func (h *Handler) signinVerify(w http.ResponseWriter, r *http.Request) {
	c := catalogueFor(reqOf(r).lang)
	sess, err := h.d.EID.FinishSignIn(r.Context(), r.PostFormValue("pending"), r.PostFormValue("method"), r.PostFormValue("code"), eid.ClientOf(r))
	if err != nil {
		msg := errText(c, err, time.Now())
		if msg == "" {
			h.serverError(w, r, err)
			return
		}
		h.second(w, r, http.StatusUnauthorized, "", msg)
		return
	}
	h.d.EID.SetCookie(w, r, sess)
	if rq := reqOf(r); rq.signed {
		// Signed in again over a session (prompt=login): the new session
		// replaces the old one in this browser, so the old one ends.
		if err := h.d.EID.SignOut(r.Context(), rq.citizen); err != nil {
			h.log.WarnContext(r.Context(), "portal: end the replaced session", "err", err)
		}
	}
	if sess.MustChangePassword {
		http.Redirect(w, r, prefix+"security?must=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (h *Handler) signout(w http.ResponseWriter, r *http.Request) {
	if err := h.d.EID.SignOut(r.Context(), reqOf(r).citizen); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.d.EID.ClearCookie(w, r)
	http.Redirect(w, r, prefix+"signin?out=1", http.StatusSeeOther)
}

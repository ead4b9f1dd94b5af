package web

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
)

// This file holds what the console does with staff accounts: the officers'
// sign-in, the access check of every signed-in request, the national
// administrator's account pages, the password page and the event form.

// principalStaff is the Principal Kind of a signed-in officer; the ID is
// the account id.
const principalStaff = "staff"

// mountStaff registers the staff routes.
func (h *Handler) mountStaff(mux *http.ServeMux, protect func(http.HandlerFunc) http.Handler) {
	p := consolePrefix
	mux.Handle("GET "+p+"password", h.chain(http.HandlerFunc(h.passwordForm), signedIn))
	mux.Handle("POST "+p+"password", h.chain(protect(h.changePassword), signedIn))
	mux.Handle("GET "+p+"staff", h.chain(http.HandlerFunc(h.staffList), manageStaff))
	mux.Handle("GET "+p+"staff/new", h.chain(http.HandlerFunc(h.staffNew), manageStaff))
	mux.Handle("POST "+p+"staff", h.chain(protect(h.staffCreate), manageStaff))
	mux.Handle("GET "+p+"staff/{id}", h.chain(http.HandlerFunc(h.staffEdit), manageStaff))
	mux.Handle("POST "+p+"staff/{id}/roles", h.chain(protect(h.staffRoles), manageStaff))
	mux.Handle("POST "+p+"staff/{id}/disabled", h.chain(protect(h.staffDisable), manageStaff))
	mux.Handle("POST "+p+"staff/{id}/reset", h.chain(protect(h.staffReset), manageStaff))
	mux.Handle("GET "+p+"events/new", h.chain(http.HandlerFunc(h.eventForm), postEvents))
	mux.Handle("POST "+p+"events", h.chain(protect(h.postEvent), postEvents))
}

// permit decides, after the session is verified, whether the principal may
// use a route of access level acc, and answers the request when not. The
// bootstrap administrator may use everything while no national
// administrator exists, and nothing after. An officer's account is read on every
// request, so that a disabled account or a withdrawn role stops working at
// once in every process.
func (h *Handler) permit(w http.ResponseWriter, r *http.Request, rq *request, acc access) bool {
	switch rq.principal.Kind {
	case auth.Admin.Kind:
		// The bootstrap window closes for sessions already open too, not
		// only for new sign-ins, once a national administrator exists.
		if !h.bootstrapOpen(r.Context()) {
			clearCookie(w, r, sessionCookie, consolePrefix)
			redirectToLogin(w, r)
			return false
		}
		return true
	case principalStaff:
	default:
		// An agency client or another kind of caller has no console.
		h.notAllowed(w, r)
		return false
	}
	if h.staff == nil {
		clearCookie(w, r, sessionCookie, consolePrefix)
		redirectToLogin(w, r)
		return false
	}
	a, err := h.staff.Account(r.Context(), rq.principal.ID)
	// A reset ends the sessions begun before it.
	if errors.Is(err, staff.ErrNotFound) || err == nil && (a.Disabled || rq.issued.Before(a.SessionsNotBefore)) {
		clearCookie(w, r, sessionCookie, consolePrefix)
		redirectToLogin(w, r)
		return false
	}
	if err != nil {
		h.serverError(w, r, err)
		return false
	}
	rq.account = a
	if a.MustChangePassword && acc != signedIn {
		// Someone else has seen an initial or reset password.
		http.Redirect(w, r, consolePrefix+"password", http.StatusSeeOther)
		return false
	}
	if acc.action != "" && !staff.Allowed(a, acc.action) && (acc.orAction == "" || !staff.Allowed(a, acc.orAction)) {
		h.notAllowed(w, r)
		return false
	}
	return true
}

// navView says which links the header shows.
type navView struct {
	Search, Staff, Events, Password bool
	// Accesses links to the data tracker's PIN form (auditors).
	Accesses bool
	// Sections are the links of other packages' sections the officer may use.
	Sections []navLink
}

func (h *Handler) nav(rq *request) navView {
	switch {
	case rq.principal.Kind == auth.Admin.Kind:
		return navView{Search: true, Staff: h.staff != nil, Events: true, Accesses: h.track != nil, Sections: h.sectionLinks(rq)}
	case rq.account != nil:
		a := rq.account
		return navView{
			Search:   staff.Allowed(a, staff.ReadRegistry),
			Staff:    staff.Allowed(a, staff.ManageStaff),
			Events:   staff.Allowed(a, staff.SubmitEvent),
			Password: true,
			Accesses: h.track != nil && staff.Allowed(a, staff.ReadAccessLog),
			Sections: h.sectionLinks(rq),
		}
	}
	return navView{}
}

// bootstrapOpen reports whether the admin token may still sign in: always
// without staff accounts, and until an enabled national administrator
// exists with them. A store error closes it, as the safer answer.
func (h *Handler) bootstrapOpen(ctx context.Context) bool {
	if h.staff == nil {
		return true
	}
	has, err := h.staff.HasNationalAdmin(ctx)
	if err != nil {
		h.log.Error("console: list staff accounts", logKeyError, err.Error())
		return false
	}
	return !has
}

// renderLogin renders the sign-in page with the forms that apply.
func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	v.Staff = h.staff != nil
	v.Bootstrap = h.bootstrapOpen(r.Context())
	h.render(w, r, status, pageLogin, "login.title", v)
}

// staffLogin signs an officer in with username, password and TOTP code.
// Neither the username nor anything typed is logged: a password typed into
// the wrong field would end up in the log.
func (h *Handler) staffLogin(w http.ResponseWriter, r *http.Request, next string) {
	rq := reqOf(r)
	username := strings.TrimSpace(r.PostFormValue("username"))
	a, err := h.staff.SignIn(r.Context(), username, r.PostFormValue("password"), r.PostFormValue("code"))
	if err != nil {
		status, key := http.StatusUnauthorized, "login.bad_credentials"
		switch {
		case errors.Is(err, staff.ErrLocked):
			status, key = http.StatusTooManyRequests, "login.locked"
		case !errors.Is(err, staff.ErrSignIn):
			h.serverError(w, r, err)
			return
		}
		h.log.Warn("console sign-in refused", logKeyRequestID, rq.id, "reason", key)
		select {
		case <-time.After(h.failDelay):
		case <-r.Context().Done():
			return
		}
		h.renderLogin(w, r, status, loginView{CSRF: loginSecret(w, r, false), Next: next, ErrorKey: key, Username: username})
		return
	}
	p := auth.Principal{Kind: principalStaff, ID: a.ID}
	rq.principal = p
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: h.auth.NewSession(p, sessionTTL), Path: consolePrefix,
		MaxAge: int(sessionTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	clearCookie(w, r, loginCookie, consolePrefix+"login")
	if a.MustChangePassword {
		next = consolePrefix + "password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// passwordView is the body of the password page.
type passwordView struct {
	Must      bool
	ErrorKey  string
	Error     string
	NoticeKey string
}

func (h *Handler) passwordForm(w http.ResponseWriter, r *http.Request) {
	a := reqOf(r).account
	if a == nil {
		h.notFound(w, r, "error.not_found.page") // the bootstrap administrator has no password
		return
	}
	v := passwordView{Must: a.MustChangePassword}
	if r.URL.Query().Get("changed") == "1" {
		v.NoticeKey = "password.changed"
	}
	h.render(w, r, http.StatusOK, pagePassword, "password.title", v)
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	if !h.checkForm(w, r) {
		return
	}
	if rq.account == nil {
		h.notFound(w, r, "error.not_found.page")
		return
	}
	v := passwordView{Must: rq.account.MustChangePassword}
	next := r.PostFormValue("new")
	if next != r.PostFormValue("confirm") {
		v.ErrorKey = "password.mismatch"
		h.render(w, r, http.StatusUnprocessableEntity, pagePassword, "password.title", v)
		return
	}
	_, err := h.staff.ChangePassword(r.Context(), rq.account.ID, r.PostFormValue("current"), next)
	var ie *staff.InputError
	switch {
	case err == nil:
		http.Redirect(w, r, consolePrefix+"password?changed=1", http.StatusSeeOther)
		return
	case errors.As(err, &ie):
		v.ErrorKey = "password.weak"
	case errors.Is(err, staff.ErrSignIn):
		v.ErrorKey = "password.wrong_current"
	case errors.Is(err, staff.ErrLocked):
		v.ErrorKey = "login.locked"
	default:
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusUnprocessableEntity, pagePassword, "password.title", v)
}

// checkForm parses a posted form and checks its CSRF token, answering the
// request when either fails.
func (h *Handler) checkForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || !validCSRF(r, reqOf(r).session) {
		h.forbidden(w, r)
		return false
	}
	return true
}

// staffRow is one account in the list.
type staffRow struct {
	ID, Href, DisplayName, Roles, Scope string
	Disabled, Locked                    bool
}

// staffListView is the body of the account list.
type staffListView struct {
	Rows []staffRow
}

func (h *Handler) staffList(w http.ResponseWriter, r *http.Request) {
	if h.staff == nil {
		h.notFound(w, r, "error.not_found.page")
		return
	}
	all, err := h.staff.Accounts(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	c := catalogueFor(reqOf(r).lang)
	now := h.now()
	v := staffListView{Rows: make([]staffRow, 0, len(all))}
	for _, a := range all {
		v.Rows = append(v.Rows, staffRow{
			ID: a.ID, Href: consolePrefix + "staff/" + a.ID, DisplayName: a.DisplayName,
			Roles: roleLabels(c, a.Roles), Scope: scopeString(a.Scope), Disabled: a.Disabled, Locked: a.Locked(now),
		})
	}
	h.render(w, r, http.StatusOK, pageStaffList, "staff.title", v)
}

func roleLabels(c catalogue, roles []Role) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = c.T("role." + string(r))
	}
	return strings.Join(out, ", ")
}

// Role is staff.Role, short for this file's signatures.
type Role = staff.Role

func scopeString(scope []staff.Unit) string {
	out := make([]string, len(scope))
	for i, u := range scope {
		out[i] = u.String()
	}
	return strings.Join(out, ", ")
}

// roleOption is a role checkbox.
type roleOption struct {
	Value   string
	Label   string
	Checked bool
}

// staffEditView is the body of the create and edit pages.
type staffEditView struct {
	New         bool
	ID          string
	Username    string
	DisplayName string
	Roles       []roleOption
	Scope       string
	Disabled    bool
	Self        bool
	ErrorKey    string
	Error       string
	NoticeKey   string
}

func (h *Handler) roleOptions(lang string, have []Role) []roleOption {
	c := catalogueFor(lang)
	out := make([]roleOption, len(staff.Roles))
	for i, r := range staff.Roles {
		out[i] = roleOption{Value: string(r), Label: c.T("role." + string(r)), Checked: slices.Contains(have, r)}
	}
	return out
}

func (h *Handler) staffNew(w http.ResponseWriter, r *http.Request) {
	if h.staff == nil {
		h.notFound(w, r, "error.not_found.page")
		return
	}
	h.render(w, r, http.StatusOK, pageStaffEdit, "staff.new_title",
		staffEditView{New: true, Roles: h.roleOptions(reqOf(r).lang, nil)})
}

// rolesFromForm reads the role checkboxes and the scope field.
func (h *Handler) rolesFromForm(r *http.Request) ([]Role, []staff.Unit, string, error) {
	var roles []Role
	for _, v := range r.PostForm["role"] {
		roles = append(roles, Role(v))
	}
	scopeText := strings.TrimSpace(r.PostFormValue("scope"))
	scope, err := staff.ParseScope(scopeText, h.now())
	return roles, scope, scopeText, err
}

func (h *Handler) staffCreate(w http.ResponseWriter, r *http.Request) {
	if h.staff == nil || !h.checkForm(w, r) {
		if h.staff == nil {
			h.notFound(w, r, "error.not_found.page")
		}
		return
	}
	lang := reqOf(r).lang
	roles, scope, scopeText, err := h.rolesFromForm(r)
	v := staffEditView{
		New: true, Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"),
		Roles: h.roleOptions(lang, roles), Scope: scopeText,
	}
	if err != nil {
		v.ErrorKey, v.Error = "staff.err.scope", err.Error()
		h.render(w, r, http.StatusUnprocessableEntity, pageStaffEdit, "staff.new_title", v)
		return
	}
	a, cr, err := h.staff.Create(r.Context(), staff.NewAccount{Username: v.Username, DisplayName: v.DisplayName, Roles: roles, Scope: scope})
	var ie *staff.InputError
	switch {
	case errors.Is(err, staff.ErrExists):
		v.ErrorKey = "staff.err.exists"
	case errors.As(err, &ie):
		v.ErrorKey, v.Error = "staff.err.input", ie.Reason
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	if err != nil {
		h.render(w, r, http.StatusUnprocessableEntity, pageStaffEdit, "staff.new_title", v)
		return
	}
	h.log.Info("staff account created", logKeyRequestID, reqOf(r).id, logKeyPrincipal, reqOf(r).principal.ID, "account", a.ID)
	h.renderEnrolment(w, r, a, cr)
}

// enrolView is the body of the page that shows new credentials once.
type enrolView struct {
	ID, Href, Password, URI, Secret string
	QR                              template.HTML // the URI as an inline SVG QR code
}

func (h *Handler) renderEnrolment(w http.ResponseWriter, r *http.Request, a *staff.Account, cr staff.Credentials) {
	qr, err := cr.Enrolment.QRCode()
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, pageEnrol, "staff.enrol_title", enrolView{
		ID: a.ID, Href: consolePrefix + "staff/" + a.ID,
		Password: cr.Password, URI: cr.Enrolment.URI, Secret: cr.Enrolment.Secret, QR: qr,
	})
}

// account loads the account of the {id} path segment, answering 404 when
// there is none.
func (h *Handler) pathAccount(w http.ResponseWriter, r *http.Request) *staff.Account {
	if h.staff == nil {
		h.notFound(w, r, "error.not_found.page")
		return nil
	}
	a, err := h.staff.Account(r.Context(), r.PathValue("id"))
	if errors.Is(err, staff.ErrNotFound) {
		h.notFound(w, r, "error.not_found.staff")
		return nil
	}
	if err != nil {
		h.serverError(w, r, err)
		return nil
	}
	return a
}

func (h *Handler) editView(r *http.Request, a *staff.Account) staffEditView {
	rq := reqOf(r)
	return staffEditView{
		ID: a.ID, Username: a.Username, DisplayName: a.DisplayName,
		Roles: h.roleOptions(rq.lang, a.Roles), Scope: scopeString(a.Scope), Disabled: a.Disabled,
		Self: rq.account != nil && rq.account.ID == a.ID,
	}
}

func (h *Handler) staffEdit(w http.ResponseWriter, r *http.Request) {
	a := h.pathAccount(w, r)
	if a == nil {
		return
	}
	v := h.editView(r, a)
	if r.URL.Query().Get("saved") == "1" {
		v.NoticeKey = "staff.saved"
	}
	h.render(w, r, http.StatusOK, pageStaffEdit, "staff.edit_title", v)
}

func (h *Handler) staffRoles(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	a := h.pathAccount(w, r)
	if a == nil {
		return
	}
	roles, scope, scopeText, err := h.rolesFromForm(r)
	v := h.editView(r, a)
	v.Roles, v.Scope = h.roleOptions(reqOf(r).lang, roles), scopeText
	if err != nil {
		v.ErrorKey, v.Error = "staff.err.scope", err.Error()
		h.render(w, r, http.StatusUnprocessableEntity, pageStaffEdit, "staff.edit_title", v)
		return
	}
	if v.Self && !slices.Contains(roles, staff.NationalAdmin) {
		// An administrator cannot take away their own power to undo it.
		v.ErrorKey = "staff.err.self"
		h.render(w, r, http.StatusUnprocessableEntity, pageStaffEdit, "staff.edit_title", v)
		return
	}
	_, err = h.staff.SetRoles(r.Context(), a.ID, roles, scope)
	var ie *staff.InputError
	if errors.As(err, &ie) {
		v.ErrorKey, v.Error = "staff.err.input", ie.Reason
		h.render(w, r, http.StatusUnprocessableEntity, pageStaffEdit, "staff.edit_title", v)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.log.Info("staff roles changed", logKeyRequestID, reqOf(r).id, logKeyPrincipal, reqOf(r).principal.ID, "account", a.ID)
	http.Redirect(w, r, consolePrefix+"staff/"+a.ID+"?saved=1", http.StatusSeeOther)
}

func (h *Handler) staffDisable(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	a := h.pathAccount(w, r)
	if a == nil {
		return
	}
	disable := r.PostFormValue("disabled") == "1"
	if rq := reqOf(r); disable && rq.account != nil && rq.account.ID == a.ID {
		v := h.editView(r, a)
		v.ErrorKey = "staff.err.self"
		h.render(w, r, http.StatusUnprocessableEntity, pageStaffEdit, "staff.edit_title", v)
		return
	}
	if _, err := h.staff.SetDisabled(r.Context(), a.ID, disable); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.log.Info("staff account disabled", logKeyRequestID, reqOf(r).id, logKeyPrincipal, reqOf(r).principal.ID, "account", a.ID, "disabled", disable)
	http.Redirect(w, r, consolePrefix+"staff/"+a.ID+"?saved=1", http.StatusSeeOther)
}

func (h *Handler) staffReset(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		return
	}
	a := h.pathAccount(w, r)
	if a == nil {
		return
	}
	a, cr, err := h.staff.Reset(r.Context(), a.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.log.Info("staff account reset", logKeyRequestID, reqOf(r).id, logKeyPrincipal, reqOf(r).principal.ID, "account", a.ID)
	h.renderEnrolment(w, r, a, cr)
}

// eventView is the body of the event form.
type eventView struct {
	JSON     string
	IfMatch  string
	ErrorKey string
	Error    string
	Result   *registry.Result
	Types    []string
	// Duplicates are the people on record a registration was refused
	// for, those the officer may read; Hidden counts the others.
	Duplicates []duplicateView
	Hidden     int
}

// duplicateView is a person on record a registration may be.
type duplicateView struct {
	PIN         string
	Weight      float64
	Probability float64
	Evidence    []struct {
		Field  string  `json:"field"`
		Level  string  `json:"level"`
		Weight float64 `json:"weight"`
	}
}

// duplicates presents the candidates of a refused registration: those the
// officer may read, each recorded in the access log as a read.
func (h *Handler) duplicates(w http.ResponseWriter, r *http.Request, v *eventView, found []registry.PossibleDuplicate) bool {
	rq := reqOf(r)
	var pins []string
	for _, c := range found {
		if rq.account != nil && staff.Authorize(rq.account, staff.ReadRegistry, []staff.Unit{{Province: c.Residence.Province, Commune: c.Residence.Commune}}) != nil {
			v.Hidden++
			continue
		}
		d := duplicateView{PIN: c.PIN, Weight: c.Weight, Probability: c.Probability}
		if err := json.Unmarshal(c.Evidence, &d.Evidence); err != nil {
			h.serverError(w, r, err)
			return false
		}
		v.Duplicates = append(v.Duplicates, d)
		pins = append(pins, c.PIN)
	}
	return h.record(w, r, "read", []string{"duplicate_candidate"}, pins...)
}

// maxEventFormBytes bounds a posted event form: a life event is small.
const maxEventFormBytes = 64 << 10

func (h *Handler) eventForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, pageEvent, "event.title", eventView{Types: registry.EventTypes()})
}

// postEvent submits a life event typed as JSON, the body of POST /v1/events.
// An officer's event carries the scope check into the registry transaction.
func (h *Handler) postEvent(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxEventFormBytes)
	if err := r.ParseForm(); err != nil || !validCSRF(r, rq.session) {
		h.forbidden(w, r)
		return
	}
	v := eventView{JSON: r.PostFormValue("event"), IfMatch: strings.TrimSpace(r.PostFormValue("if_match")), Types: registry.EventTypes()}
	fail := func(status int, key, msg string) {
		v.ErrorKey, v.Error = key, msg
		h.render(w, r, status, pageEvent, "event.title", v)
	}
	var ev registry.Event
	dec := json.NewDecoder(strings.NewReader(v.JSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		fail(http.StatusUnprocessableEntity, "event.err.json", "")
		return
	}
	sub := registry.Submission{Event: ev, Actor: rq.principal.ID}
	if rq.account != nil {
		sub.Authorize = staff.EventAuthorizer(rq.account)
	}
	if v.IfMatch != "" {
		n, err := registry.ParseETag(v.IfMatch)
		if err != nil {
			fail(http.StatusUnprocessableEntity, "event.err.registry", err.Error())
			return
		}
		sub.IfMatch = n
	}
	res, err := h.reg.Submit(r.Context(), sub)
	if err != nil {
		var re *registry.Error
		if !errors.As(err, &re) {
			h.serverError(w, r, err)
			return
		}
		status := http.StatusUnprocessableEntity
		switch re.Kind {
		case registry.Forbidden:
			fail(http.StatusForbidden, "event.err.forbidden", "")
			return
		case registry.NotFound:
			status = http.StatusNotFound
		case registry.Conflict:
			status = http.StatusConflict
			if len(re.Duplicates) > 0 && !h.duplicates(w, r, &v, re.Duplicates) {
				return
			}
		case registry.Stale:
			status = http.StatusPreconditionFailed
		}
		// Registry reasons name fields and rules, never personal data.
		fail(status, "event.err.registry", re.Error())
		return
	}
	// The write is recorded like the API's; the event itself is committed,
	// so a failure here answers 503 but cannot undo it.
	written := make([]string, len(res.People))
	for i, p := range res.People {
		written[i] = p.ID
	}
	if !h.record(w, r, "write", []string{"event." + ev.Type}, written...) {
		return
	}
	v.Result = res
	h.render(w, r, http.StatusOK, pageEvent, "event.title", v)
}

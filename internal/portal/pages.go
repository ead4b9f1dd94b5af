package portal

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/units"
)

// homeView is the portal's home page.
type homeView struct {
	Level       int
	HasTOTP     bool
	MustChange  bool
	Children    []eid.Child
	SMSEnabled  bool
	Orgs        int
	SignedIn    bool
	DisplayName string
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	v := homeView{SignedIn: rq.signed, SMSEnabled: h.d.EID.SMSEnabled()}
	if rq.signed {
		a, err := h.d.EID.Account(r.Context(), rq.citizen.AccountID)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		v.Level, v.HasTOTP, v.MustChange = a.Level, a.HasTOTP(), a.MustChangePassword
		if v.Children, err = h.d.EID.Children(r.Context(), rq.citizen); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "home", c.T("home.title"), v, "", "")
}

// row is one label and value of a record page.
type row struct{ Label, Value string }

// meView is "my data".
type meView struct {
	Rows     []row
	Docs     []row
	Level2   bool
	Linked   []LinkedRecord
	HasLinks bool
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	// The citizen reads their own record: not an access by anyone else,
	// so nothing goes to the access log.
	rec, err := h.d.People.Person(r.Context(), rq.citizen.PIN, registry.Date{})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p := rec.Person
	now := time.Now()
	add := func(rows []row, key, val string) []row {
		if strings.TrimSpace(val) == "" {
			return rows
		}
		return append(rows, row{c.T(key), val})
	}
	rel := func(x *registry.Relative) string {
		if x == nil {
			return ""
		}
		return x.FullName
	}
	res := func(x *registry.Residence) string {
		if x == nil {
			return ""
		}
		parts := []string{x.Address}
		if cm, ok := units.LookupCommune(x.Commune, now); ok {
			parts = append(parts, cm.Name)
		}
		if pr, ok := units.LookupProvince(x.Province, now); ok {
			parts = append(parts, pr.Name)
		}
		return strings.Join(parts, ", ")
	}
	var rows []row
	rows = add(rows, "me.pin", p.PIN)
	rows = add(rows, "me.name", p.FullName)
	rows = add(rows, "me.other_name", p.OtherName)
	rows = add(rows, "me.birth", c.Date(p.BirthDate))
	rows = add(rows, "me.sex", c.T("me.sex."+string(p.Sex)))
	rows = add(rows, "me.ethnicity", p.Ethnicity)
	rows = add(rows, "me.nationality", p.Nationality)
	rows = add(rows, "me.marital", string(p.MaritalStatus))
	rows = add(rows, "me.permanent", res(p.PermanentResidence))
	rows = add(rows, "me.temporary", res(p.TemporaryResidence))
	rows = add(rows, "me.father", rel(p.Father))
	rows = add(rows, "me.mother", rel(p.Mother))
	rows = add(rows, "me.spouse", rel(p.Spouse))
	rows = add(rows, "me.household", p.HouseholdID)
	rows = add(rows, "me.phone", p.Phone)
	rows = add(rows, "me.email", p.Email)
	v := meView{Rows: rows, Level2: rq.citizen.Level >= eid.Level2}
	for _, d := range p.Documents {
		v.Docs = append(v.Docs, row{strings.ToUpper(string(d.Kind)) + " " + d.Number, c.Date(d.IssueDate) + " · " + d.Status})
	}
	if v.Level2 && h.d.Linked != nil {
		if v.Linked, err = h.d.Linked.LinkedRecords(r.Context(), p.PIN); err != nil {
			h.serverError(w, r, err)
			return
		}
		v.HasLinks = true
	}
	h.render(w, r, http.StatusOK, "me", c.T("me.title"), v, "", "")
}

// trackerPageSize is the number of accesses per page.
const trackerPageSize = 50

// trackerView is "who used my data". The signed checkpoint, the verifier
// key and each entry's leaf and proof go into data- attributes, which
// tracker.js reads to check the proofs in the browser.
type trackerView struct {
	HasCP      bool
	Size       int64
	Note       string
	VKey       string
	Rows       []trackerRow
	NextHref   string
	FirstHref  string
	MsgOK      string
	MsgBad     string
	MsgSigOK   string
	MsgSigSkip string
	MsgSigBad  string
}

type trackerRow struct {
	Index   int64
	Time    string
	Who     string
	Purpose string
	Fields  string
	Action  string
	Leaf    string
	Proof   string
	Pending bool
}

func (h *Handler) tracker(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	var before int64
	if s := r.URL.Query().Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			h.renderError(w, r, http.StatusBadRequest, c.T("err.not_found"))
			return
		}
		before = n
	}
	tr, err := h.d.Tracker.Accesses(r.Context(), rq.citizen.PIN, before, trackerPageSize, audit.CitizenView)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := trackerView{
		VKey: h.d.Tracker.VerifierKey(), MsgOK: c.T("tracker.ok"), MsgBad: c.T("tracker.bad"),
		MsgSigOK: c.T("tracker.sig_ok"), MsgSigSkip: c.T("tracker.sig_skip"), MsgSigBad: c.T("tracker.sig_bad"),
	}
	if tr.Checkpoint != nil {
		v.HasCP, v.Size, v.Note = true, tr.Checkpoint.Size, string(tr.Checkpoint.Note)
	}
	b64 := base64.StdEncoding
	for _, e := range tr.Entries {
		a := e.Access
		who := c.T("tracker.kind." + a.ActorKind)
		if strings.HasPrefix(who, "tracker.kind.") {
			who = a.ActorKind
		}
		who += ": " + a.Actor
		if a.Agency != "" {
			who += " (" + a.Agency + ")"
		}
		proof := make([]string, len(e.Proof))
		for i, p := range e.Proof {
			proof[i] = b64.EncodeToString(p[:])
		}
		v.Rows = append(v.Rows, trackerRow{
			Index: e.Index, Time: c.Time(a.Time), Who: who, Purpose: a.Purpose, Fields: strings.Join(a.Fields, ", "),
			Action: a.Action, Leaf: b64.EncodeToString(e.Leaf), Proof: strings.Join(proof, ","),
			Pending: tr.Checkpoint == nil || e.Index >= tr.Checkpoint.Size,
		})
	}
	if tr.NextBefore > 0 {
		v.NextHref = prefix + "tracker?before=" + strconv.FormatInt(tr.NextBefore, 10)
	}
	if before > 0 {
		v.FirstHref = prefix + "tracker"
	}
	h.render(w, r, http.StatusOK, "tracker", c.T("tracker.title"), v, "", "")
}

type sessionsView struct {
	Current  string
	Sessions []eid.SessionInfo
}

func (h *Handler) sessions(w http.ResponseWriter, r *http.Request) {
	h.sessionsPage(w, r, "")
}

func (h *Handler) sessionsPage(w http.ResponseWriter, r *http.Request, notice string) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	list, err := h.d.EID.Sessions(r.Context(), rq.citizen.AccountID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "sessions", c.T("sessions.title"), sessionsView{Current: rq.citizen.SessionID, Sessions: list}, notice, "")
}

func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	err := h.d.EID.RevokeSession(r.Context(), rq.citizen.AccountID, r.PostFormValue("session"), eid.ClientOf(r))
	if err != nil && !errors.Is(err, eid.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	if r.PostFormValue("session") == rq.citizen.SessionID {
		h.d.EID.ClearCookie(w, r)
		http.Redirect(w, r, prefix+"signin?out=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, prefix+"sessions?revoked=1", http.StatusSeeOther)
}

type eventsView struct {
	Events   []eid.Event
	NextHref string
}

func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	evs, next, err := h.d.EID.Events(r.Context(), rq.citizen.AccountID, max(before, 0), 50)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v := eventsView{Events: evs}
	if next > 0 {
		v.NextHref = prefix + "events?before=" + strconv.FormatInt(next, 10)
	}
	h.render(w, r, http.StatusOK, "events", c.T("events.title"), v, "", "")
}

// eventText is an event as a sentence of the language.
func eventText(c catalogue, e eid.Event) string {
	var s string
	if e.Type == eid.EventLevelRaised {
		s = c.T("events.level_raised", e.Level)
	} else {
		s = c.T("events." + e.Type)
	}
	if e.Officer != "" {
		s += " — " + c.T("events.by_officer", e.Officer)
		if e.Station != "" {
			s += ", " + e.Station
		}
	}
	if e.Detail != "" && e.Type != eid.EventSignedIn {
		s += " (" + e.Detail + ")"
	}
	return s
}

type appsView struct {
	Apps []ConnectedApp
}

func (h *Handler) apps(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	var v appsView
	if h.d.Apps != nil {
		var err error
		if v.Apps, err = h.d.Apps.List(r.Context(), rq.citizen); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	notice := ""
	if r.URL.Query().Get("revoked") == "1" {
		notice = c.T("apps.revoked")
	}
	h.render(w, r, http.StatusOK, "apps", c.T("apps.title"), v, notice, "")
}

func (h *Handler) revokeApp(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	if h.d.Apps == nil {
		h.notFound(w, r)
		return
	}
	if err := h.d.Apps.Revoke(r.Context(), rq.citizen, r.PostFormValue("app")); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, prefix+"apps?revoked=1", http.StatusSeeOther)
}

type securityView struct {
	HasTOTP    bool
	MustChange bool
	Enrolment  *credential.Enrolment
	QR         template.HTML // the enrolment's otpauth URI as an inline SVG QR code
}

func (h *Handler) security(w http.ResponseWriter, r *http.Request) {
	c := catalogueFor(reqOf(r).lang)
	notice := ""
	switch {
	case r.URL.Query().Get("welcome") == "1":
		notice = c.T("register.done")
	case r.URL.Query().Get("changed") == "1":
		notice = c.T("security.changed")
	case r.URL.Query().Get("totp") == "1":
		notice = c.T("security.totp_done")
	}
	h.securityPage(w, r, http.StatusOK, nil, notice, "")
}

func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request, status int, en *credential.Enrolment, notice, errMsg string) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	a, err := h.d.EID.Account(r.Context(), rq.citizen.AccountID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if a.MustChangePassword && notice == "" && errMsg == "" {
		notice = c.T("home.must_change")
	}
	v := securityView{HasTOTP: a.HasTOTP(), MustChange: a.MustChangePassword, Enrolment: en}
	if en != nil {
		if v.QR, err = en.QRCode(); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	h.render(w, r, status, "security", c.T("security.title"), v, notice, errMsg)
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	next := r.PostFormValue("new")
	if next != r.PostFormValue("new2") {
		h.securityPage(w, r, http.StatusUnprocessableEntity, nil, "", c.T("register.mismatch"))
		return
	}
	if err := h.d.EID.ChangePassword(r.Context(), rq.citizen, r.PostFormValue("current"), next, eid.ClientOf(r)); err != nil {
		msg := errText(c, err, time.Now())
		if msg == "" {
			h.serverError(w, r, err)
			return
		}
		h.securityPage(w, r, http.StatusUnprocessableEntity, nil, "", msg)
		return
	}
	http.Redirect(w, r, prefix+"security?changed=1", http.StatusSeeOther)
}

func (h *Handler) beginTOTP(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	en, err := h.d.EID.BeginTOTP(r.Context(), rq.citizen.AccountID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.securityPage(w, r, http.StatusOK, &en, "", "")
}

func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	err := h.d.EID.ConfirmTOTP(r.Context(), rq.citizen.AccountID, r.PostFormValue("code"), eid.ClientOf(r))
	if errors.Is(err, eid.ErrCode) {
		// Show the same enrolment again: the secret is still pending.
		en, berr := h.d.EID.PendingEnrolment(r.Context(), rq.citizen.AccountID)
		if berr != nil {
			h.serverError(w, r, berr)
			return
		}
		h.securityPage(w, r, http.StatusUnprocessableEntity, en, "", c.T("security.totp_bad"))
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, prefix+"security?totp=1", http.StatusSeeOther)
}

type orgsView struct {
	Level2        bool
	Orgs          []orgRow
	Name, TaxCode string
}

// orgRow is an organisation the citizen represents, with the relying
// parties it agreed to share with (when the citizen signed in as it).
type orgRow struct {
	*eid.Account
	Apps []ConnectedApp
}

func (h *Handler) orgs(w http.ResponseWriter, r *http.Request) {
	c := catalogueFor(reqOf(r).lang)
	notice := ""
	switch {
	case r.URL.Query().Get("done") == "1":
		notice = c.T("orgs.done")
	case r.URL.Query().Get("revoked") == "1":
		notice = c.T("apps.revoked")
	case r.URL.Query().Get("closed") == "1":
		notice = c.T("orgs.closed_done")
	}
	h.orgsPage(w, r, http.StatusOK, orgsView{}, notice, "")
}

func (h *Handler) orgsPage(w http.ResponseWriter, r *http.Request, status int, v orgsView, notice, errMsg string) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	list, err := h.d.EID.Organisations(r.Context(), rq.citizen.AccountID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	v.Level2 = rq.citizen.Level >= eid.Level2
	for _, o := range list {
		row := orgRow{Account: o}
		if h.d.Apps != nil && o.Closed == nil {
			if row.Apps, err = h.d.Apps.List(r.Context(), eid.Citizen{AccountID: o.ID}); err != nil {
				h.serverError(w, r, err)
				return
			}
		}
		v.Orgs = append(v.Orgs, row)
	}
	h.render(w, r, status, "orgs", c.T("orgs.title"), v, notice, errMsg)
}

// revokeOrgApp withdraws an organisation's consent to a relying party (and
// its tokens there), for the organisation's current representative only.
func (h *Handler) revokeOrgApp(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	org, err := h.d.EID.Represented(r.Context(), r.PostFormValue("org"), rq.citizen.AccountID)
	if errors.Is(err, eid.ErrNotFound) || h.d.Apps == nil {
		h.forbidden(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.d.Apps.Revoke(r.Context(), eid.Citizen{AccountID: org.ID}, r.PostFormValue("app")); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, prefix+"organisations?revoked=1", http.StatusSeeOther)
}

// closeOrg closes an organisation's account at its current
// representative's request, once they typed its tax code to confirm (the
// closing cannot be undone).
func (h *Handler) closeOrg(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	org, err := h.d.EID.Represented(r.Context(), r.PostFormValue("org"), rq.citizen.AccountID)
	if errors.Is(err, eid.ErrNotFound) {
		h.forbidden(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if strings.TrimSpace(r.PostFormValue("confirm")) != org.Organisation.TaxCode {
		h.orgsPage(w, r, http.StatusUnprocessableEntity, orgsView{}, "", c.T("orgs.close_mismatch"))
		return
	}
	_, err = h.d.EID.CloseOrganisation(r.Context(), rq.citizen, org.ID, r.PostFormValue("reason"), eid.ClientOf(r))
	switch {
	case err == nil:
		http.Redirect(w, r, prefix+"organisations?closed=1", http.StatusSeeOther)
	case errors.Is(err, eid.ErrNotFound):
		h.forbidden(w, r) // closed or handed over in the meantime
	default:
		if msg := errText(c, err, time.Now()); msg != "" {
			h.orgsPage(w, r, http.StatusUnprocessableEntity, orgsView{}, "", msg)
			return
		}
		h.serverError(w, r, err)
	}
}

func (h *Handler) registerOrg(w http.ResponseWriter, r *http.Request) {
	rq := reqOf(r)
	c := catalogueFor(rq.lang)
	v := orgsView{Name: r.PostFormValue("name"), TaxCode: r.PostFormValue("tax_code")}
	_, err := h.d.EID.RegisterOrganisation(r.Context(), rq.citizen, v.Name, v.TaxCode, eid.ClientOf(r))
	switch {
	case err == nil:
		http.Redirect(w, r, prefix+"organisations?done=1", http.StatusSeeOther)
	case errors.Is(err, eid.ErrLevel):
		h.orgsPage(w, r, http.StatusForbidden, v, "", c.T("orgs.level2"))
	case errors.Is(err, eid.ErrExists):
		h.orgsPage(w, r, http.StatusConflict, v, "", c.T("orgs.exists"))
	case errors.Is(err, eid.ErrClosed):
		h.orgsPage(w, r, http.StatusConflict, v, "", c.T("orgs.closed_exists"))
	default:
		if msg := errText(c, err, time.Now()); msg != "" {
			h.orgsPage(w, r, http.StatusUnprocessableEntity, v, "", msg)
			return
		}
		h.serverError(w, r, err)
	}
}

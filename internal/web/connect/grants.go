package connect

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// grantForm is the grant form as filled in.
type grantForm struct {
	Purpose, LegalBasis string
	Fields, EventTypes  []string
	Datasets            []string
	DemographicCheck    bool
	Status              string
}

// grantView is the body of the grant page.
type grantView struct {
	Agency *exchange.Agency
	// Edit is set when the form replaces an existing grant: the purpose is
	// then fixed.
	Edit bool
	Form grantForm
	Errs formErrors
	// The choices: every grantable field, every life-event type, every
	// registered dataset (and any the grant names that is not registered).
	AllFields, AllEvents, AllDatasets []string
}

func grantHref(agency, purpose string) string {
	u := agencyHref(agency) + "/grant"
	if purpose != "" {
		u += "?purpose=" + url.QueryEscape(purpose)
	}
	return u
}

func (h *Handler) grantForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ag, err := h.d.Exchange.Agency(ctx, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := grantForm{Status: string(exchange.Active)}
	edit := false
	if p := r.URL.Query().Get("purpose"); p != "" {
		grants, err := h.d.Exchange.Grants(ctx, ag.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		i := slices.IndexFunc(grants, func(g exchange.Grant) bool { return g.Purpose == p })
		if i < 0 {
			h.fail(w, r, store.ErrNotFound)
			return
		}
		g := grants[i]
		f = grantForm{Purpose: g.Purpose, LegalBasis: g.LegalBasis, Fields: g.Fields, EventTypes: g.EventTypes,
			Datasets: g.Datasets, DemographicCheck: g.DemographicCheck, Status: string(g.Status)}
		edit = true
	}
	h.renderGrant(w, r, http.StatusOK, ag, edit, f, nil)
}

func (h *Handler) renderGrant(w http.ResponseWriter, r *http.Request, status int, ag *exchange.Agency, edit bool, f grantForm, errs formErrors) {
	c := h.cat(r)
	v := grantView{Agency: ag, Edit: edit, Form: f, Errs: errs, AllFields: exchange.FieldNames(), AllEvents: registry.EventTypes()}
	names, err := h.datasetNames(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.AllDatasets = names
	for _, d := range f.Datasets {
		if !slices.Contains(v.AllDatasets, d) && idPattern.MatchString(d) {
			v.AllDatasets = append(v.AllDatasets, d)
		}
	}
	title := c.T("grant.title_new")
	if edit {
		title = c.T("grant.title_edit")
	}
	h.render(w, r, status, "grant", title+" · "+ag.ID, v)
}

// datasetNames lists the registered datasets' names.
func (h *Handler) datasetNames(r *http.Request) ([]string, error) {
	if h.d.Datasets == nil {
		return nil, nil
	}
	cov, _, err := h.d.Datasets.Datasets(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cov))
	for i, d := range cov {
		out[i] = d.Name
	}
	return out, nil
}

func (h *Handler) setGrant(w http.ResponseWriter, r *http.Request) {
	c := h.cat(r)
	ctx := r.Context()
	ag, err := h.d.Exchange.Agency(ctx, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := grantForm{
		Purpose: formValue(r, "purpose"), LegalBasis: formValue(r, "legal_basis"),
		Fields: formList(r, "fields"), EventTypes: formList(r, "event_types"), Datasets: formList(r, "datasets"),
		DemographicCheck: r.PostFormValue("demographic_check") != "", Status: formValue(r, "status"),
	}
	edit := r.PostFormValue("edit") != ""
	errs := formErrors{}
	if !purposePattern.MatchString(f.Purpose) {
		errs.add("purpose", c.T("err.purpose"))
	}
	if f.LegalBasis == "" || len(f.LegalBasis) > 2000 {
		errs.add("legal_basis", c.T("err.legal_basis"))
	}
	for _, x := range f.Fields {
		if !exchange.IsField(x) {
			errs.add("fields", c.T("err.field", x))
		}
	}
	for _, x := range f.EventTypes {
		if !registry.KnownEventType(x) {
			errs.add("event_types", c.T("err.event_type", x))
		}
	}
	known, err := h.datasetNames(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, x := range f.Datasets {
		if !idPattern.MatchString(x) || h.d.Datasets != nil && !slices.Contains(known, x) && !h.grantNames(r, ag.ID, f.Purpose, x) {
			errs.add("datasets", c.T("err.dataset", x))
		}
	}
	st, ok := parseStatus(f.Status)
	if !ok {
		errs.add("status", c.T("err.status"))
	}
	if len(errs) > 0 {
		h.renderGrant(w, r, http.StatusBadRequest, ag, edit, f, errs)
		return
	}
	// The new-grant form never replaces a grant by accident: a purpose the
	// agency already holds is edited through its own form.
	if !edit {
		grants, err := h.d.Exchange.Grants(ctx, ag.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if slices.ContainsFunc(grants, func(g exchange.Grant) bool { return g.Purpose == f.Purpose }) {
			h.renderGrant(w, r, http.StatusConflict, ag, edit, f, formErrors{"purpose": c.T("err.purpose_taken")})
			return
		}
	}
	_, err = h.d.Exchange.SetGrant(ctx, exchange.Grant{Agency: ag.ID, Purpose: f.Purpose, LegalBasis: f.LegalBasis,
		Fields: nonNil(f.Fields), EventTypes: f.EventTypes, Datasets: f.Datasets, DemographicCheck: f.DemographicCheck, Status: st})
	switch {
	case errors.Is(err, exchange.ErrInvalid):
		h.renderGrant(w, r, http.StatusBadRequest, ag, edit, f, serviceErrors(c, err, "purpose", "legal_basis", "fields", "event_types", "datasets", "status"))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.changed(r, "grant_set", ag.ID+"/"+f.Purpose)
	redirect(w, r, agencyHref(ag.ID), "grant_saved")
}

// grantNames reports whether the agency's current grant for purpose already
// names dataset (one registered once and kept in the grant stays
// acceptable).
func (h *Handler) grantNames(r *http.Request, agency, purpose, dataset string) bool {
	grants, err := h.d.Exchange.Grants(r.Context(), agency)
	if err != nil {
		return false
	}
	for _, g := range grants {
		if g.Purpose == purpose && slices.Contains(g.Datasets, dataset) {
			return true
		}
	}
	return false
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

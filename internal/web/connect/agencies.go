package connect

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/feed"
	"github.com/dancu/dancu/internal/store"
)

// agencyForm is the add-agency form as typed.
type agencyForm struct {
	ID, Name, Kind string
}

// agenciesView is the body of the section's first page.
type agenciesView struct {
	Agencies    []exchange.Agency
	Kinds       []string
	Form        agencyForm
	Errs        formErrors
	HasDatasets bool
}

func (h *Handler) agencies(w http.ResponseWriter, r *http.Request) {
	h.renderAgencies(w, r, http.StatusOK, agencyForm{Kind: "ministry"}, nil)
}

func (h *Handler) renderAgencies(w http.ResponseWriter, r *http.Request, status int, f agencyForm, errs formErrors) {
	list, err := h.d.Exchange.Agencies(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := agenciesView{Agencies: list, Kinds: exchange.AgencyKinds, Form: f, Errs: errs, HasDatasets: h.d.Datasets != nil}
	h.render(w, r, status, "agencies", h.cat(r).T("agencies.title"), v)
}

func (h *Handler) addAgency(w http.ResponseWriter, r *http.Request) {
	c := h.cat(r)
	f := agencyForm{ID: formValue(r, "id"), Name: formValue(r, "name"), Kind: formValue(r, "kind")}
	errs := formErrors{}
	if !idPattern.MatchString(f.ID) {
		errs.add("id", c.T("err.id"))
	}
	if f.Name == "" || len(f.Name) > 300 {
		errs.add("name", c.T("err.name"))
	}
	if !slices.Contains(exchange.AgencyKinds, f.Kind) {
		errs.add("kind", c.T("err.kind"))
	}
	if len(errs) > 0 {
		h.renderAgencies(w, r, http.StatusBadRequest, f, errs)
		return
	}
	_, err := h.d.Exchange.AddAgency(r.Context(), exchange.Agency{ID: f.ID, Name: f.Name, Kind: f.Kind})
	switch {
	case errors.Is(err, store.ErrExists):
		h.renderAgencies(w, r, http.StatusConflict, f, formErrors{"id": c.T("err.id_taken")})
		return
	case errors.Is(err, exchange.ErrInvalid):
		h.renderAgencies(w, r, http.StatusBadRequest, f, serviceErrors(c, err, "id", "name", "kind"))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.changed(r, "agency_added", f.ID)
	redirect(w, r, agencyHref(f.ID), "agency_added")
}

func agencyHref(id string) string { return prefix + "agencies/" + url.PathEscape(id) }

// clientRow is a client with its key ids.
type clientRow struct {
	exchange.Client
	Kids []string
}

// clientForm is the add-client form as typed.
type clientForm struct{ ClientID, Name, JWKS string }

// webhookForm is the add-subscription form as typed.
type webhookForm struct {
	ID, Purpose, URL string
	Events           []string
}

// agencyView is the body of an agency's page.
type agencyView struct {
	Agency   *exchange.Agency
	Clients  []clientRow
	Grants   []exchange.Grant
	Webhooks []feed.Subscription
	// WebhookPurposes are the active grants with events, for the
	// subscription form; WebhookEvents the events they allow.
	WebhookPurposes []string
	WebhookEvents   []string
	HasFeeds        bool

	ClientForm  clientForm
	ClientErrs  formErrors
	WebhookForm webhookForm
	WebhookErrs formErrors
}

func (h *Handler) agency(w http.ResponseWriter, r *http.Request) {
	h.renderAgency(w, r, http.StatusOK, r.PathValue("id"), func(*agencyView) {})
}

// renderAgency renders an agency's page; with adjusts the view (a form's
// values and errors) before it is rendered.
func (h *Handler) renderAgency(w http.ResponseWriter, r *http.Request, status int, id string, with func(*agencyView)) {
	ctx := r.Context()
	ag, err := h.d.Exchange.Agency(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	clients, err := h.d.Exchange.Clients(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	grants, err := h.d.Exchange.Grants(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := agencyView{Agency: ag, Grants: grants, HasFeeds: h.d.Feeds != nil}
	for _, c := range clients {
		v.Clients = append(v.Clients, clientRow{Client: c, Kids: keyIDs(c.JWKS)})
	}
	if h.d.Feeds != nil {
		if v.Webhooks, err = h.d.Feeds.Subscriptions(ctx, id); err != nil {
			h.fail(w, r, err)
			return
		}
		for _, g := range grants {
			if g.Status == exchange.Active && len(g.EventTypes) > 0 {
				v.WebhookPurposes = append(v.WebhookPurposes, g.Purpose)
				for _, t := range g.EventTypes {
					if !slices.Contains(v.WebhookEvents, t) {
						v.WebhookEvents = append(v.WebhookEvents, t)
					}
				}
			}
		}
		slices.Sort(v.WebhookEvents)
	}
	with(&v)
	h.render(w, r, status, "agency", h.cat(r).T("agency.title")+" "+ag.ID, v)
}

// keyIDs lists the kids of a JWKS as stored.
func keyIDs(s exchange.JSONWebKeySet) []string {
	var out []string
	for _, raw := range s.Keys {
		var k struct {
			Kid string `json:"kid"`
			Kty string `json:"kty"`
		}
		if json.Unmarshal(raw, &k) == nil {
			out = append(out, k.Kid+" ("+k.Kty+")")
		}
	}
	return out
}

func (h *Handler) agencyStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st, ok := parseStatus(formValue(r, "status"))
	if !ok {
		h.d.Console.RenderError(w, r, http.StatusBadRequest, h.cat(r).T("err.status"))
		return
	}
	if _, err := h.d.Exchange.SetAgencyStatus(r.Context(), id, st); err != nil {
		h.fail(w, r, err)
		return
	}
	h.changed(r, "agency_"+string(st), id)
	redirect(w, r, agencyHref(id), "agency_status")
}

func (h *Handler) addClient(w http.ResponseWriter, r *http.Request) {
	c := h.cat(r)
	id := r.PathValue("id")
	f := clientForm{ClientID: formValue(r, "client_id"), Name: formValue(r, "name"), JWKS: formValue(r, "jwks")}
	errs := formErrors{}
	if !idPattern.MatchString(f.ClientID) {
		errs.add("client_id", c.T("err.id"))
	}
	if f.Name == "" || len(f.Name) > 300 {
		errs.add("name", c.T("err.name"))
	}
	keys, kerr := parseKeys(c, f.JWKS)
	if kerr != "" {
		errs.add("jwks", kerr)
	}
	again := func(status int, errs formErrors) {
		h.renderAgency(w, r, status, id, func(v *agencyView) { v.ClientForm, v.ClientErrs = f, errs })
	}
	if len(errs) > 0 {
		again(http.StatusBadRequest, errs)
		return
	}
	_, err := h.d.Exchange.AddClient(r.Context(), exchange.Client{ID: f.ClientID, Agency: id, Name: f.Name, JWKS: keys})
	switch {
	case errors.Is(err, store.ErrExists):
		again(http.StatusConflict, formErrors{"client_id": c.T("err.id_taken")})
		return
	case errors.Is(err, exchange.ErrInvalid):
		if _, aerr := h.d.Exchange.Agency(r.Context(), id); errors.Is(aerr, store.ErrNotFound) {
			h.fail(w, r, aerr)
			return
		}
		again(http.StatusBadRequest, serviceErrors(c, err, "client_id", "name", "jwks"))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.changed(r, "client_added", f.ClientID)
	redirect(w, r, agencyHref(id), "client_added")
}

// parseKeys reads a pasted JWKS; the message says what is wrong with it.
func parseKeys(c catalogue, text string) (exchange.JSONWebKeySet, string) {
	if strings.TrimSpace(text) == "" {
		return exchange.JSONWebKeySet{}, c.T("err.jwks_empty")
	}
	keys, err := exchange.ParseJWKS([]byte(text))
	if err != nil {
		return keys, c.T("err.jwks", strings.TrimPrefix(err.Error(), "exchange: invalid: "))
	}
	return keys, ""
}

func (h *Handler) clientStatus(w http.ResponseWriter, r *http.Request) {
	st, ok := parseStatus(formValue(r, "status"))
	if !ok {
		h.d.Console.RenderError(w, r, http.StatusBadRequest, h.cat(r).T("err.status"))
		return
	}
	cl, err := h.d.Exchange.SetClientStatus(r.Context(), r.PathValue("id"), st)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.changed(r, "client_"+string(st), cl.ID)
	redirect(w, r, agencyHref(cl.Agency), "client_status")
}

// keysView is the body of the replace-keys page.
type keysView struct {
	Client *exchange.Client
	Kids   []string
	JWKS   string
	Errs   formErrors
}

func (h *Handler) keysForm(w http.ResponseWriter, r *http.Request) {
	cl, err := h.d.Exchange.Client(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := json.MarshalIndent(cl.JWKS, "", "  ")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "keys", h.cat(r).T("keys.title"), keysView{Client: cl, Kids: keyIDs(cl.JWKS), JWKS: string(b)})
}

func (h *Handler) setKeys(w http.ResponseWriter, r *http.Request) {
	c := h.cat(r)
	cl, err := h.d.Exchange.Client(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	text := formValue(r, "jwks")
	keys, kerr := parseKeys(c, text)
	if kerr != "" {
		h.render(w, r, http.StatusBadRequest, "keys", c.T("keys.title"), keysView{Client: cl, Kids: keyIDs(cl.JWKS), JWKS: text, Errs: formErrors{"jwks": kerr}})
		return
	}
	if _, err := h.d.Exchange.SetClientKeys(r.Context(), cl.ID, keys); err != nil {
		h.fail(w, r, err)
		return
	}
	h.changed(r, "client_keys_replaced", cl.ID)
	redirect(w, r, agencyHref(cl.Agency), "keys_replaced")
}

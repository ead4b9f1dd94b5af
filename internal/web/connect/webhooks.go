package connect

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/feed"
	"github.com/dancu/dancu/internal/store"
)

// deadPageSize is the number of dead letters per page.
const deadPageSize = 100

// webhookCreatedView is the body of the page that shows a new
// subscription's secret, the only time it is shown.
type webhookCreatedView struct {
	Sub *feed.Subscription
}

func (h *Handler) addWebhook(w http.ResponseWriter, r *http.Request) {
	c := h.cat(r)
	ctx := r.Context()
	id := r.PathValue("id")
	f := webhookForm{ID: formValue(r, "webhook_id"), Purpose: formValue(r, "purpose"), URL: formValue(r, "url"), Events: formList(r, "event_types")}
	grants, err := h.d.Exchange.Grants(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.d.Exchange.Agency(ctx, id); err != nil {
		h.fail(w, r, err)
		return
	}
	errs := formErrors{}
	if !idPattern.MatchString(f.ID) {
		errs.add("webhook_id", c.T("err.id"))
	}
	u, perr := url.Parse(f.URL)
	if f.URL == "" || perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs.add("url", c.T("err.url"))
	}
	i := slices.IndexFunc(grants, func(g exchange.Grant) bool { return g.Purpose == f.Purpose && g.Status == exchange.Active })
	switch {
	case i < 0:
		errs.add("purpose", c.T("err.wh_purpose"))
	case len(f.Events) == 0:
		errs.add("event_types", c.T("err.wh_events"))
	default:
		for _, t := range f.Events {
			if !slices.Contains(grants[i].EventTypes, t) {
				errs.add("event_types", c.T("err.wh_event", t))
			}
		}
	}
	again := func(status int, errs formErrors) {
		h.renderAgency(w, r, status, id, func(v *agencyView) { v.WebhookForm, v.WebhookErrs = f, errs })
	}
	if len(errs) > 0 {
		again(http.StatusBadRequest, errs)
		return
	}
	sub, err := h.d.Feeds.AddSubscription(ctx, feed.Subscription{ID: f.ID, Agency: id, Purpose: f.Purpose, URL: f.URL, EventTypes: f.Events})
	switch {
	case errors.Is(err, store.ErrExists):
		again(http.StatusConflict, formErrors{"webhook_id": c.T("err.id_taken")})
		return
	case errors.Is(err, feed.ErrInvalid):
		errs := serviceErrors(c, err, "url", "event_types", "id")
		if m, ok := errs["id"]; ok {
			errs["webhook_id"] = m
			delete(errs, "id")
		}
		again(http.StatusBadRequest, errs)
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	// The secret is in this answer only: not in a redirect's URL, not in
	// any log. The page is no-store like every console page.
	h.changed(r, "webhook_added", sub.ID)
	h.render(w, r, http.StatusCreated, "webhook_created", c.T("webhook.created", sub.ID), webhookCreatedView{Sub: sub})
}

func (h *Handler) webhookStatus(w http.ResponseWriter, r *http.Request) {
	st, ok := parseStatus(formValue(r, "status"))
	if !ok {
		h.d.Console.RenderError(w, r, http.StatusBadRequest, h.cat(r).T("err.status"))
		return
	}
	sub, err := h.d.Feeds.SetSubscriptionStatus(r.Context(), r.PathValue("id"), st)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.changed(r, "webhook_"+string(st), sub.ID)
	redirect(w, r, agencyHref(sub.Agency), "webhook_status")
}

// deadRow is a dead-lettered message as the page shows it: no person's
// data, only the message's number and its delivery history.
type deadRow struct {
	Seq       int64
	MessageID string
	Attempts  int
	FirstAt   string
	DeadAt    string
	LastError string
}

// deadView is the body of the dead-letter page.
type deadView struct {
	Sub       *feed.Subscription
	Rows      []deadRow
	NextHref  string
	FirstHref string
}

func deadHref(id string) string { return prefix + "webhooks/" + url.PathEscape(id) + "/dead-letters" }

// subscription finds a subscription (without its secret) by id.
func (h *Handler) subscription(r *http.Request, id string) (*feed.Subscription, error) {
	subs, err := h.d.Feeds.Subscriptions(r.Context(), "")
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(subs, func(s feed.Subscription) bool { return s.ID == id })
	if i < 0 {
		return nil, store.ErrNotFound
	}
	return &subs[i], nil
}

func (h *Handler) deadLetters(w http.ResponseWriter, r *http.Request) {
	c := h.cat(r)
	sub, err := h.subscription(r, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var after int64
	if s := r.URL.Query().Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			h.d.Console.RenderError(w, r, http.StatusBadRequest, c.T("err.after"))
			return
		}
		after = n
	}
	ds, err := h.d.Feeds.DeadLetters(r.Context(), sub.ID, after, deadPageSize)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := deadView{Sub: sub}
	for _, d := range ds {
		v.Rows = append(v.Rows, deadRow{Seq: d.Seq, MessageID: feed.MessageID(d.Seq), Attempts: d.Attempts,
			FirstAt: c.Time(d.FirstAt), DeadAt: c.Time(d.DeadAt), LastError: d.LastError})
	}
	if len(ds) == deadPageSize {
		v.NextHref = deadHref(sub.ID) + "?after=" + strconv.FormatInt(ds[len(ds)-1].Seq, 10)
	}
	if after > 0 {
		v.FirstHref = deadHref(sub.ID)
	}
	h.render(w, r, http.StatusOK, "dead", c.T("dead.title")+" · "+sub.ID, v)
}

func (h *Handler) redeliver(w http.ResponseWriter, r *http.Request) {
	c := h.cat(r)
	id := r.PathValue("id")
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq <= 0 {
		h.d.Console.RenderError(w, r, http.StatusBadRequest, c.T("err.seq"))
		return
	}
	if _, err := h.subscription(r, id); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.d.Feeds.Redeliver(r.Context(), id, seq); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.d.Console.RenderError(w, r, http.StatusNotFound, c.T("err.not_dead"))
			return
		}
		h.fail(w, r, err)
		return
	}
	h.changed(r, "redelivered", id+"/"+strconv.FormatInt(seq, 10))
	redirect(w, r, deadHref(id), "redelivered")
}

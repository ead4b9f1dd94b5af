package review

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/web"
)

// Console is what the pages need of the console: rendering inside its
// layout. *web.Handler implements it.
type Console interface {
	Render(w http.ResponseWriter, r *http.Request, p web.Page)
	RenderError(w http.ResponseWriter, r *http.Request, status int, message string)
	ServerError(w http.ResponseWriter, r *http.Request, err error)
}

// Deps are the Handler's dependencies.
type Deps struct {
	Queue    store.Duplicates
	Registry *registry.Registry
	Recorder audit.Recorder
	Console  Console
	Logger   *slog.Logger
}

// Handler serves the review queue's pages.
type Handler struct {
	d   Deps
	mux *http.ServeMux
}

// Name is the section's path segment.
const Name = "duplicates"

const prefix = "/console/" + Name + "/"

// purpose is the access log's purpose code for the review of duplicates.
const purpose = "duplicate_review"

// pageSize is the number of pairs per page of the list.
const pageSize = 50

// New returns the handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{d: d, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+prefix+"{$}", h.list)
	h.mux.HandleFunc("GET "+prefix+"{a}/{b}", h.compare)
	h.mux.HandleFunc("POST "+prefix+"{a}/{b}/merge", h.merge)
	h.mux.HandleFunc("POST "+prefix+"{a}/{b}/dismiss", h.dismiss)
	return h
}

// Section returns the console section to add with web.Handler.AddSection.
func (h *Handler) Section() web.Section {
	return web.Section{
		Name:    Name,
		Label:   msgs.Label("nav"),
		Action:  staff.ReviewDuplicates,
		Handler: h.mux,
	}
}

// ServeHTTP serves the section's requests (for tests; the console mounts
// Section().Handler).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// units returns the units a person lives in, for the scope check.
func units(p *registry.Person) []staff.Unit {
	if r := p.PermanentResidence; r != nil {
		return []staff.Unit{{Province: r.Province, Commune: r.Commune}}
	}
	return nil
}

// pair is a candidate pair with both records, for a page.
type pair struct {
	store.DuplicateCandidate
	A, B *registry.Person
}

// load reads a pair and both records, checking the officer's scope. A
// pair outside the scope is reported as not found, so that its existence
// is not disclosed.
func (h *Handler) load(ctx context.Context, o web.Officer, a, b string) (pair, int, error) {
	if registry.CheckPIN("a", a) != nil || registry.CheckPIN("b", b) != nil || a >= b {
		return pair{}, http.StatusNotFound, errors.New("no such pair")
	}
	c, err := h.d.Queue.DuplicateCandidate(ctx, a, b)
	if errors.Is(err, store.ErrNotFound) {
		return pair{}, http.StatusNotFound, err
	}
	if err != nil {
		return pair{}, http.StatusInternalServerError, err
	}
	p := pair{DuplicateCandidate: c}
	for _, x := range []struct {
		pin string
		dst **registry.Person
	}{{a, &p.A}, {b, &p.B}} {
		rec, err := h.d.Registry.Person(ctx, x.pin, registry.Date{})
		if registry.KindOf(err) == registry.NotFound {
			return pair{}, http.StatusNotFound, err
		}
		if err != nil {
			return pair{}, http.StatusInternalServerError, err
		}
		*x.dst = rec.Person
	}
	if o.Authorize(staff.ReviewDuplicates, append(units(p.A), units(p.B)...)) != nil {
		return pair{}, http.StatusNotFound, errors.New("outside the officer's units")
	}
	return p, 0, nil
}

// record appends accesses to the access log; false (after writing the
// error page) when that failed.
func (h *Handler) record(w http.ResponseWriter, r *http.Request, o web.Officer, action string, fields []string, pins ...string) bool {
	if len(pins) == 0 {
		return true
	}
	kind := "staff"
	if o.Account == nil {
		kind = "admin"
	}
	as := make([]audit.Access, len(pins))
	for i, p := range pins {
		as[i] = audit.Access{ActorKind: kind, Actor: o.ID, Purpose: purpose, PIN: p, Fields: fields, Action: action, RequestID: o.RequestID}
	}
	if err := h.d.Recorder.Record(r.Context(), as...); err != nil {
		h.d.Logger.Error("duplicate review access not recorded", "request_id", o.RequestID, "error", err.Error())
		h.d.Console.RenderError(w, r, http.StatusServiceUnavailable, t(o.Lang, "err.unavailable"))
		return false
	}
	return true
}

type listRow struct {
	store.DuplicateCandidate
	Href string
}

type listView struct {
	L     func(string) string
	Rows  []listRow
	Next  string
	Done  string
	Count int64
}

// list shows the open pairs the officer may review, best first.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	o, ok := web.CurrentOfficer(r)
	if !ok {
		h.d.Console.RenderError(w, r, http.StatusForbidden, t("vi", "err.forbidden"))
		return
	}
	ctx := r.Context()
	q := store.DuplicateQuery{Status: store.DuplicateOpen, Limit: pageSize}
	if w, a, b, ok := parseAfter(r.URL.Query().Get("after")); ok {
		q.AfterWeight, q.AfterA, q.AfterB = w, a, b
	}
	var rows []listRow
	var pins []string
	scoped := o.Account != nil && !o.Account.Has(staff.NationalAdmin)
	next := ""
	// A registrar's page is filled from the pairs in their units; stop
	// after a bounded number of store pages so that a page never scans
	// the whole queue.
	for range 20 {
		page, err := h.d.Queue.DuplicateCandidates(ctx, q)
		if err != nil {
			h.d.Console.ServerError(w, r, err)
			return
		}
		for _, c := range page {
			if scoped {
				if _, status, err := h.load(ctx, o, c.PINA, c.PINB); err != nil {
					if status == http.StatusInternalServerError {
						h.d.Console.ServerError(w, r, err)
						return
					}
					continue
				}
			}
			rows = append(rows, listRow{DuplicateCandidate: c, Href: prefix + c.PINA + "/" + c.PINB})
			pins = append(pins, c.PINA, c.PINB)
			if len(rows) == pageSize {
				break
			}
		}
		if len(page) > 0 {
			last := page[len(page)-1]
			q.AfterWeight, q.AfterA, q.AfterB = last.Weight, last.PINA, last.PINB
		}
		if len(rows) == pageSize || len(page) < q.Limit {
			if len(page) == q.Limit {
				last := rows[len(rows)-1]
				next = prefix + "?after=" + url.QueryEscape(strconv.FormatFloat(last.Weight, 'g', -1, 64)+"_"+last.PINA+"_"+last.PINB)
			}
			break
		}
	}
	count, err := h.d.Queue.CountDuplicateCandidates(ctx, store.DuplicateOpen)
	if err != nil {
		h.d.Console.ServerError(w, r, err)
		return
	}
	if !h.record(w, r, o, "read", []string{"pin"}, pins...) {
		return
	}
	v := listView{L: func(k string) string { return t(o.Lang, k) }, Rows: rows, Next: next, Count: count}
	switch r.URL.Query().Get("done") {
	case "merged":
		v.Done = t(o.Lang, "done.merged")
	case "dismissed":
		v.Done = t(o.Lang, "done.dismissed")
	}
	h.page(w, r, o, listTmpl, t(o.Lang, "list.title"), v, http.StatusOK)
}

type fieldRow struct {
	Label, A, B string
	Level       string
	Weight      string
}

type compareView struct {
	L              func(string) string
	A, B           string
	Weight, Prob   string
	Source         string
	Status         string
	Open           bool
	Rows           []fieldRow
	CSRF           string
	MergeA, MergeB string
	Dismiss        string
	Error          string
}

// evidence is one field of the stored evidence document.
type evidence struct {
	Field  string  `json:"field"`
	Level  string  `json:"level"`
	Weight float64 `json:"weight"`
}

// fieldsShown are the registry fields the comparison page shows, for the
// access log.
var fieldsShown = []string{"full_name", "birth_date", "sex", "birth_registration_place", "permanent_residence", "father", "mother", "phone", "status", "linked_pins"}

// compare shows a pair side by side.
func (h *Handler) compare(w http.ResponseWriter, r *http.Request) {
	h.showCompare(w, r, "", http.StatusOK)
}

func (h *Handler) showCompare(w http.ResponseWriter, r *http.Request, errMsg string, status int) {
	o, ok := web.CurrentOfficer(r)
	if !ok {
		h.d.Console.RenderError(w, r, http.StatusForbidden, t("vi", "err.forbidden"))
		return
	}
	p, st, err := h.load(r.Context(), o, r.PathValue("a"), r.PathValue("b"))
	if err != nil {
		h.fail(w, r, o, st, err)
		return
	}
	var ev []evidence
	_ = json.Unmarshal(p.Evidence, &ev) // an unreadable document shows no evidence
	byField := map[string]evidence{}
	for _, e := range ev {
		byField[e.Field] = e
	}
	L := func(k string) string { return t(o.Lang, k) }
	row := func(label, field, a, b string) fieldRow {
		fr := fieldRow{Label: L(label), A: a, B: b}
		if e, ok := byField[field]; ok {
			fr.Level = L("level." + e.Level)
			fr.Weight = strconv.FormatFloat(e.Weight, 'f', 2, 64)
		}
		return fr
	}
	a, b := p.A, p.B
	name := fieldRow{Label: L("f.full_name"), A: a.FullName, B: b.FullName}
	var parts []string
	var nameWeight float64
	for _, f := range []string{"surname", "middle_name", "given_name"} {
		if e, ok := byField[f]; ok {
			parts = append(parts, L("f."+f)+": "+L("level."+e.Level))
			nameWeight += e.Weight
		}
	}
	if len(parts) > 0 {
		name.Level, name.Weight = strings.Join(parts, ", "), strconv.FormatFloat(nameWeight, 'f', 2, 64)
	}
	rows := []fieldRow{
		name,
		row("f.birth_date", "birth_date", a.BirthDate.String(), b.BirthDate.String()),
		row("f.sex", "sex", L("sex."+string(a.Sex)), L("sex."+string(b.Sex))),
		row("f.birth_province", "birth_province", a.BirthRegistrationPlace.Province, b.BirthRegistrationPlace.Province),
		row("f.residence", "residence", residence(a), residence(b)),
		row("f.father", "father", relName(a.Father), relName(b.Father)),
		row("f.mother", "mother", relName(a.Mother), relName(b.Mother)),
		row("f.phone", "phone", a.Phone, b.Phone),
		{Label: L("f.status"), A: L("state." + string(a.Status.State)), B: L("state." + string(b.Status.State))},
		{Label: L("f.linked"), A: strings.Join(a.LinkedPINs, ", "), B: strings.Join(b.LinkedPINs, ", ")},
	}
	if !h.record(w, r, o, "read", fieldsShown, a.PIN, b.PIN) {
		return
	}
	v := compareView{
		L: L, A: a.PIN, B: b.PIN, Source: p.Source, Status: L("status." + p.Status), Open: p.Status == store.DuplicateOpen,
		Weight: strconv.FormatFloat(p.Weight, 'f', 2, 64), Prob: strconv.FormatFloat(p.Probability*100, 'f', 1, 64) + "%",
		Rows: rows, CSRF: o.CSRF, Error: errMsg,
		MergeA: prefix + a.PIN + "/" + b.PIN + "/merge", Dismiss: prefix + a.PIN + "/" + b.PIN + "/dismiss",
	}
	h.page(w, r, o, compareTmpl, t(o.Lang, "compare.title"), v, status)
}

func residence(p *registry.Person) string {
	r := p.PermanentResidence
	if r == nil {
		return ""
	}
	return strings.TrimSpace(r.Address + " (" + r.Province + "/" + r.Commune + ")")
}

func relName(r *registry.Relative) string {
	if r == nil {
		return ""
	}
	return r.FullName
}

// merge retires one record of the pair into the other.
func (h *Handler) merge(w http.ResponseWriter, r *http.Request) {
	o, ok := web.CurrentOfficer(r)
	if !ok {
		h.d.Console.RenderError(w, r, http.StatusForbidden, t("vi", "err.forbidden"))
		return
	}
	ctx := r.Context()
	p, st, err := h.load(ctx, o, r.PathValue("a"), r.PathValue("b"))
	if err != nil {
		h.fail(w, r, o, st, err)
		return
	}
	if p.Status != store.DuplicateOpen {
		h.showCompare(w, r, t(o.Lang, "err.decided"), http.StatusConflict)
		return
	}
	keep := r.PostFormValue("keep")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	var retire string
	switch keep {
	case p.PINA:
		retire = p.PINB
	case p.PINB:
		retire = p.PINA
	default:
		h.showCompare(w, r, t(o.Lang, "err.keep"), http.StatusBadRequest)
		return
	}
	if reason == "" {
		h.showCompare(w, r, t(o.Lang, "err.reason"), http.StatusBadRequest)
		return
	}
	data, _ := json.Marshal(map[string]string{"into": keep})
	sub := registry.Submission{
		Event: registry.Event{
			// One merge per pair: a repeated post replays the first result.
			ID: "merge-" + p.PINA + "-" + p.PINB, Type: "records_merged", Subject: retire,
			EffectiveDate: h.d.Registry.Today(), Reason: reason, Data: data,
		},
		Actor: o.ID,
	}
	if o.Account != nil {
		sub.Authorize = staff.EventAuthorizer(o.Account)
	}
	if _, err := h.d.Registry.Submit(ctx, sub); err != nil {
		var re *registry.Error
		if errors.As(err, &re) {
			status := http.StatusConflict
			switch re.Kind {
			case registry.Forbidden:
				status = http.StatusForbidden
			case registry.Invalid:
				status = http.StatusBadRequest
			}
			h.showCompare(w, r, t(o.Lang, "err.registry")+": "+re.Error(), status)
			return
		}
		h.d.Console.ServerError(w, r, err)
		return
	}
	if !h.record(w, r, o, "write", []string{"merged_into", "linked_pins"}, p.PINA, p.PINB) {
		return
	}
	if err := h.d.Queue.DecideDuplicateCandidate(ctx, p.PINA, p.PINB, store.DuplicateMerged, o.ID, timeNow()); err != nil && !errors.Is(err, store.ErrConflict) {
		h.d.Console.ServerError(w, r, err)
		return
	}
	h.d.Logger.Info("duplicate pair merged", "request_id", o.RequestID, "officer", o.ID)
	http.Redirect(w, r, prefix+"?done=merged", http.StatusSeeOther)
}

// dismiss closes a pair as two different people.
func (h *Handler) dismiss(w http.ResponseWriter, r *http.Request) {
	o, ok := web.CurrentOfficer(r)
	if !ok {
		h.d.Console.RenderError(w, r, http.StatusForbidden, t("vi", "err.forbidden"))
		return
	}
	ctx := r.Context()
	p, st, err := h.load(ctx, o, r.PathValue("a"), r.PathValue("b"))
	if err != nil {
		h.fail(w, r, o, st, err)
		return
	}
	err = h.d.Queue.DecideDuplicateCandidate(ctx, p.PINA, p.PINB, store.DuplicateDismissed, o.ID, timeNow())
	if errors.Is(err, store.ErrConflict) {
		h.showCompare(w, r, t(o.Lang, "err.decided"), http.StatusConflict)
		return
	}
	if err != nil {
		h.d.Console.ServerError(w, r, err)
		return
	}
	h.d.Logger.Info("duplicate pair dismissed", "request_id", o.RequestID, "officer", o.ID)
	http.Redirect(w, r, prefix+"?done=dismissed", http.StatusSeeOther)
}

// fail writes the page for a failed load.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, o web.Officer, status int, err error) {
	if status == http.StatusInternalServerError {
		h.d.Console.ServerError(w, r, err)
		return
	}
	h.d.Console.RenderError(w, r, status, t(o.Lang, "err.not_found"))
}

// page renders a template into the console layout.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, o web.Officer, tmpl *template.Template, title string, v any, status int) {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, v); err != nil {
		h.d.Console.ServerError(w, r, err)
		return
	}
	h.d.Console.Render(w, r, web.Page{Title: title, Body: template.HTML(buf.String()), Status: status})
}

// parseAfter reads the list's cursor, "<weight>_<pinA>_<pinB>"; anything
// else is no cursor (the first page).
func parseAfter(s string) (float64, string, string, bool) {
	parts := strings.Split(s, "_")
	if len(parts) != 3 || registry.CheckPIN("a", parts[1]) != nil || registry.CheckPIN("b", parts[2]) != nil {
		return 0, "", "", false
	}
	w, err := strconv.ParseFloat(parts[0], 64)
	if err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
		return 0, "", "", false
	}
	return w, parts[1], parts[2], true
}

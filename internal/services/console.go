package services

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/units"
	"github.com/dancu/dancu/internal/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/portal.css
var portalCSS []byte

// templates are the console's and the portal's pages of this package.
var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"t":        tr,
	"status":   func(lang, s string) string { return tr(lang, "status."+s) },
	"procname": procName,
	"unitname": unitName,
	"date":     func(t time.Time) string { return t.In(registry.Vietnam).Format("02/01/2006 15:04") },
	"pct":      func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
	"vnd":      formatVND,
	"kb":       func(n int64) string { return strconv.FormatInt((n+1023)/1024, 10) + " KiB" },
	"attlines": attachmentLines,
	"unit":     func(p string) Unit { return Unit{Province: p} },
	"figs": func(lang string, rows []Figures, byProv bool) map[string]any {
		return map[string]any{"Lang": lang, "Rows": rows, "ByProvince": byProv}
	},
	"overdue": func(d *Dossier, now time.Time) bool { return d.Overdue(now) },
}).ParseFS(templateFiles, "templates/*.html"))

func procName(lang, code string) string {
	if p, ok := builtinProcedure(code); ok {
		return p.Name.In(lang)
	}
	return code
}

func unitName(u Unit) string {
	now := time.Now()
	var parts []string
	if u.Commune != "" {
		if c, ok := units.LookupCommune(u.Commune, now); ok {
			parts = append(parts, c.Name)
		}
	}
	if p, ok := units.LookupProvince(u.Province, now); ok {
		parts = append(parts, p.Name)
	}
	if len(parts) == 0 {
		return u.Province + ":" + u.Commune
	}
	return strings.Join(parts, ", ")
}

func formatVND(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String() + " ₫"
}

// Console serves the officers' pages as a section of the console: the
// queue of a unit, a dossier with its actions, the dashboard and the
// procedures' settings.
type Console struct {
	svc *Service
	web *web.Handler
	log *slog.Logger
}

// ConsoleSection returns the console section of the services, rendered by
// w. Add it with w.AddSection before w.Mount.
func (s *Service) ConsoleSection(w *web.Handler) web.Section {
	c := &Console{svc: s, web: w, log: s.log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console/services/{$}", c.queue)
	mux.HandleFunc("GET /console/services/dossiers/{code}", c.dossier)
	mux.HandleFunc("POST /console/services/dossiers/{code}/{action}", c.act)
	mux.HandleFunc("GET /console/services/dossiers/{code}/attachments/{id}", c.download)
	mux.HandleFunc("GET /console/services/dashboard", c.dashboard)
	mux.HandleFunc("GET /console/services/procedures/{code}", c.procedure)
	mux.HandleFunc("POST /console/services/procedures/{code}", c.configure)
	return web.Section{
		Name: "services", Label: map[string]string{"vi": "Dịch vụ công", "en": "Public services"},
		Action: staff.ProcessDossier, Handler: mux, MaxBodyBytes: 64 << 10,
	}
}

// account is the officer's staff account; the bootstrap administrator acts
// as a national administrator.
func account(o web.Officer) *staff.Account {
	if o.Account != nil {
		return o.Account
	}
	return &staff.Account{ID: o.ID, Roles: []staff.Role{staff.NationalAdmin}}
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		c.web.ServerError(w, r, err)
		return
	}
	c.web.Render(w, r, web.Page{Title: title, Body: template.HTML(b.String()), Status: status})
}

// fail answers a services error with its status and reason (which hold no
// personal data), anything else with 500.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, o web.Officer, err error) {
	switch KindOf(err) {
	case KindNotFound:
		c.web.RenderError(w, r, http.StatusNotFound, tr(o.Lang, "err.not_found"))
	case KindForbidden:
		c.web.RenderError(w, r, http.StatusForbidden, err.Error())
	case KindInvalid:
		c.web.RenderError(w, r, http.StatusUnprocessableEntity, err.Error())
	case KindConflict:
		c.web.RenderError(w, r, http.StatusConflict, err.Error())
	default:
		c.web.ServerError(w, r, err)
	}
}

type queueView struct {
	Lang      string
	Unit      Unit
	UnitName  string
	Units     []Unit
	Queue     *Queue
	Procedure string
	Overdue   bool
	Now       time.Time
	NextHref  string
	Procs     []Procedure
}

func (c *Console) queue(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	acct := account(o)
	q := r.URL.Query()
	u := Unit{Province: q.Get("province"), Commune: q.Get("commune")}
	var scope []Unit
	for _, s := range acct.Scope {
		scope = append(scope, Unit{Province: s.Province, Commune: s.Commune})
	}
	if u.Province == "" && len(scope) > 0 {
		u = scope[0]
	}
	v := queueView{Lang: o.Lang, Unit: u, Units: scope, Procedure: q.Get("procedure"), Overdue: q.Get("overdue") == "1", Now: c.svc.clock(), Procs: builtin}
	if u.Province == "" {
		c.render(w, r, http.StatusOK, "queue.html", tr(o.Lang, "queue.title"), v)
		return
	}
	v.UnitName = unitName(u)
	res, err := c.svc.Queue(r.Context(), acct, QueueQuery{Unit: u, Procedure: v.Procedure, Overdue: v.Overdue, After: q.Get("after"), Limit: 50})
	if err != nil {
		c.fail(w, r, o, err)
		return
	}
	v.Queue = res
	if res.Next != "" {
		nq := url.Values{"province": {u.Province}, "commune": {u.Commune}, "procedure": {v.Procedure}, "after": {res.Next}}
		if v.Overdue {
			nq.Set("overdue", "1")
		}
		v.NextHref = "/console/services/?" + nq.Encode()
	}
	c.render(w, r, http.StatusOK, "queue.html", tr(o.Lang, "queue.title"), v)
}

type dossierView struct {
	Lang      string
	D         *Dossier
	Proc      Procedure
	CSRF      string
	Now       time.Time
	Stale     bool
	Message   string
	CanAct    bool
	FieldList []fieldValue
}

type fieldValue struct {
	Label, Value string
	Locked       bool
}

func (c *Console) dossierPage(w http.ResponseWriter, r *http.Request, o web.Officer, d *Dossier, status int, msg string) {
	p, _, err := c.svc.cat.Procedure(r.Context(), d.Procedure)
	if err != nil {
		c.fail(w, r, o, err)
		return
	}
	v := dossierView{Lang: o.Lang, D: d, Proc: p, CSRF: o.CSRF, Now: c.svc.clock(), Stale: status == http.StatusConflict, Message: msg, CanAct: d.Open()}
	for _, f := range p.Fields {
		if val, ok := d.Fields[f.Name]; ok {
			v.FieldList = append(v.FieldList, fieldValue{Label: f.Label.In(o.Lang), Value: val, Locked: f.Locked})
		}
	}
	c.render(w, r, status, "dossier.html", d.Code, v)
}

func (c *Console) dossier(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	d, err := c.svc.View(r.Context(), account(o), r.PathValue("code"))
	if err != nil {
		c.fail(w, r, o, err)
		return
	}
	c.dossierPage(w, r, o, d, http.StatusOK, "")
}

func (c *Console) act(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	acct := account(o)
	code := r.PathValue("code")
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || version < 1 {
		c.web.RenderError(w, r, http.StatusBadRequest, tr(o.Lang, "err.version"))
		return
	}
	ctx := r.Context()
	var d *Dossier
	switch r.PathValue("action") {
	case "accept":
		d, err = c.svc.Accept(ctx, acct, code, version)
	case "request-info":
		d, err = c.svc.RequestInfo(ctx, acct, code, version, r.PostFormValue("request"))
	case "approve":
		d, err = c.svc.Approve(ctx, acct, code, version, Decision{Note: r.PostFormValue("note"), NewHeadPIN: strings.TrimSpace(r.PostFormValue("new_head_pin")),
			NotDuplicateReason: r.PostFormValue("not_duplicate_reason")})
	case "reject":
		d, err = c.svc.Reject(ctx, acct, code, version, r.PostFormValue("reason"))
	default:
		c.web.RenderError(w, r, http.StatusNotFound, tr(o.Lang, "err.not_found"))
		return
	}
	var stale *StaleError
	if errors.As(err, &stale) {
		// Another officer acted first: show the dossier as it now is.
		c.dossierPage(w, r, o, stale.Current, http.StatusConflict, tr(o.Lang, "err.stale"))
		return
	}
	if KindOf(err) == KindConflict || KindOf(err) == KindInvalid {
		if cur, gerr := c.svc.View(ctx, acct, code); gerr == nil {
			status := http.StatusConflict
			if KindOf(err) == KindInvalid {
				status = http.StatusUnprocessableEntity
			}
			c.dossierPage(w, r, o, cur, status, err.Error())
			return
		}
	}
	if err != nil {
		c.fail(w, r, o, err)
		return
	}
	http.Redirect(w, r, "/console/services/dossiers/"+url.PathEscape(d.Code), http.StatusSeeOther)
}

func (c *Console) download(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	a, err := c.svc.Attachment(r.Context(), account(o), r.PathValue("code"), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, o, err)
		return
	}
	serveAttachment(w, a.ContentType, a.Name, a.Content)
}

// serveAttachment sends a stored file as a download of its detected type,
// never rendered in the page's origin.
func serveAttachment(w http.ResponseWriter, contentType, name string, content []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(content)))
	w.Write(content)
}

type dashView struct {
	Lang     string
	From, To string
	National []Figures
	ByProv   []Figures
	Procs    []Listing
	Admin    bool
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	from, to, err := c.svc.period(r.URL.Query().Get("from"), r.URL.Query().Get("to"))
	if err != nil {
		c.web.RenderError(w, r, http.StatusUnprocessableEntity, err.Error())
		return
	}
	figs, err := c.svc.Stats(r.Context(), from, to)
	if err != nil {
		c.web.ServerError(w, r, err)
		return
	}
	v := dashView{Lang: o.Lang, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly),
		Admin: staff.Allowed(account(o), staff.ConfigureServices)}
	for _, f := range figs {
		if f.Province == "" {
			v.National = append(v.National, f)
		} else {
			v.ByProv = append(v.ByProv, f)
		}
	}
	if v.Procs, err = c.svc.cat.List(r.Context()); err != nil {
		c.web.ServerError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "dashboard.html", tr(o.Lang, "dash.title"), v)
}

type procView struct {
	Lang    string
	L       Listing
	CSRF    string
	Types   string
	Message string
}

func (c *Console) procedure(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	if !staff.Allowed(account(o), staff.ConfigureServices) {
		c.web.RenderError(w, r, http.StatusForbidden, tr(o.Lang, "err.admin"))
		return
	}
	p, ok, err := c.svc.cat.Procedure(r.Context(), r.PathValue("code"))
	if err != nil {
		c.fail(w, r, o, refuse(KindNotFound, "", "no such procedure"))
		return
	}
	c.render(w, r, http.StatusOK, "procedure.html", p.Name.In(o.Lang), procView{Lang: o.Lang, L: Listing{Procedure: p, Offered: ok}, CSRF: o.CSRF})
}

// configure reads the settings form: fee, deadline, offered, and one line
// per attachment "kind | required | types | max KiB | name".
func (c *Console) configure(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	if !staff.Allowed(account(o), staff.ConfigureServices) {
		c.web.RenderError(w, r, http.StatusForbidden, tr(o.Lang, "err.admin"))
		return
	}
	code := r.PathValue("code")
	s, err := parseSettingsForm(r)
	if err == nil {
		_, err = c.svc.cat.Configure(r.Context(), code, s)
	}
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			p, ok, perr := c.svc.cat.Procedure(r.Context(), code)
			if perr == nil {
				c.render(w, r, http.StatusUnprocessableEntity, "procedure.html", p.Name.In(o.Lang),
					procView{Lang: o.Lang, L: Listing{Procedure: p, Offered: ok}, CSRF: o.CSRF, Message: err.Error()})
				return
			}
		}
		c.fail(w, r, o, refuse(KindNotFound, "", "no such procedure"))
		return
	}
	c.log.InfoContext(r.Context(), "procedure configured", "procedure", code, "officer", o.ID)
	http.Redirect(w, r, "/console/services/dashboard", http.StatusSeeOther)
}

func parseSettingsForm(r *http.Request) (Settings, error) {
	var s Settings
	fee, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("fee")), ".", ""), 10, 64)
	if err != nil {
		return s, invalidf("fee", "a whole number of đồng")
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("deadline_days")))
	if err != nil {
		return s, invalidf("deadline_days", "a whole number of working days")
	}
	disabled := r.PostFormValue("offered") != "1"
	s.Fee, s.DeadlineDays, s.Disabled = &fee, &days, &disabled
	s.Attachments = []AttachmentSpec{}
	for i, line := range strings.Split(r.PostFormValue("attachments"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) != 5 {
			return s, invalidf(fmt.Sprintf("attachments line %d", i+1), "write kind | required or optional | types | max KiB | name")
		}
		for j := range parts {
			parts[j] = strings.TrimSpace(parts[j])
		}
		kib, err := strconv.ParseInt(parts[3], 10, 64)
		if err != nil {
			return s, invalidf(fmt.Sprintf("attachments line %d", i+1), "max KiB must be a number")
		}
		var types []string
		for _, t := range strings.Split(parts[2], ",") {
			if t = strings.TrimSpace(t); t != "" {
				types = append(types, t)
			}
		}
		s.Attachments = append(s.Attachments, AttachmentSpec{Kind: parts[0], Required: parts[1] == "required",
			Types: types, MaxBytes: kib << 10, Name: Text{VI: parts[4], EN: parts[4]}})
	}
	return s, nil
}

// attachmentLines writes attachment specs in the settings form's format.
func attachmentLines(specs []AttachmentSpec) string {
	var b strings.Builder
	for _, a := range specs {
		req := "optional"
		if a.Required {
			req = "required"
		}
		fmt.Fprintf(&b, "%s | %s | %s | %d | %s\n", a.Kind, req, strings.Join(a.Types, ", "), a.MaxBytes>>10, a.Name.VI)
	}
	return b.String()
}

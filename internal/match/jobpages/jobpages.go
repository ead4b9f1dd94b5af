package jobpages

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/dancu/dancu/internal/match"
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

// Jobs is what the pages need of the job engine (*match.Engine).
type Jobs interface {
	Jobs(ctx context.Context, agency string, limit int) ([]store.VerifyJob, error)
	Job(ctx context.Context, agency, id string) (store.VerifyJob, error)
	Cancel(ctx context.Context, agency, id string) (store.VerifyJob, error)
	OpenResult(j store.VerifyJob) (io.ReadSeekCloser, int64, error)
}

// Deps are the Handler's dependencies.
type Deps struct {
	Jobs    Jobs
	Console Console
	Logger  *slog.Logger
}

// Handler serves the section's pages.
type Handler struct {
	d   Deps
	mux *http.ServeMux
}

// Name is the section's path segment.
const Name = "verify-jobs"

const prefix = "/console/" + Name + "/"

// listLimit is how many jobs the list shows, newest first.
const listLimit = 200

// New returns the handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{d: d, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+prefix+"{$}", h.list)
	h.mux.HandleFunc("GET "+prefix+"{id}/result", h.result)
	h.mux.HandleFunc("POST "+prefix+"{id}/cancel", h.cancel)
	return h
}

// Section returns the console section to add with web.Handler.AddSection.
func (h *Handler) Section() web.Section {
	return web.Section{
		Name:    Name,
		Label:   msgs.Label("nav"),
		Action:  staff.ManageConnections,
		Handler: h.mux,
	}
}

// ServeHTTP serves the section's requests (for tests; the console mounts
// Section().Handler).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// officer returns the signed-in officer if they may use the section: the
// console checks that they hold the action somewhere, and it is national.
func (h *Handler) officer(w http.ResponseWriter, r *http.Request) (web.Officer, bool) {
	o, ok := web.CurrentOfficer(r)
	if !ok || o.Authorize(staff.ManageConnections, nil) != nil {
		h.d.Console.RenderError(w, r, http.StatusForbidden, t(o.Lang, "err.forbidden"))
		return o, false
	}
	return o, true
}

// row is one job in the list.
type row struct {
	match.JobView
	Agency, Client string
	Percent        string
	Active         bool // queued or running: it can be cancelled
	Result         string
}

type listView struct {
	L    func(string) string
	Rows []row
	Done string
	CSRF string
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	o, ok := h.officer(w, r)
	if !ok {
		return
	}
	js, err := h.d.Jobs.Jobs(r.Context(), "", listLimit)
	if err != nil {
		h.d.Console.ServerError(w, r, err)
		return
	}
	v := listView{L: func(k string) string { return t(o.Lang, k) }, CSRF: o.CSRF}
	for _, j := range js {
		jv := match.ViewOf(j)
		rw := row{JobView: jv, Agency: j.Agency, Client: j.Client, Percent: strconv.FormatFloat(jv.Progress*100, 'f', 1, 64),
			Active: j.State == match.StateQueued || j.State == match.StateRunning}
		if match.HasResult(j) {
			rw.Result = prefix + j.ID + "/result"
		}
		v.Rows = append(v.Rows, rw)
	}
	if r.URL.Query().Get("cancelled") != "" {
		v.Done = t(o.Lang, "done.cancelled")
	}
	var buf bytes.Buffer
	if err := listTmpl.Execute(&buf, v); err != nil {
		h.d.Console.ServerError(w, r, err)
		return
	}
	h.d.Console.Render(w, r, web.Page{Title: t(o.Lang, "title"), Body: template.HTML(buf.String())})
}

// job loads the job of the request's path, answering 404 if there is none.
func (h *Handler) job(w http.ResponseWriter, r *http.Request, o web.Officer) (store.VerifyJob, bool) {
	j, err := h.d.Jobs.Job(r.Context(), "", r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.d.Console.RenderError(w, r, http.StatusNotFound, t(o.Lang, "err.not_found"))
		return j, false
	}
	if err != nil {
		h.d.Console.ServerError(w, r, err)
		return j, false
	}
	return j, true
}

// result downloads a job's result file. It holds the carrier's phone
// numbers and the registry's answers; who downloaded which job is logged.
func (h *Handler) result(w http.ResponseWriter, r *http.Request) {
	o, ok := h.officer(w, r)
	if !ok {
		return
	}
	j, ok := h.job(w, r, o)
	if !ok {
		return
	}
	if !match.HasResult(j) {
		h.d.Console.RenderError(w, r, http.StatusConflict, t(o.Lang, "err.no_result"))
		return
	}
	f, n, err := h.d.Jobs.OpenResult(j)
	if err != nil {
		h.d.Console.ServerError(w, r, err)
		return
	}
	defer f.Close()
	h.d.Logger.InfoContext(r.Context(), "verification job result downloaded", "request_id", o.RequestID, "principal", o.ID, "job", j.ID)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.Header().Set("Content-Disposition", `attachment; filename="`+j.ID+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.CopyN(w, f, n)
}

// cancel stops a queued or running job.
func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	o, ok := h.officer(w, r)
	if !ok {
		return
	}
	j, ok := h.job(w, r, o)
	if !ok {
		return
	}
	_, err := h.d.Jobs.Cancel(r.Context(), "", j.ID)
	switch {
	case errors.Is(err, match.ErrJobFinished):
		h.d.Console.RenderError(w, r, http.StatusConflict, t(o.Lang, "err.finished"))
		return
	case err != nil:
		h.d.Console.ServerError(w, r, err)
		return
	}
	h.d.Logger.InfoContext(r.Context(), "verification job cancelled from the console", "request_id", o.RequestID, "principal", o.ID, "job", j.ID)
	http.Redirect(w, r, prefix+"?cancelled=1", http.StatusSeeOther)
}

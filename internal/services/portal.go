package services

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PortalPrefix is where the citizens' pages of the services live.
const PortalPrefix = "/portal/services/"

// Layout writes a page of the citizens' portal around a body this package
// rendered. The portal (package eid) provides its own once it lands; until
// then DefaultLayout writes a plain page of the same structure.
type Layout interface {
	RenderPortal(w http.ResponseWriter, r *http.Request, status int, title string, body template.HTML)
}

// DefaultLayout is a minimal portal page: header, language, content.
type DefaultLayout struct{}

// RenderPortal implements Layout.
func (DefaultLayout) RenderPortal(w http.ResponseWriter, r *http.Request, status int, title string, body template.HTML) {
	var b bytes.Buffer
	err := templates.ExecuteTemplate(&b, "portal_layout.html", map[string]any{"Lang": lang(r), "Title": title, "Body": body})
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// securityHeaders are those of every portal page: pages carry personal
// data, so nothing is cached, framed or sniffed, and no script runs.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
}

// Portal serves the citizens' pages: the catalogue, the form of a
// procedure, their dossiers with answers and withdrawal, and their
// notifications.
type Portal struct {
	svc       *Service
	sessions  Sessions
	layout    Layout
	maxUpload int64

	csrfOnce sync.Once
	csrfKey  []byte
	csrfErr  error
}

// PortalHandler returns the citizens' pages, to mount under PortalPrefix.
// A request without a signed-in citizen is sent to the portal's sign-in
// and back. Every unsafe request passes Go's cross-origin protection
// (Sec-Fetch-Site and Origin) and must carry the form's CSRF token: an HMAC
// of the citizen's session under a key kept in the store's settings, so
// that every process accepts it and nothing is stored per form.
func (s *Service) PortalHandler(sessions Sessions, layout Layout, maxUpload int64) http.Handler {
	if layout == nil {
		layout = DefaultLayout{}
	}
	if maxUpload <= 0 {
		maxUpload = 25 << 20
	}
	p := &Portal{svc: s, sessions: sessions, layout: layout, maxUpload: maxUpload}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /portal/services/{$}", p.catalogue)
	mux.HandleFunc("GET /portal/services/static/portal.css", serveCSS)
	mux.HandleFunc("GET /portal/services/apply/{code}", p.signedIn(p.form))
	mux.HandleFunc("POST /portal/services/apply/{code}", p.signedIn(p.apply))
	mux.HandleFunc("GET /portal/services/dossiers/{$}", p.signedIn(p.mine))
	mux.HandleFunc("GET /portal/services/dossiers/{code}", p.signedIn(p.detail))
	mux.HandleFunc("POST /portal/services/dossiers/{code}/respond", p.signedIn(p.respond))
	mux.HandleFunc("POST /portal/services/dossiers/{code}/withdraw", p.signedIn(p.withdraw))
	mux.HandleFunc("GET /portal/services/dossiers/{code}/attachments/{id}", p.signedIn(p.download))
	mux.HandleFunc("GET /portal/services/notifications", p.signedIn(p.notifications))
	mux.HandleFunc("POST /portal/services/notifications/read", p.signedIn(p.markRead))
	return http.NewCrossOriginProtection().Handler(mux)
}

type citizenHandler func(w http.ResponseWriter, r *http.Request, c Citizen)

// signedIn runs h for a signed-in citizen, and sends anyone else to sign in.
// A POST must carry the session's CSRF token; pages find the token to put
// in their forms in the request's context.
func (p *Portal) signedIn(h citizenHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := p.sessions.Current(r)
		if !ok {
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = PortalPrefix
			}
			http.Redirect(w, r, "/portal/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		token, err := p.csrfToken(r.Context(), c)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			if err := p.parseForm(w, r); err != nil {
				p.fail(w, r, err)
				return
			}
			got := r.PostFormValue("csrf")
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				if r.MultipartForm != nil {
					r.MultipartForm.RemoveAll()
				}
				p.fail(w, r, refuse(KindForbidden, "csrf", "the form has expired or did not come from this site; reload the page and try again"))
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), csrfCtxKey{}, token)), c)
	}
}

type csrfCtxKey struct{}

// csrfKeySetting holds the key of the portal forms' CSRF tokens (hex).
const csrfKeySetting = "services.portal_csrf_key"

// csrfToken is the CSRF token of a citizen's session.
func (p *Portal) csrfToken(ctx context.Context, c Citizen) (string, error) {
	p.csrfOnce.Do(func() {
		k := make([]byte, 32)
		rand.Read(k)
		v, err := p.svc.st.SetSettingIfAbsent(ctx, csrfKeySetting, hex.EncodeToString(k))
		if err == nil {
			p.csrfKey, err = hex.DecodeString(v)
		}
		p.csrfErr = err
	})
	if p.csrfErr != nil {
		return "", fmt.Errorf("services: portal CSRF key: %w", p.csrfErr)
	}
	m := hmac.New(sha256.New, p.csrfKey)
	m.Write([]byte("portal-services-csrf\x00" + c.AccountID + "\x00" + c.SessionID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

func lang(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "vi"
}

func (p *Portal) page(w http.ResponseWriter, r *http.Request, status int, name, title string, data map[string]any) {
	data["Lang"] = lang(r)
	data["CSRF"], _ = r.Context().Value(csrfCtxKey{}).(string)
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		p.svc.log.ErrorContext(r.Context(), "portal template", "template", name, "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.layout.RenderPortal(w, r, status, title, template.HTML(b.String()))
}

// fail answers an error: a refusal with its reason (no personal data in
// it), anything else with a plain 500 after logging it.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := "internal error"
	switch KindOf(err) {
	case KindNotFound:
		status, msg = http.StatusNotFound, err.Error()
	case KindForbidden:
		status, msg = http.StatusForbidden, err.Error()
	case KindInvalid:
		status, msg = http.StatusUnprocessableEntity, err.Error()
	case KindConflict:
		status, msg = http.StatusConflict, err.Error()
	default:
		p.svc.log.ErrorContext(r.Context(), "portal", "path", r.URL.Path, "error", err.Error())
	}
	p.page(w, r, status, "portal_error.html", msg, map[string]any{"Message": msg})
}

func (p *Portal) catalogue(w http.ResponseWriter, r *http.Request) {
	l, err := p.svc.cat.List(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	_, signed := p.sessions.Current(r)
	p.page(w, r, http.StatusOK, "portal_catalogue.html", tr(lang(r), "portal.title"), map[string]any{"Procs": l, "SignedIn": signed})
}

func (p *Portal) form(w http.ResponseWriter, r *http.Request, c Citizen) {
	f, err := p.svc.Prefill(r.Context(), c, r.PathValue("code"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.formPage(w, r, http.StatusOK, f, f.Values, "")
}

func (p *Portal) formPage(w http.ResponseWriter, r *http.Request, status int, f *Form, values map[string]string, msg string) {
	key := make([]byte, 16)
	rand.Read(key)
	p.page(w, r, status, "portal_form.html", f.Procedure.Name.In(lang(r)),
		map[string]any{"P": f.Procedure, "Values": values, "Key": hex.EncodeToString(key), "Message": msg})
}

// readUploads reads the files of a multipart form: one input per
// attachment kind, named "file_<kind>".
func readUploads(r *http.Request) ([]Upload, error) {
	var out []Upload
	if r.MultipartForm == nil {
		return nil, nil
	}
	for name, files := range r.MultipartForm.File {
		kind, ok := strings.CutPrefix(name, "file_")
		if !ok {
			continue
		}
		for _, fh := range files {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			f, err := fh.Open()
			if err != nil {
				return nil, err
			}
			b, err := io.ReadAll(io.LimitReader(f, MaxAttachmentBytes+1))
			f.Close()
			if err != nil {
				return nil, err
			}
			out = append(out, Upload{Kind: kind, Name: fh.Filename, Content: b})
		}
	}
	return out, nil
}

// parseForm reads a multipart (or plain) form within the upload limit.
func (p *Portal) parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, p.maxUpload)
	err := r.ParseMultipartForm(8 << 20)
	if errors.Is(err, http.ErrNotMultipart) {
		err = r.ParseForm()
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return refuse(KindInvalid, "attachments", "the files together exceed %d bytes", p.maxUpload)
	}
	if err != nil {
		return refuse(KindInvalid, "", "the form could not be read")
	}
	return nil
}

func (p *Portal) apply(w http.ResponseWriter, r *http.Request, c Citizen) {
	if err := p.parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	defer r.MultipartForm.RemoveAll()
	code := r.PathValue("code")
	in := SubmitInput{Procedure: code, Fields: map[string]string{}, IdemKey: r.PostFormValue("idempotency_key")}
	for k, v := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "f_"); ok && len(v) > 0 {
			in.Fields[name] = v[0]
		}
	}
	ups, err := readUploads(r)
	if err != nil {
		p.fail(w, r, refuse(KindInvalid, "attachments", "a file could not be read"))
		return
	}
	in.Uploads = ups
	d, _, err := p.svc.Submit(r.Context(), c, in)
	if KindOf(err) == KindInvalid {
		if f, ferr := p.svc.Prefill(r.Context(), c, code); ferr == nil {
			p.formPage(w, r, http.StatusUnprocessableEntity, f, mergeValues(f.Values, in.Fields), err.Error())
			return
		}
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.Redirect(w, r, PortalPrefix+"dossiers/"+url.PathEscape(d.Code)+"?new=1", http.StatusSeeOther)
}

func mergeValues(reg, sent map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range sent {
		out[k] = v
	}
	for k, v := range reg {
		out[k] = v
	}
	return out
}

func (p *Portal) mine(w http.ResponseWriter, r *http.Request, c Citizen) {
	list, err := p.svc.MyDossiers(r.Context(), c, r.URL.Query().Get("after"), 50)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	next := ""
	if len(list) == 50 {
		next = list[len(list)-1].Code
	}
	p.page(w, r, http.StatusOK, "portal_mine.html", tr(lang(r), "portal.mine"), map[string]any{"List": list, "Next": next, "Now": p.svc.clock()})
}

func (p *Portal) detailPage(w http.ResponseWriter, r *http.Request, status int, d *Dossier, msg string) {
	proc, _, err := p.svc.cat.Procedure(r.Context(), d.Procedure)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var fields []fieldValue
	for _, f := range proc.Fields {
		if v, ok := d.Fields[f.Name]; ok {
			fields = append(fields, fieldValue{Label: f.Label.In(lang(r)), Value: v, Locked: f.Locked})
		}
	}
	p.page(w, r, status, "portal_dossier.html", d.Code, map[string]any{"D": d, "P": proc, "Fields": fields,
		"New": r.URL.Query().Get("new") == "1", "Message": msg, "Now": p.svc.clock()})
}

func (p *Portal) detail(w http.ResponseWriter, r *http.Request, c Citizen) {
	d, err := p.svc.Mine(r.Context(), c, r.PathValue("code"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.detailPage(w, r, http.StatusOK, d, "")
}

func formVersion(r *http.Request) int64 {
	v, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return v
}

// after answers the result of a citizen's action on a dossier.
func (p *Portal) after(w http.ResponseWriter, r *http.Request, c Citizen, code string, d *Dossier, err error) {
	var stale *StaleError
	switch {
	case errors.As(err, &stale):
		p.detailPage(w, r, http.StatusConflict, stale.Current, stale.Error())
	case KindOf(err) == KindInvalid || KindOf(err) == KindConflict:
		if cur, gerr := p.svc.Mine(r.Context(), c, code); gerr == nil {
			status := http.StatusConflict
			if KindOf(err) == KindInvalid {
				status = http.StatusUnprocessableEntity
			}
			p.detailPage(w, r, status, cur, err.Error())
			return
		}
		p.fail(w, r, err)
	case err != nil:
		p.fail(w, r, err)
	default:
		http.Redirect(w, r, PortalPrefix+"dossiers/"+url.PathEscape(d.Code), http.StatusSeeOther)
	}
}

func (p *Portal) respond(w http.ResponseWriter, r *http.Request, c Citizen) {
	if err := p.parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	ups, err := readUploads(r)
	if err != nil {
		p.fail(w, r, refuse(KindInvalid, "attachments", "a file could not be read"))
		return
	}
	code := r.PathValue("code")
	d, err := p.svc.Respond(r.Context(), c, code, formVersion(r), r.PostFormValue("note"), ups)
	p.after(w, r, c, code, d, err)
}

func (p *Portal) withdraw(w http.ResponseWriter, r *http.Request, c Citizen) {
	if err := p.parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	code := r.PathValue("code")
	d, err := p.svc.Withdraw(r.Context(), c, code, formVersion(r))
	p.after(w, r, c, code, d, err)
}

func (p *Portal) download(w http.ResponseWriter, r *http.Request, c Citizen) {
	a, err := p.svc.MyAttachment(r.Context(), c, r.PathValue("code"), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	serveAttachment(w, a.ContentType, a.Name, a.Content)
}

type noteView struct {
	ID      int64
	Dossier string
	Text    string
	At      time.Time
	Unread  bool
}

func (p *Portal) notifications(w http.ResponseWriter, r *http.Request, c Citizen) {
	ns, err := p.svc.Notifications(r.Context(), c, 100)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	l := lang(r)
	var out []noteView
	var newest int64
	for _, n := range ns {
		out = append(out, noteView{ID: n.ID, Dossier: n.Dossier, At: n.CreatedAt, Unread: n.ReadAt.IsZero(),
			Text: tr(l, "portal.notify", n.Dossier, tr(l, "status."+n.Kind))})
		newest = max(newest, n.ID)
	}
	p.page(w, r, http.StatusOK, "portal_notes.html", tr(l, "portal.notes"), map[string]any{"Notes": out, "Newest": newest})
}

func (p *Portal) markRead(w http.ResponseWriter, r *http.Request, c Citizen) {
	if err := p.parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	id, _ := strconv.ParseInt(r.PostFormValue("up_to"), 10, 64)
	if err := p.svc.MarkRead(r.Context(), c, id); err != nil {
		p.fail(w, r, err)
		return
	}
	http.Redirect(w, r, PortalPrefix+"notifications", http.StatusSeeOther)
}

func serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(portalCSS)
}

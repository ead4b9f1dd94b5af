package rp

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Name is the section's path segment.
const Name = "rp"

const prefix = "/console/" + Name + "/"

// Deps are what the section needs, wired by cmd/dancu.
type Deps struct {
	Console  *web.Handler
	Provider *oidc.Provider
	Logger   *slog.Logger
}

// Handler serves the section's pages.
type Handler struct {
	d     Deps
	pages *template.Template
	mux   *http.ServeMux
}

// New returns the section's handler; it panics if the templates do not
// parse (a build defect every test run catches).
func New(d Deps) *Handler {
	if d.Console == nil || d.Provider == nil {
		panic("rp: Deps.Console and Deps.Provider are required")
	}
	h := &Handler{d: d}
	h.pages = template.Must(template.New("").Funcs(template.FuncMap{
		"t":    func(lang, key string) string { return text(lang, key) },
		"join": strings.Join,
		"has":  slices.Contains[[]string],
	}).ParseFS(templateFS, "templates/*.html"))
	m := http.NewServeMux()
	m.HandleFunc("GET "+prefix+"{$}", h.list)
	m.HandleFunc("POST "+prefix+"{$}", h.add)
	m.HandleFunc("GET "+prefix+"{id}", h.show)
	m.HandleFunc("POST "+prefix+"{id}/status", h.status)
	m.HandleFunc("POST "+prefix+"{id}/keys", h.keys)
	m.HandleFunc("POST "+prefix+"{id}/secret", h.secret)
	h.mux = m
	return h
}

// Section returns the console section.
func (h *Handler) Section() web.Section {
	return web.Section{
		Name:         Name,
		Label:        map[string]string{"vi": text("vi", "nav"), "en": text("en", "nav")},
		Action:       staff.ManageConnections,
		Handler:      h.mux,
		MaxBodyBytes: 128 << 10,
	}
}

// Add adds the section to the console; call it before the console's Mount.
func Add(d Deps) { d.Console.AddSection(New(d).Section()) }

// form is the registration form as typed.
type form struct {
	ID, Name, Purpose, RedirectURIs, PostLogoutURIs, Auth, JWKS, Sector, Subject, Datasets string
	Scopes                                                                                 []string
	Level                                                                                  int
}

type pageData struct {
	Lang, CSRF string
	RPs        []*oidc.RP
	RP         *oidc.RP
	Form       form
	Errors     []string
	Scopes     []string
	Secret     string
	Notice     string
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, d pageData) {
	o, _ := web.CurrentOfficer(r)
	d.Lang, d.CSRF = o.Lang, o.CSRF
	d.Scopes = oidc.ScopeNames()
	var b bytes.Buffer
	if err := h.pages.ExecuteTemplate(&b, page, d); err != nil {
		h.d.Console.ServerError(w, r, fmt.Errorf("rp: render %s: %w", page, err))
		return
	}
	h.d.Console.Render(w, r, web.Page{Title: text(o.Lang, "title"), Body: template.HTML(b.String()), Status: status})
}

func (h *Handler) lang(r *http.Request) string {
	o, _ := web.CurrentOfficer(r)
	return o.Lang
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	h.renderList(w, r, http.StatusOK, form{Level: 1, Auth: oidc.AuthPrivateKeyJWT, Scopes: []string{"openid"}}, nil)
}

func (h *Handler) renderList(w http.ResponseWriter, r *http.Request, status int, f form, errs []string) {
	rps, err := h.d.Provider.RPs(r.Context())
	if err != nil {
		h.d.Console.ServerError(w, r, err)
		return
	}
	h.render(w, r, status, "list", pageData{RPs: rps, Form: f, Errors: errs})
}

func lines(s string) []string {
	var out []string
	for l := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' }) {
		out = append(out, l)
	}
	return out
}

func (h *Handler) add(w http.ResponseWriter, r *http.Request) {
	pf := r.PostForm
	f := form{ID: strings.TrimSpace(pf.Get("id")), Name: pf.Get("name"), Purpose: pf.Get("purpose"),
		RedirectURIs: pf.Get("redirect_uris"), PostLogoutURIs: pf.Get("post_logout_uris"), Auth: pf.Get("auth"),
		JWKS: pf.Get("jwks"), Sector: strings.TrimSpace(pf.Get("sector")), Subject: pf.Get("subject"),
		Datasets: pf.Get("datasets"), Scopes: pf["scope"]}
	f.Level, _ = strconv.Atoi(pf.Get("level"))
	scopes := slices.Clone(f.Scopes)
	for _, ds := range lines(f.Datasets) {
		scopes = append(scopes, "dataset:"+ds)
	}
	in := oidc.RPInput{ID: f.ID, Name: f.Name, Purpose: f.Purpose, RedirectURIs: lines(f.RedirectURIs),
		PostLogoutRedirectURIs: lines(f.PostLogoutURIs), AuthMethod: f.Auth, Scopes: scopes,
		RequiredLevel: f.Level, SubjectType: f.Subject, Sector: f.Sector}
	if f.Auth == oidc.AuthPrivateKeyJWT {
		in.JWKS = []byte(f.JWKS)
	}
	rp, secret, err := h.d.Provider.AddRP(r.Context(), in)
	if errors.Is(err, oidc.ErrInvalid) {
		h.renderList(w, r, http.StatusUnprocessableEntity, f, reasons(err))
		return
	}
	if err != nil {
		h.d.Console.ServerError(w, r, err)
		return
	}
	if secret != "" {
		// Shown on this answer only; only its hash is kept.
		w.Header().Set("Cache-Control", "no-store")
		h.render(w, r, http.StatusCreated, "secret", pageData{RP: rp, Secret: secret})
		return
	}
	http.Redirect(w, r, prefix+rp.ID+"?done=added", http.StatusSeeOther)
}

// reasons splits a joined validation error into its lines, without the
// package prefix.
func reasons(err error) []string {
	var out []string
	for l := range strings.SplitSeq(err.Error(), "\n") {
		out = append(out, strings.TrimPrefix(l, oidc.ErrInvalid.Error()+": "))
	}
	return out
}

func (h *Handler) load(w http.ResponseWriter, r *http.Request) (*oidc.RP, bool) {
	rp, err := h.d.Provider.RP(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		h.d.Console.RenderError(w, r, http.StatusNotFound, text(h.lang(r), "not_found"))
		return nil, false
	}
	if err != nil {
		h.d.Console.ServerError(w, r, err)
		return nil, false
	}
	return rp, true
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	rp, ok := h.load(w, r)
	if !ok {
		return
	}
	d := pageData{RP: rp}
	if done := r.URL.Query().Get("done"); done != "" && text(h.lang(r), "done."+done) != "done."+done {
		d.Notice = text(h.lang(r), "done."+done)
	}
	h.render(w, r, http.StatusOK, "show", d)
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	st := r.PostForm.Get("status")
	if st != oidc.StatusActive && st != oidc.StatusDisabled {
		h.d.Console.RenderError(w, r, http.StatusBadRequest, text(h.lang(r), "bad_status"))
		return
	}
	if _, err := h.d.Provider.SetRPStatus(r.Context(), r.PathValue("id"), st); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, prefix+r.PathValue("id")+"?done="+st, http.StatusSeeOther)
}

func (h *Handler) keys(w http.ResponseWriter, r *http.Request) {
	rp, err := h.d.Provider.SetRPKeys(r.Context(), r.PathValue("id"), []byte(r.PostForm.Get("jwks")))
	if errors.Is(err, oidc.ErrInvalid) {
		cur, ok := h.load(w, r)
		if !ok {
			return
		}
		h.render(w, r, http.StatusUnprocessableEntity, "show", pageData{RP: cur, Errors: reasons(err)})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, prefix+rp.ID+"?done=keys", http.StatusSeeOther)
}

func (h *Handler) secret(w http.ResponseWriter, r *http.Request) {
	secret, err := h.d.Provider.RotateRPSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rp, ok := h.load(w, r)
	if !ok {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, "secret", pageData{RP: rp, Secret: secret})
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.d.Console.RenderError(w, r, http.StatusNotFound, text(h.lang(r), "not_found"))
	case errors.Is(err, oidc.ErrInvalid):
		h.d.Console.RenderError(w, r, http.StatusUnprocessableEntity, strings.Join(reasons(err), "; "))
	default:
		h.d.Console.ServerError(w, r, err)
	}
}

var messages = web.Messages{
	"vi": {
		"nav": "Bên nhận định danh", "title": "Bên nhận định danh (OpenID Connect)",
		"intro":  "Các dịch vụ, ngân hàng, bệnh viện dùng đăng nhập bằng định danh điện tử. Mỗi bên chỉ nhận các thông tin trong phạm vi được đăng ký và được công dân đồng ý.",
		"none":   "Chưa có bên nào.",
		"col.id": "Mã", "col.name": "Tên", "col.status": "Trạng thái", "col.auth": "Xác thực", "col.level": "Mức độ", "col.scopes": "Phạm vi",
		"add": "Đăng ký bên nhận", "field.id": "Mã (client_id)", "field.name": "Tên hiển thị", "field.purpose": "Mục đích sử dụng",
		"field.redirect": "Địa chỉ chuyển hướng (mỗi dòng một địa chỉ, khớp chính xác)", "field.logout": "Địa chỉ sau đăng xuất",
		"field.auth": "Cách xác thực", "field.jwks": "Khoá công khai (JWK Set) cho private_key_jwt", "field.scopes": "Phạm vi được phép",
		"field.datasets": "Cơ sở dữ liệu liên kết (tên, cách nhau bởi dấu phẩy)", "field.level": "Mức độ tài khoản yêu cầu",
		"field.subject": "Loại định danh (sub)", "field.sector": "Sector (tên miền; mặc định theo địa chỉ chuyển hướng đầu tiên)",
		"action.add": "Đăng ký", "action.disable": "Tạm dừng", "action.enable": "Cho phép lại", "action.keys": "Thay khoá",
		"action.secret": "Cấp mật khẩu mới", "secret.title": "Mật khẩu của bên nhận",
		"secret.text": "Mật khẩu chỉ hiển thị một lần này; hệ thống chỉ lưu giá trị băm. Hãy chuyển cho bên nhận qua kênh an toàn.",
		"errors":      "Chưa đăng ký được:", "not_found": "Không có bên nhận này.", "bad_status": "Trạng thái không hợp lệ.",
		"status.active": "Đang hoạt động", "status.disabled": "Tạm dừng", "keys.count": "Số khoá",
		"done.added": "Đã đăng ký.", "done.active": "Đã cho phép lại.", "done.disabled": "Đã tạm dừng; mọi token của bên này đã bị thu hồi.", "done.keys": "Đã thay khoá.",
		"back": "Danh sách bên nhận",
	},
	"en": {
		"nav": "Relying parties", "title": "Relying parties (OpenID Connect)",
		"intro":  "Services, banks and hospitals that sign citizens in with their electronic identification. Each receives only the attributes in its registration that the citizen agrees to.",
		"none":   "None registered.",
		"col.id": "ID", "col.name": "Name", "col.status": "Status", "col.auth": "Authentication", "col.level": "Level", "col.scopes": "Scopes",
		"add": "Register a relying party", "field.id": "ID (client_id)", "field.name": "Display name", "field.purpose": "Stated purpose",
		"field.redirect": "Redirect URIs (one per line, matched exactly)", "field.logout": "Post-logout redirect URIs",
		"field.auth": "Client authentication", "field.jwks": "Public keys (JWK Set) for private_key_jwt", "field.scopes": "Allowed scopes",
		"field.datasets": "Linked datasets (names, comma-separated)", "field.level": "Required account level",
		"field.subject": "Subject type", "field.sector": "Sector (host name; default: the first redirect URI's host)",
		"action.add": "Register", "action.disable": "Disable", "action.enable": "Enable", "action.keys": "Replace keys",
		"action.secret": "Issue a new secret", "secret.title": "The relying party's secret",
		"secret.text": "The secret is shown this once; only its hash is stored. Hand it to the relying party over a secure channel.",
		"errors":      "Not registered:", "not_found": "No such relying party.", "bad_status": "Not a valid status.",
		"status.active": "Active", "status.disabled": "Disabled", "keys.count": "Keys",
		"done.added": "Registered.", "done.active": "Enabled again.", "done.disabled": "Disabled; every token it held was revoked.", "done.keys": "Keys replaced.",
		"back": "All relying parties",
	},
}

var text = messages.Text

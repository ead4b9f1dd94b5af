package eidweb

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/web"
)

//go:embed page.html
var pageFS embed.FS

// Name is the section's path segment.
const Name = "eid"

const prefix = "/console/" + Name + "/"

// Handler serves the section.
type Handler struct {
	console *web.Handler
	eid     *eid.Service
	log     *slog.Logger
	pages   map[string]*template.Template
}

// Add adds the section to the console. Call it before the console's Mount.
func Add(console *web.Handler, e *eid.Service, log *slog.Logger) *Handler {
	h := &Handler{console: console, eid: e, log: log, pages: map[string]*template.Template{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for lang, msgs := range messages {
		msgs := msgs
		h.pages[lang] = template.Must(template.New("page.html").Funcs(template.FuncMap{
			"t":    func(k string) string { return msgs[k] },
			"time": func(t time.Time) string { return formatTime(t) },
		}).ParseFS(pageFS, "page.html"))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"{$}", h.page)
	mux.HandleFunc("POST "+prefix+"level2", h.raise)
	mux.HandleFunc("POST "+prefix+"recover", h.recoverAccount)
	mux.HandleFunc("POST "+prefix+"handover", h.handOver)
	mux.HandleFunc("POST "+prefix+"close-org", h.closeOrg)
	mux.HandleFunc("GET "+prefix+"account", h.account)
	console.AddSection(web.Section{
		Name:    Name,
		Label:   map[string]string{"vi": messages["vi"]["nav"], "en": messages["en"]["nav"]},
		Action:  staff.VerifyIdentity,
		Handler: mux,
	})
	return h
}

// view is the page: the two forms and the outcome of the last one.
type view struct {
	CSRF     string
	Notice   string
	Error    string
	TempPass string
	PIN      string
	Card     string
	Station  string
	// TaxCode and Document are the handover form's.
	TaxCode  string
	Document string
	// CloseTaxCode and CloseDocument are the closing form's.
	CloseTaxCode  string
	CloseDocument string
	// Support is the account looked up, when there is one.
	Support *eid.Support
	Lang    string
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, v view) {
	o, _ := web.CurrentOfficer(r)
	v.CSRF = o.CSRF
	lang := o.Lang
	v.Lang = lang
	if _, ok := h.pages[lang]; !ok {
		lang = "vi"
	}
	var b bytes.Buffer
	if err := h.pages[lang].Execute(&b, v); err != nil {
		h.console.ServerError(w, r, err)
		return
	}
	h.console.Render(w, r, web.Page{Title: messages[lang]["title"], Body: template.HTML(b.String()), Status: status})
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) { h.render(w, r, http.StatusOK, view{}) }

// check reads the form into an eid.Check for the signed-in officer, with
// the officer's scope applied to the person's residences.
func (h *Handler) check(r *http.Request) (eid.Check, view) {
	o, _ := web.CurrentOfficer(r)
	v := view{PIN: strings.TrimSpace(r.PostFormValue("pin")), Card: strings.TrimSpace(r.PostFormValue("card")), Station: strings.TrimSpace(r.PostFormValue("station"))}
	return eid.Check{
		Officer: o.ID, Station: v.Station, PIN: v.PIN, Card: v.Card, RequestID: o.RequestID,
		Authorize: func(p *registry.Person) error { return o.Authorize(staff.VerifyIdentity, ResidenceUnits(p)) },
	}, v
}

// ResidenceUnits are the units a person lives in, for the officer's scope
// (the console's, and dancu eid's on the command line).
func ResidenceUnits(p *registry.Person) []staff.Unit {
	var out []staff.Unit
	for _, res := range []*registry.Residence{p.PermanentResidence, p.TemporaryResidence, p.CurrentResidence} {
		if res != nil {
			out = append(out, staff.Unit{Province: res.Province, Commune: res.Commune})
		}
	}
	return out
}

// outcome turns an eid error into the page's message key, or "" for an
// internal error.
func outcome(err error) (string, int) {
	var ie *eid.InputError
	switch {
	case errors.As(err, &ie):
		return "err.input." + ie.Field, http.StatusUnprocessableEntity
	case errors.Is(err, eid.ErrNotFound):
		return "err.no_account", http.StatusNotFound
	case errors.Is(err, eid.ErrCheck):
		return "err.check", http.StatusUnprocessableEntity
	case errors.Is(err, staff.ErrForbidden):
		return "err.scope", http.StatusForbidden
	case errors.Is(err, eid.ErrLevel):
		return "err.level", http.StatusUnprocessableEntity
	case errors.Is(err, eid.ErrClosed):
		return "err.closed", http.StatusConflict
	}
	return "", 0
}

func (h *Handler) lang(r *http.Request) map[string]string {
	o, _ := web.CurrentOfficer(r)
	if m, ok := messages[o.Lang]; ok {
		return m
	}
	return messages["vi"]
}

// account shows the state of a citizen's account to an officer at the
// counter (locked? authenticator? level?), the read recorded in the access
// log.
func (h *Handler) account(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	pin := strings.TrimSpace(r.URL.Query().Get("pin"))
	v := view{PIN: pin}
	sup, err := h.eid.SupportView(r.Context(), eid.Check{
		Officer: o.ID, PIN: pin, RequestID: o.RequestID,
		Authorize: func(p *registry.Person) error { return o.Authorize(staff.VerifyIdentity, ResidenceUnits(p)) },
	})
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	v.Support = &sup
	h.render(w, r, http.StatusOK, v)
}

// fail shows the page again with the message for err, or the console's
// server error when err is not one the officer can act on.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, v view, err error) {
	key, status := outcome(err)
	if key == "" {
		h.console.ServerError(w, r, err)
		return
	}
	v.Error = h.lang(r)[key]
	h.render(w, r, status, v)
}

func (h *Handler) raise(w http.ResponseWriter, r *http.Request) {
	ck, v := h.check(r)
	if r.PostFormValue("face") != "on" {
		v.Error = h.lang(r)["err.face"]
		h.render(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if _, err := h.eid.RaiseLevel(r.Context(), ck); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, view{Notice: h.lang(r)["raised"]})
}

func (h *Handler) recoverAccount(w http.ResponseWriter, r *http.Request) {
	ck, v := h.check(r)
	if r.PostFormValue("face") != "on" {
		v.Error = h.lang(r)["err.face"]
		h.render(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	rc, err := h.eid.Recover(r.Context(), ck)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, view{Notice: h.lang(r)["recovered"], TempPass: rc.TemporaryPassword})
}

// handOver makes the citizen checked at the counter the new legal
// representative of an organisation, on the document of the change; the
// former representative loses the organisation at once (package eid).
func (h *Handler) handOver(w http.ResponseWriter, r *http.Request) {
	ck, v := h.check(r)
	v.TaxCode, v.Document = strings.TrimSpace(r.PostFormValue("tax_code")), strings.TrimSpace(r.PostFormValue("document"))
	if r.PostFormValue("face") != "on" {
		v.Error = h.lang(r)["err.face"]
		h.render(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	if _, err := h.eid.HandOver(r.Context(), eid.Handover{Check: ck, TaxCode: v.TaxCode, Document: v.Document}); err != nil {
		if errors.Is(err, eid.ErrNotFound) {
			// The organisation or the new representative's account.
			v.Error = h.lang(r)["err.handover_not_found"]
			h.render(w, r, http.StatusNotFound, v)
			return
		}
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, view{Notice: h.lang(r)["handed_over"]})
}

// closeOrg closes an organisation's account on the document the officer
// names (package eid: everything relying parties hold for it is revoked at
// once, and the read of its representative's account is in the access
// log). The officer's scope is checked on the representative's residence.
func (h *Handler) closeOrg(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	v := view{CloseTaxCode: strings.TrimSpace(r.PostFormValue("tax_code")), CloseDocument: strings.TrimSpace(r.PostFormValue("document"))}
	_, err := h.eid.CloseOrganisationByOfficer(r.Context(), eid.OfficerClosure{
		Officer: o.ID, Station: strings.TrimSpace(r.PostFormValue("station")), RequestID: o.RequestID,
		TaxCode: v.CloseTaxCode, Document: v.CloseDocument,
		Authorize: func(p *registry.Person) error { return o.Authorize(staff.VerifyIdentity, ResidenceUnits(p)) },
	})
	var ie *eid.InputError
	switch {
	case err == nil:
		h.render(w, r, http.StatusOK, view{Notice: h.lang(r)["org_closed"]})
	case errors.Is(err, eid.ErrClosed):
		v.Error = h.lang(r)["err.closed_again"]
		h.render(w, r, http.StatusConflict, v)
	case errors.Is(err, eid.ErrNotFound):
		v.Error = h.lang(r)["err.org_not_found"]
		h.render(w, r, http.StatusNotFound, v)
	case errors.As(err, &ie) && ie.Field == "document":
		v.Error = h.lang(r)["err.input.close_document"]
		h.render(w, r, http.StatusUnprocessableEntity, v)
	default:
		h.fail(w, r, v, err)
	}
}

// formatTime writes a time in Vietnam's time zone; "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(registry.Vietnam).Format("02/01/2006 15:04")
}

// messages is the section's catalogue.
var messages = map[string]map[string]string{
	"vi": {
		"nav":                      "Định danh điện tử",
		"title":                    "Tài khoản định danh điện tử",
		"intro":                    "Chỉ thực hiện khi công dân có mặt trực tiếp: đọc chip thẻ căn cước, đối chiếu ảnh khuôn mặt, rồi nhập số thẻ đã đọc.",
		"level2":                   "Nâng tài khoản lên mức 2",
		"recover":                  "Khôi phục tài khoản",
		"recover_intro":            "Đặt mật khẩu tạm (công dân phải đổi khi đăng nhập), gỡ ứng dụng xác thực, đăng xuất mọi phiên.",
		"pin":                      "Số định danh cá nhân",
		"card":                     "Số thẻ căn cước đã đọc chip",
		"station":                  "Đơn vị công an",
		"face":                     "Tôi đã đối chiếu khuôn mặt công dân với ảnh trong chip",
		"submit_level2":            "Nâng lên mức 2",
		"submit_recover":           "Khôi phục",
		"raised":                   "Đã nâng tài khoản lên mức 2. Công dân sẽ thấy việc này trong hoạt động tài khoản.",
		"recovered":                "Đã khôi phục tài khoản. Đưa mật khẩu tạm dưới đây cho công dân; mật khẩu chỉ hiển thị một lần.",
		"temp":                     "Mật khẩu tạm",
		"err.face":                 "Hãy xác nhận đã đối chiếu khuôn mặt.",
		"err.no_account":           "Không có tài khoản định danh điện tử cho số định danh này (hoặc không có người này).",
		"err.check":                "Số thẻ không khớp với thẻ gắn chip còn hiệu lực của người này, hoặc người này không còn sống.",
		"err.scope":                "Người này không cư trú trong địa bàn của bạn.",
		"err.input.card":           "Hãy nhập số thẻ đã đọc chip.",
		"err.input.officer":        "Thiếu thông tin cán bộ.",
		"lookup":                   "Tra cứu tài khoản",
		"lookup_submit":            "Xem",
		"level":                    "Mức",
		"created":                  "Tạo lúc",
		"last_sign_in":             "Đăng nhập gần nhất",
		"totp":                     "Ứng dụng xác thực",
		"yes":                      "Có",
		"no":                       "Không",
		"locked_until":             "Tạm khoá đến",
		"not_locked":               "Không bị khoá",
		"checked_by":               "Xác thực mức 2 bởi",
		"events":                   "Hoạt động gần đây",
		"handover":                 "Chuyển người đại diện của tổ chức",
		"handover_intro":           "Khi tổ chức thay người đại diện theo pháp luật: kiểm tra người đại diện mới có mặt trực tiếp (đọc chip thẻ căn cước, đối chiếu khuôn mặt) và văn bản về việc thay đổi. Người đại diện cũ mất quyền ngay; mọi sự đồng ý và mã truy cập của tổ chức tại các dịch vụ bị thu hồi.",
		"tax_code":                 "Mã số thuế của tổ chức",
		"new_pin":                  "Số định danh cá nhân của người đại diện mới",
		"document":                 "Văn bản về việc thay đổi (số, ngày)",
		"submit_handover":          "Chuyển người đại diện",
		"handed_over":              "Đã chuyển người đại diện. Người đại diện cũ không còn thay mặt tổ chức; việc này hiện trong hoạt động tài khoản của cả hai người và của tổ chức.",
		"err.level":                "Người đại diện mới cần tài khoản định danh điện tử mức 2.",
		"err.handover_not_found":   "Không có tổ chức với mã số thuế này, hoặc người đại diện mới chưa có tài khoản định danh điện tử.",
		"err.input.tax_code":       "Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu gạch ngang và 3 chữ số.",
		"err.input.document":       "Hãy nhập văn bản về việc thay đổi (tối đa 200 ký tự).",
		"close_org":                "Đóng tài khoản của tổ chức",
		"close_org_intro":          "Khi tổ chức giải thể, bị thu hồi giấy chứng nhận đăng ký, hoặc người đại diện đề nghị bằng văn bản. Không hoàn tác được: mọi sự đồng ý và mã truy cập của tổ chức tại các dịch vụ bị thu hồi ngay, và không ai đăng nhập thay mặt tổ chức được nữa.",
		"close_document":           "Văn bản làm căn cứ (số, ngày)",
		"submit_close_org":         "Đóng tài khoản",
		"org_closed":               "Đã đóng tài khoản của tổ chức. Người đại diện thấy việc này trong hoạt động tài khoản và trong nhật ký truy cập dữ liệu của mình.",
		"err.closed":               "Tài khoản của tổ chức này đã bị đóng.",
		"err.closed_again":         "Tài khoản của tổ chức này đã bị đóng trước đó; mọi quyền truy cập của các dịch vụ vừa được thu hồi lại.",
		"err.org_not_found":        "Không có tổ chức với mã số thuế này.",
		"err.input.close_document": "Hãy nhập văn bản làm căn cứ (tối đa 200 ký tự).",
	},
	"en": {
		"nav":                      "Electronic ID",
		"title":                    "Electronic identification accounts",
		"intro":                    "Only with the citizen present in person: read the ID card's chip, compare the face with the chip's photo, then enter the card number read.",
		"level2":                   "Raise an account to level 2",
		"recover":                  "Recover an account",
		"recover_intro":            "Sets a temporary password (changed at the next sign-in), removes the authenticator app and signs every session out.",
		"pin":                      "Personal identification number",
		"card":                     "Number of the card whose chip was read",
		"station":                  "Police unit",
		"face":                     "I compared the citizen's face with the chip's photo",
		"submit_level2":            "Raise to level 2",
		"submit_recover":           "Recover",
		"raised":                   "The account was raised to level 2. The citizen sees this in their account activity.",
		"recovered":                "The account was recovered. Give the citizen the temporary password below; it is shown only once.",
		"temp":                     "Temporary password",
		"err.face":                 "Confirm that you compared the face.",
		"err.no_account":           "No electronic identification account for this number (or no such person).",
		"err.check":                "The card number does not match a valid chip card of this person, or the person is not alive.",
		"err.scope":                "This person does not reside in your units.",
		"err.input.card":           "Enter the number of the card whose chip was read.",
		"err.input.officer":        "The officer is missing.",
		"lookup":                   "Look up an account",
		"lookup_submit":            "Show",
		"level":                    "Level",
		"created":                  "Created",
		"last_sign_in":             "Last sign-in",
		"totp":                     "Authenticator app",
		"yes":                      "Yes",
		"no":                       "No",
		"locked_until":             "Locked until",
		"not_locked":               "Not locked",
		"checked_by":               "Level 2 checked by",
		"events":                   "Recent activity",
		"handover":                 "Hand an organisation to a new representative",
		"handover_intro":           "When an organisation changes its legal representative: check the new representative in person (read the ID card's chip, compare the face) and the document of the change. The former representative loses access at once; every consent and token of the organisation at relying parties is revoked.",
		"tax_code":                 "The organisation's tax code",
		"new_pin":                  "Personal identification number of the new representative",
		"document":                 "Document of the change (number, date)",
		"submit_handover":          "Hand over",
		"handed_over":              "The organisation was handed over. The former representative no longer acts for it; both representatives and the organisation see this in their account activity.",
		"err.level":                "The new representative needs a level-2 electronic identification account.",
		"err.handover_not_found":   "No organisation with this tax code, or the new representative has no electronic identification account.",
		"err.input.tax_code":       "A tax code is 10 digits, or 10 digits, a hyphen and 3 digits.",
		"err.input.document":       "Enter the document of the change (up to 200 characters).",
		"close_org":                "Close an organisation's account",
		"close_org_intro":          "When the organisation is dissolved, its registration is revoked, or its representative asks in writing. This cannot be undone: every consent and token of the organisation at relying parties is revoked at once, and no one can sign in for the organisation any more.",
		"close_document":           "Document it rests on (number, date)",
		"submit_close_org":         "Close the account",
		"org_closed":               "The organisation's account was closed. Its representative sees this in their account activity and in their data tracker.",
		"err.closed":               "This organisation's account is closed.",
		"err.closed_again":         "This organisation's account was already closed; every access of relying parties was revoked again.",
		"err.org_not_found":        "No organisation with this tax code.",
		"err.input.close_document": "Enter the document the closing rests on (up to 200 characters).",
	},
}

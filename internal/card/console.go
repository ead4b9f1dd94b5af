package card

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/web"
)

// ConsoleSection is the officers' page of ID cards at /console/cards/: look
// a person's cards up by PIN (read_registry; recorded in the access log)
// and, as the issuing authority, report a card lost, revoke it or mark it
// replaced (submit_event, scoped to the person's permanent residence, as
// the life events of that person are).
func (s *Service) ConsoleSection(w *web.Handler) web.Section {
	c := &console{svc: s, web: w}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console/cards/{$}", c.show)
	mux.HandleFunc("POST /console/cards/{pin}/status", c.setStatus)
	return web.Section{
		Name: "cards", Label: map[string]string{"vi": "Thẻ căn cước", "en": "ID cards"},
		Action: staff.ReadRegistry, Handler: mux,
	}
}

type console struct {
	svc *Service
	web *web.Handler
}

var consoleText = web.Messages{
	"vi": {
		"title": "Thẻ căn cước", "pin": "Số định danh cá nhân", "find": "Tra cứu", "none": "Người này chưa được cấp thẻ.",
		"seq": "Thẻ", "kind": "Loại", "issued": "Ngày cấp", "expiry": "Có giá trị đến", "authority": "Nơi cấp",
		"status": "Tình trạng", "reason": "Lý do", "chip": "Gắn chip", "no_expiry": "Không thời hạn",
		"change": "Cập nhật tình trạng thẻ hiện hành", "save": "Ghi nhận", "bad_pin": "Số định danh cá nhân không hợp lệ.",
		"forbidden": "Bạn không có quyền cập nhật thẻ của người cư trú ngoài địa bàn được giao.",
		"valid":     "Còn giá trị", "expired": "Hết hạn", "lost": "Báo mất", "revoked": "Thu hồi", "replaced": "Đã đổi/cấp lại",
		"yes": "Có", "no": "Không", "invalid": "Không thể chuyển sang tình trạng này.",
	},
	"en": {
		"title": "ID cards", "pin": "Personal identification number", "find": "Look up", "none": "This person has no card.",
		"seq": "Card", "kind": "Kind", "issued": "Issued", "expiry": "Valid until", "authority": "Issued by",
		"status": "Status", "reason": "Reason", "chip": "Chip", "no_expiry": "No expiry",
		"change": "Change the status of the card in use", "save": "Record", "bad_pin": "Not a valid personal identification number.",
		"forbidden": "You may not change the cards of people living outside your units.",
		"valid":     "Valid", "expired": "Expired", "lost": "Reported lost", "revoked": "Revoked", "replaced": "Replaced",
		"yes": "Yes", "no": "No", "invalid": "The card cannot take this status.",
	},
}

var tr = consoleText.Text

var consoleTmpl = template.Must(template.New("cards").Funcs(template.FuncMap{"t": tr}).Parse(`
<form method="get" action="/console/cards/" class="search">
<label>{{t .Lang "pin"}} <input name="pin" value="{{.PIN}}" inputmode="numeric" pattern="[0-9]{12}" maxlength="12" required></label>
<button type="submit">{{t .Lang "find"}}</button></form>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Searched}}{{if .Cards}}
<table class="data"><thead><tr><th>{{t .Lang "seq"}}</th><th>{{t .Lang "kind"}}</th><th>{{t .Lang "issued"}}</th><th>{{t .Lang "expiry"}}</th>
<th>{{t .Lang "authority"}}</th><th>{{t .Lang "chip"}}</th><th>{{t .Lang "status"}}</th><th>{{t .Lang "reason"}}</th></tr></thead><tbody>
{{range .Cards}}<tr><td>{{.Seq}}</td><td>{{.Kind}}</td><td>{{.IssueDate}}</td><td>{{if .Expiry}}{{.Expiry}}{{else}}{{t $.Lang "no_expiry"}}{{end}}</td>
<td>{{.Authority}}</td><td>{{if .Chip}}{{t $.Lang "yes"}}{{else}}{{t $.Lang "no"}}{{end}}</td><td data-status="{{.Status}}">{{t $.Lang .Status}}</td><td>{{.StatusReason}}</td></tr>{{end}}
</tbody></table>
{{if .Changeable}}<form method="post" action="/console/cards/{{.PIN}}/status"><fieldset><legend>{{t .Lang "change"}}</legend>
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>{{t .Lang "status"}} <select name="status"><option value="lost">{{t .Lang "lost"}}</option><option value="revoked">{{t .Lang "revoked"}}</option><option value="replaced">{{t .Lang "replaced"}}</option></select></label>
<label>{{t .Lang "reason"}} <input name="reason" maxlength="500" required></label>
<button type="submit">{{t .Lang "save"}}</button></fieldset></form>{{end}}
{{else}}<p>{{t .Lang "none"}}</p>{{end}}{{end}}`))

type consoleView struct {
	Lang, PIN, CSRF, Error string
	Searched               bool
	Cards                  []Card
}

// Changeable reports whether the latest card's status may still change.
func (v consoleView) Changeable() bool {
	return len(v.Cards) > 0 && len(allowed[v.Cards[len(v.Cards)-1].Status]) > 0
}

func (c *console) render(w http.ResponseWriter, r *http.Request, o web.Officer, status int, v consoleView) {
	v.Lang, v.CSRF = o.Lang, o.CSRF
	var b bytes.Buffer
	if err := consoleTmpl.Execute(&b, v); err != nil {
		c.web.ServerError(w, r, err)
		return
	}
	c.web.Render(w, r, web.Page{Title: tr(o.Lang, "title"), Body: template.HTML(b.String()), Status: status})
}

func principalOf(o web.Officer) auth.Principal {
	if o.Account == nil {
		return auth.Admin
	}
	return auth.Principal{ID: o.ID, Kind: "staff"}
}

func (c *console) show(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	pin := r.URL.Query().Get("pin")
	v := consoleView{PIN: pin}
	if pin == "" {
		c.render(w, r, o, http.StatusOK, v)
		return
	}
	if registry.CheckPIN("pin", pin) != nil {
		v.Error = tr(o.Lang, "bad_pin")
		c.render(w, r, o, http.StatusBadRequest, v)
		return
	}
	cs, err := c.svc.Cards(r.Context(), pin)
	if err != nil {
		c.web.ServerError(w, r, err)
		return
	}
	if len(cs) > 0 {
		if err := c.svc.Record(r.Context(), principalOf(o), "", "", o.RequestID, pin, "read"); err != nil {
			c.web.RenderError(w, r, http.StatusServiceUnavailable, "")
			return
		}
	}
	v.Searched, v.Cards = true, cs
	c.render(w, r, o, http.StatusOK, v)
}

func (c *console) setStatus(w http.ResponseWriter, r *http.Request) {
	o, _ := web.CurrentOfficer(r)
	pin := r.PathValue("pin")
	if registry.CheckPIN("pin", pin) != nil {
		c.render(w, r, o, http.StatusBadRequest, consoleView{PIN: pin, Error: tr(o.Lang, "bad_pin")})
		return
	}
	// The issuing authority of the person's place: the same scope as the
	// person's life events.
	rec, err := c.svc.reg.Person(r.Context(), pin, registry.Date{})
	if err != nil {
		c.web.RenderError(w, r, http.StatusNotFound, tr(o.Lang, "none"))
		return
	}
	var targets []staff.Unit
	if pr := rec.Person.PermanentResidence; pr != nil {
		targets = []staff.Unit{{Province: pr.Province, Commune: pr.Commune}}
	}
	if err := o.Authorize(staff.SubmitEvent, targets); err != nil {
		c.render(w, r, o, http.StatusForbidden, consoleView{PIN: pin, Error: tr(o.Lang, "forbidden")})
		return
	}
	if err := c.svc.Record(r.Context(), principalOf(o), "", "", o.RequestID, pin, "write"); err != nil {
		c.web.RenderError(w, r, http.StatusServiceUnavailable, "")
		return
	}
	_, err = c.svc.SetStatus(r.Context(), pin, 0, r.PostFormValue("status"), r.PostFormValue("reason"), o.ID)
	switch {
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNoCard):
		cs, _ := c.svc.Cards(r.Context(), pin)
		c.render(w, r, o, http.StatusUnprocessableEntity, consoleView{PIN: pin, Searched: true, Cards: cs, Error: tr(o.Lang, "invalid")})
		return
	case err != nil:
		c.web.ServerError(w, r, err)
		return
	}
	c.svc.Invalidate()
	http.Redirect(w, r, "/console/cards/?pin="+url.QueryEscape(pin), http.StatusSeeOther)
}

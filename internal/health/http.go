package health

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/card/qr"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Paths of the health operations.
const (
	CheckInPath = "/v1/health/check-ins"
	bookPath    = "/v1/health/book/{pin}"
	statsPath   = "/v1/health/stats"
	// PortalPath is the citizen's health book in the portal.
	PortalPath = "/portal/health"
)

// Mount adds the health operations to srv.
func (s *Service) Mount(srv *api.Server) {
	a := srv.API()
	op := func(o huma.Operation) huma.Operation {
		o.Tags = []string{"health"}
		o.Security = api.Security
		o.Errors = append([]int{http.StatusUnauthorized, http.StatusForbidden}, o.Errors...)
		return o
	}
	huma.Register(a, op(huma.Operation{OperationID: "health-check-in", Method: http.MethodPost, Path: CheckInPath,
		Summary: "Check a patient in with the chip ID card or its QR code (registered health facilities)",
		Description: "Verifies the chip data by passive authentication (or matches the QR payload against the registry), checks the card's status " +
			"and the health insurance, records the visit, and answers with what the facility's grant for health.checkin releases. " +
			"A card that fails verification or is not in force is answered 200 with accepted=false and the reason. Recorded in the access log.",
		Errors: []int{http.StatusUnprocessableEntity, http.StatusServiceUnavailable}}), s.checkInHandler)
	huma.Register(a, op(huma.Operation{OperationID: "health-book", Method: http.MethodGet, Path: bookPath,
		Summary: "A person's electronic health book (administrators; recorded in the access log)",
		Errors:  []int{http.StatusBadRequest, http.StatusServiceUnavailable}}), s.bookHandler)
	huma.Register(a, op(huma.Operation{OperationID: "health-stats", Method: http.MethodGet, Path: statsPath,
		Summary: "Check-in counts and vaccination coverage for the statistics (administrators)"}), s.statsHandler)
	srv.AllowClients(CheckInPath)
}

type checkInInput struct{ Body CheckInRequest }
type checkInOutput struct{ Body *CheckInAnswer }

func (s *Service) checkInHandler(ctx context.Context, in *checkInInput) (*checkInOutput, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, huma.Error401Unauthorized("Authentication required.")
	}
	a, err := s.CheckIn(ctx, p, in.Body, api.RequestID(ctx))
	var qe *qr.Error
	switch {
	case err == nil:
		return &checkInOutput{Body: a}, nil
	case errors.As(err, &qe):
		return nil, huma.Error422UnprocessableEntity(qe.Error(), &huma.ErrorDetail{Location: "body.qr." + qe.Field, Message: qe.Reason})
	case errors.Is(err, ErrInvalid):
		return nil, huma.Error422UnprocessableEntity(err.Error())
	case errors.Is(err, ErrForbidden):
		return nil, huma.Error403Forbidden("Only registered health facilities (hospital agencies with a grant for health.checkin) check patients in.")
	case errors.Is(err, ErrUnavailable):
		return nil, huma.Error503ServiceUnavailable("The access could not be recorded; nothing was released. Try again later.")
	}
	return nil, err
}

type bookInput struct {
	PIN string `path:"pin" minLength:"12" maxLength:"12" pattern:"^[0-9]{12}$"`
}
type bookOutput struct{ Body *Book }

func (s *Service) bookHandler(ctx context.Context, in *bookInput) (*bookOutput, error) {
	if err := api.RequireAdmin(ctx, "read health books through the API"); err != nil {
		return nil, err
	}
	if err := registry.CheckPIN("pin", in.PIN); err != nil {
		return nil, huma.Error400BadRequest("pin: not a valid personal identification number.")
	}
	b, err := s.Book(ctx, in.PIN)
	if err != nil {
		return nil, err
	}
	p, _ := auth.FromContext(ctx)
	if s.rec == nil {
		return nil, huma.Error503ServiceUnavailable("The access could not be recorded.")
	}
	if err := s.rec.Record(ctx, accessOf(p, in.PIN, api.RequestID(ctx))); err != nil {
		return nil, huma.Error503ServiceUnavailable("The access could not be recorded; nothing was released. Try again later.")
	}
	return &bookOutput{Body: b}, nil
}

type statsInput struct {
	Since string `query:"since" doc:"Count check-ins from this date (YYYY-MM-DD); empty for all."`
}
type statsOutput struct {
	Body struct {
		CheckIns *Stats               `json:"check_ins"`
		Coverage []store.VaccineDoses `json:"vaccination_coverage" doc:"People by vaccine and number of distinct doses received."`
	}
}

func (s *Service) statsHandler(ctx context.Context, in *statsInput) (*statsOutput, error) {
	if err := api.RequireAdmin(ctx, "read health statistics"); err != nil {
		return nil, err
	}
	var since time.Time
	if in.Since != "" {
		t, err := time.ParseInLocation(time.DateOnly, in.Since, registry.Vietnam)
		if err != nil {
			return nil, huma.Error400BadRequest("since: must be a date YYYY-MM-DD.")
		}
		since = t
	}
	st, err := s.Stats(ctx, since)
	if err != nil {
		return nil, err
	}
	cov, err := s.Coverage(ctx)
	if err != nil {
		return nil, err
	}
	out := &statsOutput{}
	out.Body.CheckIns, out.Body.Coverage = st, cov
	return out, nil
}

// Citizen is the signed-in citizen the portal page needs: the eid
// service's session, adapted by the wiring.
type Citizen struct {
	PIN   string
	Level int
}

// Sessions tells the signed-in citizen of a request.
type Sessions interface {
	Current(r *http.Request) (Citizen, bool)
}

// PortalHandler serves the citizen's health book at PortalPath: a browser
// without a session goes to the portal's sign-in; a level-1 account is told
// to raise its level (the book is level-2 data). render, if set, lays the
// page out in the portal's layout; otherwise a minimal page of the same
// structure is served.
func (s *Service) PortalHandler(sess Sessions, render func(w http.ResponseWriter, r *http.Request, title string, body template.HTML)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := sess.Current(r)
		if !ok {
			http.Redirect(w, r, "/portal/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if c.Level < 2 {
			s.page(w, r, render, http.StatusForbidden, pageData{Level1: true})
			return
		}
		b, err := s.Book(r.Context(), c.PIN)
		if err != nil {
			s.log.ErrorContext(r.Context(), "health: portal book", "error", err)
			http.Error(w, "Sổ sức khoẻ tạm thời không xem được.", http.StatusServiceUnavailable)
			return
		}
		s.page(w, r, render, http.StatusOK, pageData{Book: b})
	})
}

type pageData struct {
	Level1 bool
	Book   *Book
}

var bookTmpl = template.Must(template.New("book").Parse(`
{{if .Level1}}<p class="notice">Sổ sức khoẻ điện tử cần tài khoản định danh điện tử mức độ 2. Hãy đến cơ quan Công an để nâng mức tài khoản.</p>
{{else}}{{with .Book}}
<section><h2>Bảo hiểm y tế</h2>
{{if .Insurance}}<table class="table" id="insurance"><thead><tr><th>Số thẻ</th><th>Hiệu lực</th><th>Nơi KCB ban đầu</th><th>Tình trạng</th></tr></thead><tbody>
{{range .Insurance}}<tr><td>{{.CardNumber}}</td><td>{{.ValidFrom}} – {{.ValidTo}}</td><td>{{.Facility}}</td><td>{{if .Valid}}Còn hiệu lực{{else}}Hết hiệu lực{{end}}</td></tr>{{end}}
</tbody></table>{{else}}<p>Chưa có thẻ bảo hiểm y tế.</p>{{end}}</section>
<section><h2>Tiêm chủng</h2>
{{if .Vaccinations}}<table class="table" id="vaccinations"><thead><tr><th>Ngày</th><th>Vắc xin</th><th>Mũi</th><th>Cơ sở</th><th>Lô</th></tr></thead><tbody>
{{range .Vaccinations}}<tr><td>{{.Date}}</td><td>{{.Vaccine}}</td><td>{{.Dose}}</td><td>{{.Facility}}</td><td>{{.Lot}}</td></tr>{{end}}
</tbody></table>{{else}}<p>Chưa có mũi tiêm nào được ghi nhận.</p>{{end}}</section>
<section><h2>Khám chữa bệnh</h2>
{{if .Visits}}<table class="table" id="visits"><thead><tr><th>Ngày</th><th>Cơ sở</th><th>Loại</th><th>Chẩn đoán</th><th>Tóm tắt</th></tr></thead><tbody>
{{range .Visits}}<tr><td>{{.Date}}</td><td>{{.Facility}}</td><td>{{.Type}}</td><td>{{.Diagnosis}}</td><td>{{.Summary}}</td></tr>{{end}}
</tbody></table>{{else}}<p>Chưa có lần khám nào.</p>{{end}}
{{if .CheckIns}}<h3>Tiếp đón bằng thẻ căn cước</h3><ul>{{range .CheckIns}}<li>{{.At.Format "02/01/2006 15:04"}} — {{.Facility}} ({{if eq .Method "chip"}}đọc chip{{else}}mã QR{{end}})</li>{{end}}</ul>{{end}}
</section>{{end}}{{end}}`))

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — Cổng công dân</title></head>
<body><header><a href="/portal/">Cổng công dân</a></header><main><h1>{{.Title}}</h1>{{.Body}}</main></body></html>`))

// page writes the book's page: in the portal's layout when render is set
// (which then decides the status), otherwise on its own with status.
func (s *Service) page(w http.ResponseWriter, r *http.Request, render func(http.ResponseWriter, *http.Request, string, template.HTML), status int, d pageData) {
	var body bytesBuffer
	if err := bookTmpl.Execute(&body, d); err != nil {
		s.log.ErrorContext(r.Context(), "health: portal template", "error", err)
		return
	}
	const title = "Sổ sức khoẻ điện tử"
	if render != nil {
		render(w, r, title, template.HTML(body.String()))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	pageTmpl.Execute(w, struct {
		Title string
		Body  template.HTML
	}{title, template.HTML(body.String())})
}

package services

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// The REST routes of the catalogue and the dashboard's figures.
const (
	ProceduresPath = "/v1/procedures"
	ProcedurePath  = "/v1/procedures/{code}"
)

// Mount adds the catalogue (public: anyone may read which procedures are
// offered, with their fees and deadlines), the administration of its
// settings and the dashboard's figures to srv.
func (s *Service) Mount(srv *api.Server) {
	a := srv.API()
	huma.Register(a, huma.Operation{
		OperationID: "list-procedures", Method: http.MethodGet, Path: ProceduresPath,
		Summary:     "List the online public services (public)",
		Description: "The catalogue of procedures a citizen may file online: fields (which come from the registry and are locked), attachments, fee, legal deadline in working days, and the electronic-identification level required.",
		Tags:        []string{"services"},
	}, s.listHandler)
	huma.Register(a, huma.Operation{
		OperationID: "get-procedure", Method: http.MethodGet, Path: ProcedurePath,
		Summary: "Read one procedure (public)", Tags: []string{"services"},
		Errors: []int{http.StatusNotFound},
	}, s.getHandler)
	srv.AllowAnonymous(ProceduresPath, ProcedurePath)
	huma.Register(a, huma.Operation{
		OperationID: "configure-procedure", Method: http.MethodPut, Path: ProcedurePath + "/settings",
		Summary:     "Change a procedure's fee, deadline and attachments (administrators)",
		Description: "Replaces the administrator's settings of a procedure; absent values keep the statutory ones. Dossiers already filed keep the fee and deadline they were filed with.",
		Tags:        []string{"services"}, Security: api.Security,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, s.configureHandler)
	huma.Register(a, huma.Operation{
		OperationID: "services-statistics", Method: http.MethodGet, Path: "/v1/services/statistics",
		Summary:     "Volumes, on-time rates and overdue dossiers per procedure and province (administrators)",
		Description: "Counts of dossiers submitted and decided between from and to (dates in Vietnam, to exclusive), the share decided within the legal deadline, and the open and overdue dossiers now. Rows with an empty province are national totals.",
		Tags:        []string{"services"}, Security: api.Security,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity},
	}, s.statsHandler)
}

// ProcedureList is the catalogue as /v1/procedures answers it.
type ProcedureList struct {
	Procedures []Listing `json:"procedures"`
}

type listOutput struct{ Body ProcedureList }

func (s *Service) listHandler(ctx context.Context, _ *struct{}) (*listOutput, error) {
	l, err := s.cat.List(ctx)
	if err != nil {
		return nil, err
	}
	out := &listOutput{}
	out.Body.Procedures = l
	return out, nil
}

type codeInput struct {
	Code string `path:"code" maxLength:"60" doc:"The procedure's code, such as temporary_residence_registration."`
}

type procedureOutput struct{ Body Listing }

func (s *Service) getHandler(ctx context.Context, in *codeInput) (*procedureOutput, error) {
	p, ok, err := s.cat.Procedure(ctx, in.Code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, huma.Error404NotFound("No such procedure.")
	}
	if err != nil {
		return nil, err
	}
	return &procedureOutput{Body: Listing{Procedure: p, Offered: ok}}, nil
}

type configureInput struct {
	Code string `path:"code" maxLength:"60" doc:"The procedure's code."`
	Body Settings
}

func (s *Service) configureHandler(ctx context.Context, in *configureInput) (*procedureOutput, error) {
	if err := api.RequireAdmin(ctx, "change procedures"); err != nil {
		return nil, err
	}
	l, err := s.cat.Configure(ctx, in.Code, in.Body)
	if err != nil {
		return nil, api.AdminError(err, ErrInvalid, "No such procedure.")
	}
	return &procedureOutput{Body: l}, nil
}

type statsInput struct {
	From string `query:"from" doc:"First day, YYYY-MM-DD (default: 30 days ago)."`
	To   string `query:"to" doc:"Day after the last, YYYY-MM-DD (default: tomorrow)."`
}

// ServicesStatistics is the dashboard's figures as the API answers them.
type ServicesStatistics struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	Figures []Figures `json:"figures"`
}

type statsOutput struct{ Body ServicesStatistics }

func (s *Service) statsHandler(ctx context.Context, in *statsInput) (*statsOutput, error) {
	if err := api.RequireAdmin(ctx, "read the services' statistics"); err != nil {
		return nil, err
	}
	from, to, err := s.period(in.From, in.To)
	if err != nil {
		return nil, huma.Error422UnprocessableEntity(err.Error())
	}
	figs, err := s.Stats(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := &statsOutput{}
	out.Body.From, out.Body.To, out.Body.Figures = from.Format(time.DateOnly), to.Format(time.DateOnly), figs
	return out, nil
}

// period reads a [from, to) pair of Vietnamese dates, defaulting to the 30
// days up to today.
func (s *Service) period(fromS, toS string) (time.Time, time.Time, error) {
	today := s.now().In(registry.Vietnam)
	day := func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, registry.Vietnam)
	}
	to, from := day(today).AddDate(0, 0, 1), day(today).AddDate(0, 0, -29)
	var err error
	if toS != "" {
		if to, err = time.ParseInLocation(time.DateOnly, toS, registry.Vietnam); err != nil {
			return from, to, invalidf("to", "not a date YYYY-MM-DD")
		}
	}
	if fromS != "" {
		if from, err = time.ParseInLocation(time.DateOnly, fromS, registry.Vietnam); err != nil {
			return from, to, invalidf("from", "not a date YYYY-MM-DD")
		}
	}
	if !from.Before(to) || to.Sub(from) > 3700*24*time.Hour {
		return from, to, invalidf("from", "must be before to, within ten years")
	}
	return from, to, nil
}

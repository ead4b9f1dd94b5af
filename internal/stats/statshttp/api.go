package statshttp

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/stats"
)

// Handler serves the statistics API.
type Handler struct {
	svc *stats.Service
}

// New returns the API handler.
func New(svc *stats.Service) *Handler { return &Handler{svc: svc} }

// PublicRoutes are the routes served without a bearer token.
var PublicRoutes = []string{"/v1/public/stats/{indicator}"}

// queryInput is the query string of both routes.
type queryInput struct {
	Indicator  string `path:"indicator" doc:"The indicator: population, school_age, grade1_entrants, chip_cards, life_events, dataset_coverage, eid_accounts, agencies, agency_traffic."`
	By         string `query:"by" doc:"Dimensions to group by, comma-separated (province, commune, sex, age_group, and the indicator's own)."`
	AsOf       string `query:"as_of" doc:"The date described, YYYY-MM-DD; today by default; never in the future."`
	From       string `query:"from" doc:"For time series: the day before the first day counted, YYYY-MM-DD; a year before as_of by default."`
	Format     string `query:"format" enum:"json,csv" default:"json" doc:"json or csv."`
	Province   string `query:"province" doc:"Filter: province code."`
	Commune    string `query:"commune" doc:"Filter: commune code."`
	Sex        string `query:"sex" doc:"Filter: male or female."`
	AgeGroup   string `query:"age_group" doc:"Filter: a 5-year age group such as 20-24, or 100+."`
	Cohort     string `query:"cohort" doc:"Filter (school_age): preschool, primary, lower_secondary, upper_secondary."`
	EntryYear  string `query:"entry_year" doc:"Filter (grade1_entrants): the year the school year starts."`
	Event      string `query:"event" doc:"Filter (life_events): birth, death or move."`
	Month      string `query:"month" doc:"Filter (life_events): YYYY-MM."`
	Dataset    string `query:"dataset" doc:"Filter (dataset_coverage): the linked dataset."`
	AgencyKind string `query:"agency_kind" doc:"Filter (agencies, agency_traffic): the kind of agency, such as ministry or bank."`
	Agency     string `query:"agency" doc:"Filter (agency_traffic): the agency's id."`
	Action     string `query:"action" doc:"Filter (agency_traffic): the access log's action, such as read, verify or feed."`
	Protected  bool   `query:"protected" doc:"Administrators: ask for the protected counts the public sees."`
}

// Table is an indicator's result as JSON.
type Table struct {
	Indicator string            `json:"indicator"`
	Title     string            `json:"title"`
	AsOf      string            `json:"as_of"`
	From      string            `json:"from,omitempty"`
	By        []string          `json:"by"`
	Filters   map[string]string `json:"filters,omitempty"`
	Protected bool              `json:"protected" doc:"Counts under threshold, and enough others to protect them, are null."`
	Threshold int64             `json:"threshold,omitempty"`
	Columns   []string          `json:"columns" doc:"The dimensions, then the counts, then the rates."`
	Rows      []map[string]any  `json:"rows"`
}

type output struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// Mount registers the operations.
func (h *Handler) Mount(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "get-statistic", Method: http.MethodGet, Path: "/v1/stats/{indicator}",
		Summary: "An indicator, with exact counts (administrators)", Tags: []string{"Statistics"},
		Description: "Returns the indicator's table as JSON (a Table object) or CSV. Exact counts unless protected=true.",
		Security:    []map[string][]string{{"bearer": {}}},
		Errors:      []int{400, 401, 403, 422},
	}, func(ctx context.Context, in *queryInput) (*output, error) {
		p, ok := auth.FromContext(ctx)
		if !ok || p.Kind != auth.Admin.Kind {
			return nil, huma.Error403Forbidden("Only administrators read exact statistics; use /v1/public/stats.")
		}
		return h.answer(ctx, in, !in.Protected)
	})
	huma.Register(api, huma.Operation{
		OperationID: "get-public-statistic", Method: http.MethodGet, Path: "/v1/public/stats/{indicator}",
		Summary: "An indicator, protected by disclosure control (open data)", Tags: []string{"Statistics"},
		Description: "Returns the indicator's table as JSON (a Table object) or CSV. Counts under the threshold are " +
			"suppressed, with enough others that no suppressed count can be derived from published totals.",
		Errors: []int{400, 422},
	}, func(ctx context.Context, in *queryInput) (*output, error) {
		return h.answer(ctx, in, false)
	})
}

func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, huma.Error400BadRequest("Bad "+field, &huma.ErrorDetail{Location: "query." + field, Message: "must be a date YYYY-MM-DD", Value: s})
	}
	return t, nil
}

func (h *Handler) answer(ctx context.Context, in *queryInput, exact bool) (*output, error) {
	q := stats.Query{Indicator: in.Indicator, Exact: exact, Filters: map[string]string{}}
	var err error
	if q.AsOf, err = parseDate("as_of", in.AsOf); err != nil {
		return nil, err
	}
	if q.From, err = parseDate("from", in.From); err != nil {
		return nil, err
	}
	if in.By != "" {
		q.By = strings.Split(in.By, ",")
	}
	for k, v := range map[string]string{"province": in.Province, "commune": in.Commune, "sex": in.Sex, "age_group": in.AgeGroup,
		"cohort": in.Cohort, "entry_year": in.EntryYear, "event": in.Event, "month": in.Month, "dataset": in.Dataset,
		"agency_kind": in.AgencyKind, "agency": in.Agency, "action": in.Action} {
		if v != "" {
			q.Filters[k] = v
		}
	}
	res, err := h.svc.Query(ctx, q)
	var se *stats.Error
	if errors.As(err, &se) {
		loc := "query." + se.Field
		if se.Field == "indicator" {
			loc = "path.indicator"
		}
		return nil, huma.NewError(se.Status, "The query is not valid: "+se.Reason, &huma.ErrorDetail{Location: loc, Message: se.Reason})
	}
	if err != nil {
		return nil, err
	}
	t := TableOf(res)
	if in.Format == "csv" {
		return &output{ContentType: "text/csv; charset=utf-8",
			ContentDisposition: `attachment; filename="` + res.Indicator + `.csv"`, Body: CSV(t)}, nil
	}
	body, err := jsonMarshal(t)
	if err != nil {
		return nil, err
	}
	return &output{ContentType: "application/json", Body: body}, nil
}

// TableOf converts a result to its published form.
func TableOf(r *stats.Result) *Table {
	t := &Table{Indicator: r.Indicator, Title: r.Title, AsOf: r.AsOf.Format(time.DateOnly), By: r.By,
		Filters: r.Filters, Protected: r.Protected, Threshold: r.Threshold, Rows: []map[string]any{}}
	if t.By == nil {
		t.By = []string{}
	}
	if len(t.Filters) == 0 {
		t.Filters = nil
	}
	if !r.From.IsZero() {
		t.From = r.From.Format(time.DateOnly)
	}
	t.Columns = append(append(append([]string{}, r.By...), r.Measures...), r.Ratios...)
	for _, row := range r.Rows {
		m := map[string]any{}
		for i, d := range r.By {
			m[d] = row.Dims[i]
		}
		for i, name := range r.Measures {
			if c := row.Counts[i]; c != nil {
				m[name] = *c
			} else {
				m[name] = nil
			}
		}
		for i, name := range r.Ratios {
			if v := row.Ratios[i]; v != nil {
				m[name] = *v
			} else {
				m[name] = nil
			}
		}
		t.Rows = append(t.Rows, m)
	}
	return t
}

// CSV writes a table with a header line; a suppressed count is empty.
func CSV(t *Table) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(t.Columns)
	for _, r := range t.Rows {
		rec := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			switch v := r[c].(type) {
			case nil:
			case string:
				rec[i] = v
			case int64:
				rec[i] = strconv.FormatInt(v, 10)
			case float64:
				rec[i] = strconv.FormatFloat(v, 'f', 4, 64)
			}
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

package match

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Paths of the verification operations.
const (
	demographicPath = "/v1/verify/demographic"
	jobsPath        = "/v1/verify/jobs"
	jobPath         = "/v1/verify/jobs/{id}"
	resultPath      = "/v1/verify/jobs/{id}/result"
	cancelPath      = "/v1/verify/jobs/{id}/cancel"
)

// DefaultMaxUploadBytes bounds a bulk verification upload unless the
// server is configured otherwise: about 40 million lines of a typical list.
const DefaultMaxUploadBytes = 4 << 30

// uploadReadTime is how long an upload may take to send its body.
const uploadReadTime = 4 * time.Hour

// Handler serves demographic verification and bulk jobs.
type Handler struct {
	svc       *Service
	jobs      *Engine
	grants    Grants
	maxUpload int64
}

// NewHandler returns the HTTP handler. maxUpload bounds uploads (0:
// DefaultMaxUploadBytes).
func NewHandler(svc *Service, jobs *Engine, grants Grants, maxUpload int64) *Handler {
	if maxUpload <= 0 {
		maxUpload = DefaultMaxUploadBytes
	}
	return &Handler{svc: svc, jobs: jobs, grants: grants, maxUpload: maxUpload}
}

// register is huma.Register with the bearer requirement and no huma body
// limit (the server's middleware bounds bodies).
func register[I, O any](a huma.API, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	op.MaxBodyBytes = -1
	op.Security = api.Security
	op.Errors = append([]int{http.StatusUnauthorized}, op.Errors...)
	huma.Register(a, op, h)
}

// Mount adds the operations to srv and opens them to API clients.
func (h *Handler) Mount(srv *api.Server) {
	a := srv.API()
	register(a, huma.Operation{
		OperationID: "verify-demographic", Method: http.MethodPost, Path: demographicPath,
		Summary: "Verify attributes a person gave against the registry (API clients)",
		Description: "Answers, per submitted attribute and overall, match or no_match, with the `exact` " +
			"strategy (equal after normalisation) or the `partial` one (a similarity of at least " +
			"`match_value`); never the registry's values. The person's status is released when the " +
			"grant releases registry fields, or with an overall match. Every call is recorded in the " +
			"access log; partial calls count against the agency's daily quota.",
		Tags:   []string{"verification"},
		Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests, http.StatusNotImplemented, http.StatusServiceUnavailable},
	}, h.demographic)
	if h.jobs != nil {
		register(a, huma.Operation{
			OperationID: "create-verify-job", Method: http.MethodPost, Path: jobsPath, DefaultStatus: http.StatusAccepted,
			Summary: "Upload a subscriber list for bulk verification (API clients)",
			Description: "The body is a CSV file with a header line naming phone, pin, full_name, birth_date, sex " +
				"and optionally address and document_number, or NDJSON objects with those keys, in UTF-8. " +
				"It is refused before anything is stored when the agency's grant for the purpose does not " +
				"allow bulk verification, when it is not a CSV or NDJSON subscriber list, or when it is " +
				"larger than the limit. The job then runs in the background.",
			Tags: []string{"verification"},
			Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge,
				http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType},
			RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
				"text/csv":             {Schema: &huma.Schema{Type: huma.TypeString}},
				"application/x-ndjson": {Schema: &huma.Schema{Type: huma.TypeString}},
			}},
		}, h.createJob)
		register(a, huma.Operation{
			OperationID: "list-verify-jobs", Method: http.MethodGet, Path: jobsPath,
			Summary: "List the agency's bulk verification jobs, newest first (API clients)",
			Tags:    []string{"verification"}, Errors: []int{http.StatusForbidden},
		}, h.listJobs)
		register(a, huma.Operation{
			OperationID: "get-verify-job", Method: http.MethodGet, Path: jobPath,
			Summary: "A bulk verification job's state, progress and summary (API clients)",
			Tags:    []string{"verification"}, Errors: []int{http.StatusForbidden, http.StatusNotFound},
		}, h.getJob)
		register(a, huma.Operation{
			OperationID: "get-verify-job-result", Method: http.MethodGet, Path: resultPath,
			Summary: "Download a finished job's result file (API clients)",
			Description: "CSV, one line per input line after the header `line,phone,result,fields,reason`: " +
				"result is MATCH, MISMATCH (fields lists those that differ), NOT_FOUND, DECEASED, MISSING, " +
				"INVALID_PIN, OVER_LIMIT or MALFORMED (reason says why).",
			Tags:   []string{"verification"},
			Errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict},
			Responses: map[string]*huma.Response{"200": {Description: "The result file.",
				Content: map[string]*huma.MediaType{"text/csv": {Schema: &huma.Schema{Type: huma.TypeString}}}}},
		}, h.getResult)
		register(a, huma.Operation{
			OperationID: "cancel-verify-job", Method: http.MethodPost, Path: cancelPath,
			Summary: "Cancel a queued or running bulk verification job (API clients)",
			Description: "The job stops at its next checkpoint (within one batch of lines). The lines answered " +
				"so far stay downloadable as its result; the uploaded file and the job's counts are deleted. " +
				"A job already done, failed or cancelled is 409.",
			Tags:   []string{"verification"},
			Errors: []int{http.StatusForbidden, http.StatusNotFound, http.StatusConflict},
		}, h.cancelJob)
		srv.AllowClients(jobsPath, jobPath, resultPath, cancelPath)
		// One byte more than the limit reaches Submit, which refuses the
		// upload with its own error and removes what it stored.
		srv.SetBodyLimit(jobsPath, h.maxUpload+1)
	}
	srv.AllowClients(demographicPath)
}

// PurposeParams name the purpose of a request.
type PurposeParams = exchange.PurposeParams

func purposeOf(p PurposeParams) string {
	if p.Purpose != "" {
		return p.Purpose
	}
	return p.PurposeHeader
}

type demographicInput struct {
	PurposeParams
	Body struct {
		PIN            string `json:"pin" pattern:"^[0-9]{12}$" doc:"Personal identification number: 12 digits."`
		FullName       string `json:"full_name,omitempty" maxLength:"300" doc:"Compared after Unicode, case, spacing and tone-mark normalisation."`
		BirthDate      string `json:"birth_date,omitempty" pattern:"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$" doc:"YYYY-MM-DD, YYYY-MM or YYYY; agrees when it agrees with the record on every part both know."`
		Sex            string `json:"sex,omitempty" enum:"male,female"`
		Address        string `json:"address,omitempty" maxLength:"1000" doc:"An address of residence: the street part, or with the commune and province names."`
		Province       string `json:"province,omitempty" pattern:"^[0-9]{2}$" doc:"Province code (2025 units), part of the address attribute."`
		Commune        string `json:"commune,omitempty" pattern:"^[0-9]{5}$" doc:"Commune code (2025 units), part of the address attribute."`
		Phone          string `json:"phone,omitempty" maxLength:"30" doc:"Phone number, national (0...) or international (+84...) form."`
		DocumentNumber string `json:"document_number,omitempty" maxLength:"20" doc:"Number of an identity document (CCCD, CMND)."`
		Strategy       string `json:"strategy,omitempty" enum:"exact,partial" doc:"exact (default) or partial; the grant must allow it."`
		MatchValue     int    `json:"match_value,omitempty" minimum:"0" maximum:"100" doc:"partial only: the similarity (1-100) at which an attribute and the whole match; default: the server's, tuned for 99.9% precision."`
	}
}

// DemographicResult is the answer of a demographic verification.
type DemographicResult struct {
	Result     string            `json:"result" enum:"match,no_match" doc:"match when the submitted attributes as a whole match."`
	Attributes map[string]string `json:"attributes,omitempty" doc:"match or no_match per submitted attribute."`
	Status     string            `json:"status,omitempty" enum:"alive,dead,missing" doc:"The person's status: released when the grant releases registry fields, or with an overall match."`
	Strategy   string            `json:"strategy" enum:"exact,partial"`
	MatchValue int               `json:"match_value,omitempty" doc:"The match value applied (partial)."`
}

type demographicOutput struct{ Body DemographicResult }

func matchWord(ok bool) string {
	if ok {
		return "match"
	}
	return "no_match"
}

// httpError maps the service's errors to problems.
func httpError(err error) error {
	var d *Denial
	switch {
	case err == nil:
		return nil
	case errors.As(err, &d):
		return huma.NewError(d.Status, d.Msg)
	case errors.Is(err, ErrUnavailable):
		return huma.Error503ServiceUnavailable("The access could not be recorded; nothing was released. Try again later.")
	}
	return err
}

func (h *Handler) demographic(ctx context.Context, in *demographicInput) (*demographicOutput, error) {
	p, _ := auth.FromContext(ctx)
	if p.Kind != auth.KindClient || p.Agency == "" {
		return nil, huma.Error403Forbidden("Only agencies' API clients may verify attributes.")
	}
	b := in.Body
	req := Request{Agency: p.Agency, Client: p.ID, Purpose: purposeOf(in.PurposeParams), CaseRef: in.CaseRef,
		RequestID: api.RequestID(ctx), PIN: b.PIN, Strategy: b.Strategy, MatchValue: b.MatchValue,
		Claim: Claim{FullName: b.FullName, Address: b.Address, Province: b.Province, Commune: b.Commune, Phone: b.Phone,
			Document: b.DocumentNumber}}
	if b.BirthDate != "" {
		d, err := registry.ParseDate(b.BirthDate)
		if err != nil {
			return nil, huma.Error400BadRequest("birth_date must be YYYY-MM-DD, YYYY-MM or YYYY, and a real date.")
		}
		req.Claim.BirthDate = d
	}
	if b.Sex != "" {
		req.Claim.Sex = registry.Sex(b.Sex)
	}
	ans, err := h.svc.Verify(ctx, req)
	if err != nil {
		return nil, httpError(err)
	}
	if ans.NotFound {
		return nil, huma.Error404NotFound("No person holds this PIN.")
	}
	out := &demographicOutput{Body: DemographicResult{Result: matchWord(ans.Match), Status: string(ans.Status),
		Strategy: ans.Strategy, MatchValue: ans.MatchValue, Attributes: map[string]string{}}}
	for a, ok := range ans.Attributes {
		out.Body.Attributes[a] = matchWord(ok)
	}
	return out, nil
}

// JobView is a bulk verification job as its agency sees it.
type JobView struct {
	ID         string     `json:"id"`
	State      string     `json:"state" enum:"queued,running,done,failed,cancelled"`
	Format     string     `json:"format" enum:"csv,ndjson"`
	Purpose    string     `json:"purpose"`
	InputBytes int64      `json:"input_bytes" doc:"Size of the uploaded file."`
	ReadBytes  int64      `json:"read_bytes" doc:"Bytes of it answered so far."`
	Progress   float64    `json:"progress" doc:"Share of the file answered, 0 to 1."`
	Summary    JobSummary `json:"summary"`
	Error      string     `json:"error,omitempty" doc:"Why a failed job failed."`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	ResultURL  string     `json:"result_url,omitempty" doc:"Where the result file is, once the job is done (or cancelled: the lines answered before)."`
}

// ViewOf returns the agency's view of a job.
func ViewOf(j store.VerifyJob) JobView {
	v := JobView{ID: j.ID, State: j.State, Format: j.Format, Purpose: j.Purpose, InputBytes: j.InputBytes,
		ReadBytes: j.Offset, Error: j.Error, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
	if j.InputBytes > 0 {
		v.Progress = float64(j.Offset) / float64(j.InputBytes)
	}
	_ = json.Unmarshal(j.Summary, &v.Summary)
	if !j.FinishedAt.IsZero() {
		t := j.FinishedAt
		v.FinishedAt = &t
	}
	if HasResult(j) {
		v.ResultURL = strings.Replace(resultPath, "{id}", j.ID, 1)
	}
	return v
}

// createJobInput takes the body as a stream.
type createJobInput struct {
	PurposeParams
	Format      string `query:"format" enum:"csv,ndjson" doc:"The file's format; default: from Content-Type, else from the content."`
	ContentType string `header:"Content-Type"`
	body        io.Reader
}

// Resolve keeps the body reader and gives the upload the time it needs.
func (in *createJobInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	_ = ctx.SetReadDeadline(time.Now().Add(uploadReadTime))
	return nil
}

type jobOutput struct {
	Location string `header:"Location"`
	Body     JobView
}

// bulkAllowed checks that the caller is an API client whose agency's
// grant for the purpose allows bulk verification.
func (h *Handler) bulkAllowed(ctx context.Context, purpose string) (auth.Principal, error) {
	p, _ := auth.FromContext(ctx)
	if p.Kind != auth.KindClient || p.Agency == "" {
		return p, huma.Error403Forbidden("Only agencies' API clients may run bulk verification.")
	}
	if purpose == "" {
		return p, huma.Error400BadRequest("A purpose is required: the purpose parameter or the X-Purpose header.")
	}
	g, err := h.grants.Grant(ctx, p.Agency, purpose)
	if errors.Is(err, store.ErrNotFound) || err == nil && !g.BulkVerification {
		return p, huma.Error403Forbidden("The agency's grant for this purpose does not allow bulk verification.")
	}
	return p, err
}

func (h *Handler) createJob(ctx context.Context, in *createJobInput) (*jobOutput, error) {
	purpose := purposeOf(in.PurposeParams)
	p, err := h.bulkAllowed(ctx, purpose)
	if err != nil {
		return nil, err
	}
	format := Format(in.Format)
	if format == "" {
		mt, _, _ := strings.Cut(strings.ToLower(in.ContentType), ";")
		switch strings.TrimSpace(mt) {
		case "text/csv":
			format = CSV
		case "application/x-ndjson", "application/jsonl", "application/ndjson":
			format = NDJSON
		case "", "application/octet-stream", "text/plain":
		default:
			return nil, huma.NewError(http.StatusUnsupportedMediaType, "Send text/csv or application/x-ndjson.")
		}
	}
	j, err := h.jobs.Submit(ctx, JobMeta{Agency: p.Agency, Client: p.ID, Purpose: purpose, Format: format}, in.body, h.maxUpload)
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, ErrTooLarge) || errors.As(err, &mbe):
		return nil, huma.Error413RequestEntityTooLarge(fmt.Sprintf("The file exceeds %d bytes; nothing was stored.", h.maxUpload))
	case errors.Is(err, ErrNotJobFile):
		return nil, huma.Error422UnprocessableEntity(strings.TrimPrefix(err.Error(), ErrNotJobFile.Error()+": ") + "; nothing was stored.")
	case err != nil:
		return nil, err
	}
	return &jobOutput{Location: strings.Replace(jobPath, "{id}", j.ID, 1), Body: ViewOf(j)}, nil
}

type listJobsInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type listJobsOutput struct {
	Body struct {
		Items []JobView `json:"items"`
	}
}

func (h *Handler) client(ctx context.Context) (auth.Principal, error) {
	p, _ := auth.FromContext(ctx)
	if p.Kind != auth.KindClient || p.Agency == "" {
		return p, huma.Error403Forbidden("Only agencies' API clients have verification jobs.")
	}
	return p, nil
}

func (h *Handler) listJobs(ctx context.Context, in *listJobsInput) (*listJobsOutput, error) {
	p, err := h.client(ctx)
	if err != nil {
		return nil, err
	}
	js, err := h.jobs.Jobs(ctx, p.Agency, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &listJobsOutput{}
	out.Body.Items = make([]JobView, len(js))
	for i, j := range js {
		out.Body.Items[i] = ViewOf(j)
	}
	return out, nil
}

type jobInput struct {
	ID string `path:"id" maxLength:"64"`
}

type getJobOutput struct{ Body JobView }

// job loads a job of the caller's agency; any other is 404.
func (h *Handler) job(ctx context.Context, id string) (store.VerifyJob, error) {
	p, err := h.client(ctx)
	if err != nil {
		return store.VerifyJob{}, err
	}
	j, err := h.jobs.Job(ctx, p.Agency, id)
	if errors.Is(err, store.ErrNotFound) {
		return j, huma.Error404NotFound("No such job.")
	}
	return j, err
}

func (h *Handler) getJob(ctx context.Context, in *jobInput) (*getJobOutput, error) {
	j, err := h.job(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &getJobOutput{Body: ViewOf(j)}, nil
}

func (h *Handler) cancelJob(ctx context.Context, in *jobInput) (*getJobOutput, error) {
	p, err := h.client(ctx)
	if err != nil {
		return nil, err
	}
	j, err := h.jobs.Cancel(ctx, p.Agency, in.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, huma.Error404NotFound("No such job.")
	case errors.Is(err, ErrJobFinished):
		return nil, huma.Error409Conflict("The job is " + j.State + "; only a queued or running job can be cancelled.")
	case err != nil:
		return nil, err
	}
	return &getJobOutput{Body: ViewOf(j)}, nil
}

func (h *Handler) getResult(ctx context.Context, in *jobInput) (*huma.StreamResponse, error) {
	j, err := h.job(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if !HasResult(j) {
		return nil, huma.Error409Conflict("The job is " + j.State + "; its result is ready when it is done.")
	}
	f, n, err := h.jobs.OpenResult(j)
	if err != nil {
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		defer f.Close()
		hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hctx.SetHeader("Content-Length", strconv.FormatInt(n, 10))
		hctx.SetHeader("Content-Disposition", `attachment; filename="`+j.ID+`.csv"`)
		hctx.SetStatus(http.StatusOK)
		_, _ = io.CopyN(hctx.BodyWriter(), f, n)
	}}, nil
}

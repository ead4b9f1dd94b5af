package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

// Paths of the dataset operations.
const (
	putPath    = "/v1/datasets/{dataset}/records/{key}"
	uploadPath = "/v1/datasets/{dataset}/records"
	readPath   = "/v1/citizens/{pin}/datasets/{dataset}"
	adminPath  = "/v1/admin/datasets"
)

// DefaultMaxUploadBytes bounds a bulk upload's body unless the server is
// configured otherwise: about ten million lines.
const DefaultMaxUploadBytes = 2 << 30

// uploadReadTime is how long a bulk upload may take to send its body; the
// server's ordinary read timeout is sized for small requests.
const uploadReadTime = 2 * time.Hour

// Mount adds the dataset operations to srv. maxUpload bounds the body of a
// bulk upload (0: DefaultMaxUploadBytes); every other route keeps the
// server's own limit.
func (s *Service) Mount(srv *api.Server, maxUpload int64) {
	if maxUpload <= 0 {
		maxUpload = DefaultMaxUploadBytes
	}
	a := srv.API()
	errs := []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity}
	register(a, huma.Operation{
		OperationID: "put-dataset-record", Method: http.MethodPut, Path: putPath,
		Summary:     "Write one record of a linked dataset (the owning agency's clients)",
		Description: "Inserts or replaces the record with this key. The same content again changes nothing.",
		Tags:        []string{"datasets"}, Errors: errs,
	}, s.putHandler)
	register(a, huma.Operation{
		OperationID: "upload-dataset-records", Method: http.MethodPost, Path: uploadPath,
		Summary: "Upload records of a linked dataset as NDJSON (the owning agency's clients)",
		Description: "The body is streamed: one JSON object per line, " +
			"`{\"key\": \"...\", \"pin\": \"...\", \"attributes\": {...}}`. Good lines land; each bad line is " +
			"reported by number and reason; a repeated upload changes nothing.",
		Tags: []string{"datasets"}, Errors: append(errs, http.StatusRequestEntityTooLarge),
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
			"application/x-ndjson": {Schema: &huma.Schema{Type: huma.TypeString}},
		}},
	}, s.uploadHandler)
	register(a, huma.Operation{
		OperationID: "read-citizen-dataset", Method: http.MethodGet, Path: readPath,
		Summary:     "Read a linked dataset's records about a person",
		Description: "Allowed to the owning agency, to agencies whose grant for the purpose lists the dataset, and to the administrator. Every read is recorded in the access log.",
		Tags:        []string{"datasets"}, Errors: append(errs, http.StatusServiceUnavailable),
	}, s.readHandler)
	register(a, huma.Operation{
		OperationID: "list-datasets", Method: http.MethodGet, Path: adminPath,
		Summary: "List linked datasets with their coverage of the living population", Tags: []string{"admin"},
		Errors: []int{http.StatusForbidden},
	}, s.listHandler)
	register(a, huma.Operation{
		OperationID: "register-dataset", Method: http.MethodPost, Path: adminPath, DefaultStatus: http.StatusCreated,
		Summary: "Register a linked dataset and its owning agency", Tags: []string{"admin"},
		Errors: []int{http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity},
	}, s.registerHandler)
	srv.AllowClients(putPath, uploadPath, readPath)
	srv.SetBodyLimit(uploadPath, maxUpload)
}

// register is huma.Register with the bearer requirement and no huma body
// limit (the server's middleware bounds bodies).
func register[I, O any](a huma.API, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	op.MaxBodyBytes = -1
	op.Security = api.Security
	op.Errors = append([]int{http.StatusUnauthorized}, op.Errors...)
	huma.Register(a, op, h)
}

// httpError maps the service's errors to problems. Messages name rules and
// fields, never values.
func httpError(err error) error {
	var le *LineError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le):
		return huma.Error422UnprocessableEntity(le.Error(), &huma.ErrorDetail{Location: le.Field, Message: le.Reason})
	case errors.Is(err, ErrInvalid):
		return huma.Error422UnprocessableEntity(err.Error())
	case errors.Is(err, ErrNoPurpose):
		return huma.Error400BadRequest("A purpose is required: the purpose parameter or the X-Purpose header.")
	case errors.Is(err, ErrForbidden):
		return huma.Error403Forbidden("Not allowed for this dataset (and purpose).")
	case errors.Is(err, ErrUnavailable):
		return huma.Error503ServiceUnavailable("The access could not be recorded; nothing was released. Try again later.")
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound("No such dataset.")
	case errors.Is(err, store.ErrExists):
		return huma.Error409Conflict("The name is taken.")
	}
	return err
}

// dataset loads the dataset named in a path, as a 404 if there is none.
func (s *Service) dataset(ctx context.Context, name string) (*Dataset, error) {
	d, err := s.Dataset(ctx, name)
	if err != nil {
		return nil, httpError(err)
	}
	return d, nil
}

// writer loads the dataset and checks that the caller's agency owns it.
func (s *Service) writer(ctx context.Context, name string) (*Dataset, auth.Principal, error) {
	p, _ := auth.FromContext(ctx)
	d, err := s.dataset(ctx, name)
	if err != nil {
		return nil, p, err
	}
	if p.Kind != auth.KindClient || !CanWrite(d, p.Agency) {
		return nil, p, huma.Error403Forbidden("Only the clients of the agency that owns the dataset may write it.")
	}
	return d, p, nil
}

type putInput struct {
	Dataset string `path:"dataset" maxLength:"63"`
	Key     string `path:"key" maxLength:"100"`
	Body    struct {
		PIN        string          `json:"pin" maxLength:"12"`
		Attributes json.RawMessage `json:"attributes" doc:"The record's attributes, as the dataset's kind defines them."`
	}
}

type putOutput struct{ Body PutResult }

func (s *Service) putHandler(ctx context.Context, in *putInput) (*putOutput, error) {
	d, p, err := s.writer(ctx, in.Dataset)
	if err != nil {
		return nil, err
	}
	r, err := s.Put(ctx, d, p.Agency, in.Key, in.Body.PIN, in.Body.Attributes)
	if err != nil {
		return nil, httpError(err)
	}
	return &putOutput{Body: r}, nil
}

// uploadInput takes the body as a stream: with no Body field huma reads
// nothing, and Resolve hands over the reader.
type uploadInput struct {
	Dataset string `path:"dataset" maxLength:"63"`
	body    io.Reader
}

// Resolve keeps the body reader and gives the upload the time it needs.
func (in *uploadInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	_ = ctx.SetReadDeadline(time.Now().Add(uploadReadTime))
	return nil
}

type uploadOutput struct{ Body Summary }

func (s *Service) uploadHandler(ctx context.Context, in *uploadInput) (*uploadOutput, error) {
	d, p, err := s.writer(ctx, in.Dataset)
	if err != nil {
		return nil, err
	}
	sum, err := s.Upload(ctx, d, p.Agency, in.body, nil)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, huma.Error413RequestEntityTooLarge("The upload exceeds the size limit; the lines before the limit were processed and may be sent again.")
	}
	if err != nil {
		return nil, err
	}
	return &uploadOutput{Body: sum}, nil
}

type readInput struct {
	exchange.PurposeParams
	PIN     string `path:"pin" maxLength:"12"`
	Dataset string `path:"dataset" maxLength:"63"`
}

type readOutput struct {
	Body struct {
		PIN     string   `json:"pin"`
		Dataset string   `json:"dataset"`
		Kind    string   `json:"kind"`
		Records []Record `json:"records"`
	}
}

func (s *Service) readHandler(ctx context.Context, in *readInput) (*readOutput, error) {
	p, _ := auth.FromContext(ctx)
	if e := CheckPIN(in.PIN); e != nil {
		return nil, huma.Error400BadRequest(e.Error())
	}
	d, err := s.dataset(ctx, in.Dataset)
	if err != nil {
		return nil, err
	}
	purpose := in.Purpose
	if purpose == "" {
		purpose = in.PurposeHeader
	}
	if err := s.MayRead(ctx, p, d, purpose); err != nil {
		return nil, httpError(err)
	}
	rs, err := s.Read(ctx, p, d, in.PIN, purpose, in.CaseRef, api.RequestID(ctx))
	if err != nil {
		return nil, httpError(err)
	}
	out := &readOutput{}
	out.Body.PIN, out.Body.Dataset, out.Body.Kind, out.Body.Records = in.PIN, d.Name, d.Kind, rs
	return out, nil
}

// requireAdmin refuses everyone but administrators.
func requireAdmin(ctx context.Context) error { return api.RequireAdmin(ctx, "manage datasets") }

type listOutput struct {
	Body struct {
		Items            []Coverage `json:"items"`
		LivingPopulation int64      `json:"living_population" doc:"People on the registry who are alive."`
	}
}

func (s *Service) listHandler(ctx context.Context, _ *struct{}) (*listOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	items, living, err := s.Datasets(ctx)
	if err != nil {
		return nil, err
	}
	out := &listOutput{}
	out.Body.Items, out.Body.LivingPopulation = items, living
	if out.Body.Items == nil {
		out.Body.Items = []Coverage{}
	}
	return out, nil
}

type registerInput struct {
	Body struct {
		Name   string `json:"name" maxLength:"63"`
		Kind   string `json:"kind" enum:"social-insurance,vehicle-registration,passport,health-insurance,telecom-subscription"`
		Agency string `json:"agency" maxLength:"63"`
	}
}

type registerOutput struct{ Body *Dataset }

func (s *Service) registerHandler(ctx context.Context, in *registerInput) (*registerOutput, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	d, err := s.Register(ctx, Dataset{Name: in.Body.Name, Kind: in.Body.Kind, Agency: in.Body.Agency})
	if err != nil {
		return nil, httpError(err)
	}
	return &registerOutput{Body: d}, nil
}

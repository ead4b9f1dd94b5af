package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// ProblemContentType is the media type of every error body (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem detail. It is huma's model, so that errors
// written by huma itself (validation, content negotiation) and by this
// package have one shape in the OpenAPI document and on the wire.
type Problem = huma.ErrorModel

// init makes huma build every error through newProblem. huma offers only a
// package variable for this; setting it here, once, is what guarantees that
// no error body anywhere in the process echoes a submitted value or an
// internal error text, whichever huma API produced it.
func init() {
	huma.NewErrorWithContext = newProblem
}

// newProblem is huma's error constructor. A registry error that a handler
// returns arrives here as the cause of a 500 and is mapped to its own status;
// anything else with status 500 or more becomes a generic problem, and the
// cause is kept for the access log instead.
func newProblem(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
	ctx := context.Background()
	var op *huma.Operation
	if hctx != nil {
		ctx, op = hctx.Context(), hctx.Operation()
	}
	for _, err := range errs {
		var re *registry.Error
		if errors.As(err, &re) {
			return registryProblem(ctx, op, re)
		}
	}
	for _, err := range errs {
		if errors.Is(err, store.ErrUnavailable) {
			recordError(ctx, err)
			return UnavailableProblem()
		}
	}
	var tooBig *http.MaxBytesError
	for _, err := range errs {
		if errors.As(err, &tooBig) {
			return &Problem{
				Status: http.StatusRequestEntityTooLarge,
				Title:  http.StatusText(http.StatusRequestEntityTooLarge),
				Detail: fmt.Sprintf("The request body exceeds %d bytes.", tooBig.Limit),
			}
		}
	}
	if status >= http.StatusInternalServerError {
		recordError(ctx, errors.Join(errs...))
		if outageDuring(ctx) {
			// The middleware answers this 503 (unavailableStatus); the
			// body says the same.
			return UnavailableProblem()
		}
		return internalProblem(ctx, status)
	}
	p := &Problem{Status: status, Title: http.StatusText(status), Detail: msg}
	onlyParams := len(errs) > 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		d := &huma.ErrorDetail{Message: err.Error()}
		var ed huma.ErrorDetailer
		if errors.As(err, &ed) {
			// Keep the message and location, drop Value: it echoes what
			// the client sent, which may be a PIN or a name.
			src := ed.ErrorDetail()
			d = &huma.ErrorDetail{Message: src.Message, Location: requiredLocation(src.Message, src.Location)}
		}
		if !isParamLocation(d.Location) {
			onlyParams = false
		}
		p.Errors = append(p.Errors, d)
	}
	// huma answers 422 for any failed validation. A malformed path, query
	// or header parameter is a malformed request, which HTTP calls 400;
	// 422 stays for well-formed bodies whose content is wrong.
	if status == http.StatusUnprocessableEntity && onlyParams {
		p.Status, p.Title = http.StatusBadRequest, http.StatusText(http.StatusBadRequest)
	}
	return p
}

// requiredPrefix and requiredSuffix frame the property name in huma's
// message for a missing required property.
var requiredPrefix, requiredSuffix, _ = strings.Cut(validation.MsgExpectedRequiredProperty, "%s")

// requiredLocation points a missing-property error at the property: huma
// locates it at the enclosing object ("body"), but clients look for the
// field they have to fill in ("body.reason").
func requiredLocation(msg, loc string) string {
	name, ok := strings.CutPrefix(msg, requiredPrefix)
	if !ok {
		return loc
	}
	if name, ok = strings.CutSuffix(name, requiredSuffix); !ok || name == "" || loc == "" {
		return loc
	}
	return loc + "." + name
}

// isParamLocation reports whether an error location names a request
// parameter rather than the body.
func isParamLocation(loc string) bool {
	in, _, _ := strings.Cut(loc, ".")
	switch in {
	case "path", "query", "header", "cookie":
		return true
	}
	return false
}

// registryProblem maps a registry error to its status. The location names
// where the field was sent (path.pin, query.as_of, header.If-Match,
// body.data.spouse_pin), as huma's own validation errors do.
func registryProblem(ctx context.Context, op *huma.Operation, e *registry.Error) huma.StatusError {
	in := fieldLocation(op, e.Field)
	var status int
	switch e.Kind {
	case registry.Invalid:
		status = http.StatusUnprocessableEntity
		if in != "body" {
			status = http.StatusBadRequest
		}
	case registry.NotFound:
		status = http.StatusNotFound
	case registry.Conflict:
		status = http.StatusConflict
	case registry.Stale:
		status = http.StatusPreconditionFailed
	case registry.Forbidden:
		status = http.StatusForbidden
	default:
		recordError(ctx, e)
		return internalProblem(ctx, http.StatusInternalServerError)
	}
	loc := e.Field
	if in != "" && loc != "" {
		loc = in + "." + loc
	}
	return &Problem{
		Status: status,
		Title:  http.StatusText(status),
		Detail: e.Error(),
		Errors: []*huma.ErrorDetail{{Message: e.Reason, Location: loc}},
	}
}

// fieldLocation says where a registry field name was sent in the request of
// op: the parameter of that name if the operation has one, else the body if
// it takes one, else the query.
func fieldLocation(op *huma.Operation, field string) string {
	if field == "" {
		return ""
	}
	top, _, _ := strings.Cut(field, ".")
	if op == nil {
		return "body"
	}
	for _, p := range op.Parameters {
		if strings.EqualFold(p.Name, top) {
			return p.In
		}
	}
	if op.RequestBody != nil {
		return "body"
	}
	return "query"
}

// internalProblem is the only body a client sees for a server failure: the
// request id lets an operator find the cause in the log.
func internalProblem(ctx context.Context, status int) *Problem {
	detail := "The server could not complete the request."
	if id := RequestID(ctx); id != "" {
		detail = fmt.Sprintf("The server could not complete the request; quote request id %s when reporting it.", id)
	}
	return &Problem{Status: status, Title: http.StatusText(status), Detail: detail}
}

// writeProblem writes a problem outside huma: from middleware, and for
// routes that match no operation.
func writeProblem(w http.ResponseWriter, p *Problem) {
	body, err := json.Marshal(p)
	if err != nil {
		// A Problem always marshals; keep the status regardless.
		body = []byte(`{"status":500}`)
	}
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Del("Content-Length")
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n'))
}

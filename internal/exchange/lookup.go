package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/vntext"
)

// MaxBatch is the most PINs one batch lookup may name.
const MaxBatch = 1000

// Paths of the lookup operations.
const (
	citizenPath = "/v1/citizens/{pin}"
	batchPath   = "/v1/citizens/batch"
	checkPath   = "/v1/citizens/{pin}/check"
)

var _ api.ClientReader = (*Service)(nil)

// errUnavailable is the answer when the access log cannot record a read:
// nothing is released that is not on the record.
var errUnavailable = &huma.ErrorModel{
	Status: http.StatusServiceUnavailable, Title: http.StatusText(http.StatusServiceUnavailable),
	Detail: "The access could not be recorded; nothing was released. Try again later.",
}

// decide evaluates a client's request, loading its agency's grants, and
// turns a denial into the HTTP error the issue prescribes.
func (s *Service) decide(ctx context.Context, p auth.Principal, purpose, fields string, check bool) (Decision, error) {
	if p.Kind != auth.KindClient || p.Agency == "" {
		return Decision{}, huma.Error403Forbidden("Only agencies' API clients may use this operation.")
	}
	if purpose == "" {
		return Decision{}, huma.Error400BadRequest("A purpose is required: the purpose parameter or the X-Purpose header.")
	}
	if !purposePattern.MatchString(purpose) {
		return Decision{}, huma.Error400BadRequest("The purpose is not a purpose code.")
	}
	grants, err := s.grantFor(ctx, p.Agency, purpose)
	if err != nil {
		return Decision{}, err
	}
	d := Evaluate(grants, Request{Agency: p.Agency, Purpose: purpose, Fields: ParseFields(fields), Check: check})
	switch d.Reason {
	case ReasonAllowed:
		return d, nil
	case ReasonPurposeMissing:
		return d, huma.Error400BadRequest("A purpose is required: the purpose parameter or the X-Purpose header.")
	case ReasonUnknownField:
		// The unknown name is the client's input: echo it only when it looks
		// like a field name, never whatever else (a PIN, a name) was sent.
		if fieldName.MatchString(d.Field) {
			return d, huma.Error400BadRequest(fmt.Sprintf("fields: %q is not a registry field.", d.Field))
		}
		return d, huma.Error400BadRequest("fields: a requested name is not a registry field.")
	case ReasonFieldNotGranted:
		return d, huma.Error403Forbidden(fmt.Sprintf("fields: %q is not granted to the agency for this purpose.", d.Field))
	case ReasonCheckNotGranted:
		return d, huma.Error403Forbidden("The agency's grant for this purpose does not allow attribute checks.")
	default:
		return d, huma.Error403Forbidden("The agency holds no grant for this purpose.")
	}
}

// grantFor reads the agency's grant for the purpose, if any: one point
// read of the agency's own key, so no other agency's grant is ever loaded.
func (s *Service) grantFor(ctx context.Context, agency, purpose string) ([]Grant, error) {
	var g Grant
	_, err := s.getDoc(ctx, kindGrant, grantID(agency, purpose), &g)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []Grant{g}, nil
}

// access builds the access-log entry of a client's use of one person.
func access(ctx context.Context, p auth.Principal, purpose, caseRef, pin, action string, fields []string) audit.Access {
	return audit.Access{
		ActorKind: p.Kind, Actor: p.ID, Agency: p.Agency, Purpose: purpose, CaseRef: caseRef,
		PIN: pin, Fields: fields, Action: action, RequestID: api.RequestID(ctx),
	}
}

// released lists the fields an answer released, for the access log.
func released(d Decision) []string {
	return append([]string{FieldStatus}, d.Fields...)
}

// record writes accesses to the log, or answers 503.
func (s *Service) record(ctx context.Context, accesses ...audit.Access) error {
	if len(accesses) == 0 {
		return nil
	}
	if s.rec == nil {
		return errUnavailable
	}
	if err := s.rec.Record(ctx, accesses...); err != nil {
		level := slog.LevelError
		if ctx.Err() != nil {
			level = slog.LevelInfo // the client went away while its entry was being written
		}
		s.log.Log(ctx, level, "exchange: access log refused a record", api.KeyRequestID, api.RequestID(ctx), "error", err)
		return errUnavailable
	}
	return nil
}

// ReadCitizen implements api.ClientReader.
func (s *Service) ReadCitizen(ctx context.Context, p auth.Principal, req api.ClientRead) (any, error) {
	d, err := s.decide(ctx, p, req.Purpose, req.Fields, false)
	if err != nil {
		return nil, err
	}
	rec, err := s.reg.Person(ctx, req.PIN, registry.Date{})
	if err != nil {
		return nil, err
	}
	body, err := filterPerson(rec.Person, d.Fields)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, access(ctx, p, req.Purpose, req.CaseRef, req.PIN, "read", released(d))); err != nil {
		return nil, err
	}
	return body, nil
}

// PurposeParams are the parameters every lookup takes. (Exported because
// huma reads only exported embedded structs.)
type PurposeParams struct {
	Purpose       string `query:"purpose" maxLength:"100" doc:"The purpose code of the request (or the X-Purpose header)." example:"social-insurance.enrolment"`
	PurposeHeader string `header:"X-Purpose" maxLength:"100" doc:"The purpose code, if not given as the purpose parameter."`
	CaseRef       string `header:"X-Case-Reference" maxLength:"100" doc:"The caller's case reference, kept in the access log."`
}

func (p PurposeParams) purpose() string {
	if p.Purpose != "" {
		return p.Purpose
	}
	return p.PurposeHeader
}

type batchInput struct {
	PurposeParams
	Fields string `query:"fields" maxLength:"2000" doc:"Comma-separated fields wanted (default: every field the grant releases); asking for one outside the grant is 403."`
	Body   struct {
		PINs []string `json:"pins" minItems:"1" maxItems:"1000" doc:"Up to 1,000 PINs."`
	}
}

// BatchResult is the answer for one PIN of a batch.
type BatchResult struct {
	PIN    string                     `json:"pin"`
	Result string                     `json:"result" enum:"found,not_found,invalid"`
	Record map[string]json.RawMessage `json:"record,omitempty" doc:"The released fields, with pin and status always; only when found."`
}

type batchOutput struct {
	Body struct {
		Results []BatchResult `json:"results" doc:"One per submitted PIN, in the order submitted."`
	}
}

type checkInput struct {
	PurposeParams
	PIN  string `path:"pin" pattern:"^[0-9]{12}$" doc:"Personal identification number: 12 digits."`
	Body struct {
		FullName  string `json:"full_name,omitempty" maxLength:"200" doc:"Compared after Unicode and tone-mark normalisation, case-insensitively."`
		BirthDate string `json:"birth_date,omitempty" pattern:"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$" doc:"YYYY-MM-DD, YYYY-MM or YYYY; matches when it agrees with the record on every part both know."`
		Sex       string `json:"sex,omitempty" enum:"male,female"`
	}
}

// CheckResult is the answer of an attribute check: whether each submitted
// attribute matches, never the registry's values.
type CheckResult struct {
	Match      bool               `json:"match" doc:"True when every submitted attribute matches."`
	Attributes map[string]bool    `json:"attributes" doc:"Per submitted attribute."`
	Status     registry.LifeState `json:"status" doc:"alive, dead or missing."`
}

type checkOutput struct {
	Body CheckResult
}

// MountLookups adds the batch and check operations to srv and opens them,
// with GET /v1/citizens/{pin}, to API clients.
func (s *Service) MountLookups(srv *api.Server) {
	a := srv.API()
	register(a, huma.Operation{
		OperationID: "batch-citizens", Method: http.MethodPost, Path: batchPath,
		Summary:     "Look up a batch of people (API clients)",
		Description: "Returns, for each PIN, the fields the agency's grant for the purpose releases, or not_found / invalid. Each person returned is recorded in the access log.",
		Tags:        []string{"exchange"},
		Errors:      []int{http.StatusBadRequest, http.StatusForbidden, http.StatusServiceUnavailable},
	}, s.batch)
	register(a, huma.Operation{
		OperationID: "check-citizen", Method: http.MethodPost, Path: checkPath,
		Summary:     "Check submitted attributes against a person's record (API clients)",
		Description: "Answers whether full_name, birth_date and sex match the record, overall and per attribute, and the person's life status; never the recorded values.",
		Tags:        []string{"exchange"},
		Errors:      []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusServiceUnavailable},
	}, s.check)
	srv.AllowClients(citizenPath, batchPath, checkPath)
}

// register is huma.Register with what every dancu operation declares: the
// bearer requirement, and no huma body limit (the middleware bounds bodies).
func register[I, O any](a huma.API, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	op.MaxBodyBytes = -1
	op.Security = api.Security
	op.Errors = append([]int{http.StatusUnauthorized}, op.Errors...)
	huma.Register(a, op, h)
}

func (s *Service) batch(ctx context.Context, in *batchInput) (*batchOutput, error) {
	p, _ := auth.FromContext(ctx)
	if len(in.Body.PINs) > MaxBatch {
		return nil, huma.Error400BadRequest(fmt.Sprintf("A batch names at most %d PINs.", MaxBatch))
	}
	d, err := s.decide(ctx, p, in.purpose(), in.Fields, false)
	if err != nil {
		return nil, err
	}
	out := &batchOutput{}
	out.Body.Results = make([]BatchResult, len(in.Body.PINs))
	var accesses []audit.Access
	seen := map[string]bool{}
	fields := released(d)
	for i, pin := range in.Body.PINs {
		r := &out.Body.Results[i]
		r.PIN = pin
		if registry.CheckPIN("pin", pin) != nil {
			// The submitted value is echoed only when it has the form of
			// a PIN, so that a mistaken column of names is not sent back.
			r.PIN, r.Result = "", "invalid"
			if len(pin) == 12 {
				r.PIN = pin
			}
			continue
		}
		rec, err := s.reg.Person(ctx, pin, registry.Date{})
		if registry.KindOf(err) == registry.NotFound {
			r.Result = "not_found"
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.Record, err = filterPerson(rec.Person, d.Fields); err != nil {
			return nil, err
		}
		r.Result = "found"
		if !seen[pin] {
			seen[pin] = true
			accesses = append(accesses, access(ctx, p, in.purpose(), in.CaseRef, pin, "read", fields))
		}
	}
	if err := s.record(ctx, accesses...); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) check(ctx context.Context, in *checkInput) (*checkOutput, error) {
	p, _ := auth.FromContext(ctx)
	b := in.Body
	if b.FullName == "" && b.BirthDate == "" && b.Sex == "" {
		return nil, huma.Error400BadRequest("Submit at least one of full_name, birth_date and sex.")
	}
	submitted, err := registry.ParseDate(b.BirthDate)
	if err != nil {
		return nil, huma.Error400BadRequest("birth_date must be YYYY-MM-DD, YYYY-MM or YYYY.")
	}
	if _, err := s.decide(ctx, p, in.purpose(), "", true); err != nil {
		return nil, err
	}
	rec, err := s.reg.Person(ctx, in.PIN, registry.Date{})
	if err != nil {
		return nil, err
	}
	res := CheckResult{Match: true, Attributes: map[string]bool{}, Status: rec.Person.Status.State}
	compared := []string{FieldStatus}
	if b.FullName != "" {
		res.Attributes["full_name"] = nameMatches(b.FullName, rec.Person.FullName)
		compared = append(compared, "full_name")
	}
	if b.BirthDate != "" {
		res.Attributes["birth_date"] = datesAgree(submitted, rec.Person.BirthDate)
		compared = append(compared, "birth_date")
	}
	if b.Sex != "" {
		res.Attributes["sex"] = registry.Sex(b.Sex) == rec.Person.Sex
		compared = append(compared, "sex")
	}
	for _, ok := range res.Attributes {
		res.Match = res.Match && ok
	}
	if err := s.record(ctx, access(ctx, p, in.purpose(), in.CaseRef, in.PIN, "verify", compared)); err != nil {
		return nil, err
	}
	return &checkOutput{Body: res}, nil
}

// nameMatches compares names on their diacritic-preserving fold: "Hoà" and
// "Hòa" are one name, "Hoa" is another, and spacing and case do not count.
func nameMatches(submitted, recorded string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(vntext.Fold(s)), " ") }
	a := norm(submitted)
	return a != "" && a == norm(recorded)
}

// datesAgree reports whether two possibly partial dates agree on every part
// both know: a record that knows only 1985 agrees with 1985-03-02, and a
// submitted 1985 agrees with a record of 1985-03-02. An unknown recorded
// date agrees with nothing, so that a check cannot pass on no information.
func datesAgree(a, b registry.Date) bool {
	if a.IsZero() || b.IsZero() || a.Year != b.Year {
		return false
	}
	if a.Month == 0 || b.Month == 0 {
		return true
	}
	if a.Month != b.Month {
		return false
	}
	return a.Day == 0 || b.Day == 0 || a.Day == b.Day
}

// fieldName is the shape of a registry field name, which is safe to echo.
var fieldName = regexp.MustCompile(`^[a-z_]{1,40}$`)

package api

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
)

// Search page sizes.
const (
	DefaultSearchLimit = 20
	MaxSearchLimit     = registry.MaxSearchLimit
)

type citizenInput struct {
	PIN         string `path:"pin" pattern:"^[0-9]{12}$" doc:"Personal identification number: 12 digits." example:"079190000123"`
	AsOf        string `query:"as_of" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"Return the record as it was on this date (YYYY-MM-DD) instead of the current one." example:"2020-01-31"`
	IfNoneMatch string `header:"If-None-Match" doc:"An ETag from an earlier answer: if the record is still at that version the answer is 304 without a body."`
	// API clients name a purpose and may narrow the fields; see ClientReader.
	Purpose       string `query:"purpose" maxLength:"100" doc:"API clients: the purpose code of the request (or the X-Purpose header)." example:"social-insurance.enrolment"`
	PurposeHeader string `header:"X-Purpose" maxLength:"100" doc:"API clients: the purpose code, if not given as the purpose parameter."`
	CaseRef       string `header:"X-Case-Reference" maxLength:"100" doc:"API clients: the caller's case reference, kept in the access log."`
	Fields        string `query:"fields" maxLength:"2000" doc:"API clients: comma-separated fields wanted (default: every field the grant releases); asking for one outside the grant is 403."`
}

type citizenOutput struct {
	Status int
	ETag   string `header:"ETag" doc:"The version of the record, for If-None-Match here and If-Match on POST /v1/events."`
	// Body is a *registry.Person, or for an API client the fields its
	// grant releases (the same names, fewer of them).
	Body any
}

type historyInput struct {
	PIN string `path:"pin" pattern:"^[0-9]{12}$" doc:"Personal identification number: 12 digits." example:"079190000123"`
}

// CitizenVersion is one version of a person's record and the event that
// produced it.
type CitizenVersion struct {
	Version    int64            `json:"version" doc:"1 for the first version, then +1 for each change."`
	EventID    string           `json:"event_id"`
	EventType  string           `json:"event_type"`
	Actor      string           `json:"actor" doc:"Who recorded the event: an account id, never a name."`
	Reason     string           `json:"reason" doc:"The legal basis or document reference given with the event."`
	ValidFrom  registry.Date    `json:"valid_from" doc:"The date from which this version describes the person (the event's effective date)."`
	RecordedAt time.Time        `json:"recorded_at"`
	Record     *registry.Person `json:"record"`
}

// CitizenHistory is every version of a person's record, oldest first.
type CitizenHistory struct {
	Items []CitizenVersion `json:"items"`
}

type historyOutput struct {
	Body CitizenHistory
}

type searchInput struct {
	Name      string `query:"name" maxLength:"200" doc:"Full name or its beginning, whole words; matches with or without diacritics (\"nguyen van\" finds \"Nguyễn Văn An\")." example:"Nguyễn Văn"`
	DOB       string `query:"dob" pattern:"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$" doc:"Date of birth as recorded: YYYY-MM-DD, or YYYY-MM / YYYY for records that know only that." example:"1985-03-02"`
	BirthYear int    `query:"birth_year" minimum:"1800" maximum:"2399" doc:"Year of birth."`
	Sex       string `query:"sex" enum:"male,female"`
	Province  string `query:"province" pattern:"^[0-9]{2}$" doc:"Province code of the permanent residence." example:"79"`
	Commune   string `query:"commune" pattern:"^[0-9]{5}$" doc:"Commune code of the permanent residence." example:"26734"`
	Limit     int    `query:"limit" default:"20" minimum:"1" maximum:"200" doc:"Page size."`
	Cursor    string `query:"cursor" maxLength:"1024" doc:"The next_cursor of the previous page."`
}

// CitizenSummary is a person as a search lists them: enough to tell people
// apart, no more. The full record is one GET away, and every such read can
// be accounted for.
type CitizenSummary struct {
	PIN         string             `json:"pin"`
	FullName    string             `json:"full_name"`
	BirthDate   registry.Date      `json:"birth_date"`
	Sex         registry.Sex       `json:"sex"`
	Province    string             `json:"province,omitempty" doc:"Of the permanent residence."`
	Commune     string             `json:"commune,omitempty" doc:"Of the permanent residence."`
	HouseholdID string             `json:"household_id,omitempty"`
	State       registry.LifeState `json:"state"`
	Version     int64              `json:"version"`
}

// CitizenPage is one page of search results.
type CitizenPage struct {
	Items      []CitizenSummary `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page."`
}

type searchOutput struct {
	Body CitizenPage
}

func (h *RegistryHandler) mountCitizens(api huma.API) {
	register(api, huma.Operation{
		OperationID: "get-citizen",
		Method:      http.MethodGet,
		Path:        "/v1/citizens/{pin}",
		Summary:     "Get a person's record",
		Description: "Returns the current record, or the record as it was on as_of. The ETag names the version.",
		Tags:        []string{"citizens"},
		Responses: map[string]*huma.Response{
			// The body is declared here because its Go type is any: API
			// clients get the same document with only their granted fields.
			"200": {Description: "The record; for an API client only the fields its grant releases, with pin and status always.",
				Content: map[string]*huma.MediaType{"application/json": {
					Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[registry.Person](), true, ""),
				}}},
			"304": {Description: "The record is still at the version If-None-Match names."},
		},
		Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusServiceUnavailable},
	}, h.getCitizen)
	register(api, huma.Operation{
		OperationID: "get-citizen-history",
		Method:      http.MethodGet,
		Path:        "/v1/citizens/{pin}/history",
		Summary:     "Get every version of a person's record",
		Tags:        []string{"citizens"},
		Errors:      []int{http.StatusBadRequest, http.StatusNotFound},
	}, h.citizenHistory)
	register(api, huma.Operation{
		OperationID: "search-citizens",
		Method:      http.MethodGet,
		Path:        "/v1/citizens",
		Summary:     "Search people",
		Description: "Searches current records by name, date or year of birth, sex and place of permanent residence. " +
			"Give at least a name, a date or year of birth, or a province or commune. Results are ordered by name when a name is given, else by PIN.",
		Tags:   []string{"citizens"},
		Errors: []int{http.StatusBadRequest},
	}, h.searchCitizens)
}

func (h *RegistryHandler) getCitizen(ctx context.Context, in *citizenInput) (*citizenOutput, error) {
	if p, _ := auth.FromContext(ctx); p.Kind == auth.KindClient {
		return h.getCitizenForClient(ctx, p, in)
	}
	asOf, err := parseDateParam("as_of", in.AsOf)
	if err != nil {
		return nil, err
	}
	rec, err := h.reg.Person(ctx, in.PIN, asOf)
	if err != nil {
		return nil, err
	}
	tag := registry.ETag(rec.Version)
	if in.IfNoneMatch != "" && etagListMatches(in.IfNoneMatch, tag) {
		return &citizenOutput{Status: http.StatusNotModified, ETag: tag}, nil
	}
	if err := h.recordAccess(ctx, "read", topLevelFields(rec.Person), in.PIN); err != nil {
		return nil, err
	}
	return &citizenOutput{Status: http.StatusOK, ETag: tag, Body: rec.Person}, nil
}

// getCitizenForClient hands an API client's read to the exchange, which
// filters the record by the client's grant and records the access.
func (h *RegistryHandler) getCitizenForClient(ctx context.Context, p auth.Principal, in *citizenInput) (*citizenOutput, error) {
	if h.clients == nil {
		return nil, huma.Error403Forbidden("API clients may not use this resource.")
	}
	if in.AsOf != "" {
		return nil, huma.Error400BadRequest("as_of is not available to API clients.")
	}
	purpose := in.Purpose
	if purpose == "" {
		purpose = in.PurposeHeader
	}
	body, err := h.clients.ReadCitizen(ctx, p, ClientRead{PIN: in.PIN, Purpose: purpose, CaseRef: in.CaseRef, Fields: in.Fields})
	if err != nil {
		return nil, err
	}
	return &citizenOutput{Status: http.StatusOK, Body: body}, nil
}

// etagListMatches reports whether an If-None-Match value lists tag, using
// the weak comparison RFC 9110 prescribes for If-None-Match.
func etagListMatches(list, tag string) bool {
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == tag {
			return true
		}
	}
	return false
}

func (h *RegistryHandler) citizenHistory(ctx context.Context, in *historyInput) (*historyOutput, error) {
	recs, err := h.reg.History(ctx, in.PIN)
	if err != nil {
		return nil, err
	}
	fields := []string{"history"}
	for _, r := range recs {
		fields = append(fields, topLevelFields(r.Person)...)
	}
	if err := h.recordAccess(ctx, "read", fields, in.PIN); err != nil {
		return nil, err
	}
	out := &historyOutput{Body: CitizenHistory{Items: make([]CitizenVersion, len(recs))}}
	for i, r := range recs {
		// A malformed stored date is shown as unknown rather than failing
		// the whole history.
		from, _ := registry.ParseDate(r.Change.ValidFrom)
		out.Body.Items[i] = CitizenVersion{
			Version: r.Version, EventID: r.Change.EventID, EventType: r.Change.EventType,
			Actor: r.Change.Actor, Reason: r.Change.Reason, ValidFrom: from,
			RecordedAt: r.Change.RecordedAt, Record: r.Person,
		}
	}
	return out, nil
}

func (h *RegistryHandler) searchCitizens(ctx context.Context, in *searchInput) (*searchOutput, error) {
	q := registry.Query{
		Name: in.Name, BirthYear: in.BirthYear, Sex: registry.Sex(in.Sex),
		Province: in.Province, Commune: in.Commune, Limit: in.Limit,
	}
	if q.Limit == 0 {
		q.Limit = DefaultSearchLimit
	}
	var err error
	if q.BirthDate, err = parseDateParam("dob", in.DOB); err != nil {
		return nil, err
	}
	if q.Cursor, err = DecodeCursor(h.auth, "cursor", in.Cursor); err != nil {
		return nil, err
	}
	recs, next, err := h.reg.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	page := CitizenPage{Items: make([]CitizenSummary, len(recs)), NextCursor: EncodeCursor(h.auth, next)}
	for i, r := range recs {
		p := r.Person
		s := CitizenSummary{
			PIN: p.PIN, FullName: p.FullName, BirthDate: p.BirthDate, Sex: p.Sex,
			HouseholdID: p.HouseholdID, State: p.Status.State, Version: r.Version,
		}
		if res := p.PermanentResidence; res != nil {
			s.Province, s.Commune = res.Province, res.Commune
		}
		page.Items[i] = s
	}
	pins := make([]string, len(page.Items))
	for i, s := range page.Items {
		pins[i] = s.PIN
	}
	if err := h.recordAccess(ctx, "read", searchFields, pins...); err != nil {
		return nil, err
	}
	return &searchOutput{Body: page}, nil
}

// searchFields are the fields a search result releases of each person.
var searchFields = []string{"pin", "full_name", "birth_date", "sex", "permanent_residence", "household_id", "status"}

// parseDateParam parses an optional date parameter, reporting a malformed
// one against its name.
func parseDateParam(field, s string) (registry.Date, error) {
	d, err := registry.ParseDate(s)
	if err != nil {
		return registry.Date{}, &registry.Error{Kind: registry.Invalid, Field: field, Reason: err.Error()}
	}
	return d, nil
}

package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Event list page sizes; the registry allows up to 1000.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
)

// LifeEvent is the body of POST /v1/events. It is registry.Event itself,
// as a distinct type only so that it can document itself in the OpenAPI
// document (which the registry package knows nothing about).
type LifeEvent registry.Event

// TransformSchema completes the schema huma derives from the struct: the id
// is optional (the registry generates one), the type is one of the
// registry's event types, and each field says what it is for.
func (LifeEvent) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	s.Required = slices.DeleteFunc(slices.Clone(s.Required), func(n string) bool { return n == "id" })
	docs := map[string]string{
		"id": "Idempotency key chosen by the client (1-128 of letters, digits, - _ . :). " +
			"Submitting the same event again returns the first result with 200; the same id with a different event is 409. Generated if absent.",
		"type":           "The kind of life event.",
		"subject":        "PIN of the person the event is about; absent for a birth registration, which allocates one.",
		"effective_date": "The date the event took effect (YYYY-MM-DD), not in the future.",
		"reason":         "The legal basis or the reference of the supporting document.",
		"data":           "The event's details; their fields depend on the type.",
	}
	for name, doc := range docs {
		if p := s.Properties[name]; p != nil {
			p.Description = doc
		}
	}
	if p := s.Properties["type"]; p != nil {
		for _, t := range registry.EventTypes() {
			p.Enum = append(p.Enum, t)
		}
	}
	if p := s.Properties["id"]; p != nil {
		p.Pattern = `^[A-Za-z0-9_.:-]{1,128}$`
	}
	if p := s.Properties["data"]; p != nil {
		p.Type = huma.TypeObject
	}
	return s
}

type submitInput struct {
	IfMatch string `header:"If-Match" doc:"The ETag of the subject's record as read: the event is refused with 412, and nothing written, if the record has changed since."`
	Body    LifeEvent
}

type submitOutput struct {
	Status   int
	Location string `header:"Location" doc:"The recorded event."`
	Body     *registry.Result
}

type listEventsInput struct {
	After int64  `query:"after" minimum:"0" doc:"Return events with seq greater than this: the next_after of the previous page."`
	Type  string `query:"type" doc:"Only events of this type."`
	PIN   string `query:"pin" pattern:"^[0-9]{12}$" doc:"Only events that changed this person's record."`
	Limit int    `query:"limit" default:"100" minimum:"1" maximum:"1000" doc:"Page size."`
}

// EventRecord is a life event as recorded: what was submitted, by whom,
// and what applying it wrote.
type EventRecord struct {
	Seq           int64            `json:"seq" doc:"Position in the order events were applied."`
	ID            string           `json:"id"`
	Type          string           `json:"type"`
	Subject       string           `json:"subject,omitempty"`
	EffectiveDate registry.Date    `json:"effective_date"`
	Reason        string           `json:"reason"`
	Data          json.RawMessage  `json:"data,omitempty"`
	Actor         string           `json:"actor" doc:"Who submitted the event: an account id."`
	RecordedAt    time.Time        `json:"recorded_at"`
	Subjects      []string         `json:"subjects" doc:"PINs of every person whose record the event changed, the main one first."`
	Result        *registry.Result `json:"result,omitempty"`
}

// EventPage is one page of the event list.
type EventPage struct {
	Items     []EventRecord `json:"items"`
	NextAfter int64         `json:"next_after,omitempty" doc:"Pass as after to get the next page; absent when this page is not full."`
}

type listEventsOutput struct {
	Body EventPage
}

type eventInput struct {
	ID string `path:"id" maxLength:"128" doc:"The event id."`
}

type eventOutput struct {
	Body EventRecord
}

func (h *RegistryHandler) mountEvents(api huma.API) {
	register(api, huma.Operation{
		OperationID:   "submit-event",
		Method:        http.MethodPost,
		Path:          "/v1/events",
		Summary:       "Submit a life event",
		Description:   "Validates the event and applies it in one transaction. Answers 201 with what it wrote, or 200 with the first result when the id was submitted before.",
		Tags:          []string{"events"},
		DefaultStatus: http.StatusCreated,
		Responses: map[string]*huma.Response{
			"200": {
				Description: "The event had been submitted before: its first result.",
				Content: map[string]*huma.MediaType{"application/json": {
					Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[registry.Result](), true, "Result"),
				}},
			},
			"409": {
				Description: "The event conflicts with the registry; a birth or initial registration whose person may already be on record lists the candidates.",
				Content: map[string]*huma.MediaType{ProblemContentType: {
					Schema: api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[DuplicatesProblem](), true, "DuplicatesProblem"),
				}},
			},
		},
		Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict,
			http.StatusPreconditionFailed, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity},
	}, h.submitEvent)
	register(api, huma.Operation{
		OperationID: "list-events",
		Method:      http.MethodGet,
		Path:        "/v1/events",
		Summary:     "List recorded events",
		Description: "Lists events in the order they were applied, optionally only one type or those that changed one person.",
		Tags:        []string{"events"},
		Errors:      []int{http.StatusBadRequest},
	}, h.listEvents)
	register(api, huma.Operation{
		OperationID: "get-event",
		Method:      http.MethodGet,
		Path:        "/v1/events/{id}",
		Summary:     "Get a recorded event",
		Tags:        []string{"events"},
		Errors:      []int{http.StatusNotFound},
	}, h.getEvent)
}

func (h *RegistryHandler) submitEvent(ctx context.Context, in *submitInput) (*submitOutput, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, errNoPrincipal
	}
	s := registry.Submission{Event: registry.Event(in.Body), Actor: p.ID}
	if in.IfMatch != "" {
		v, err := registry.ParseETag(in.IfMatch)
		if err != nil {
			return nil, err
		}
		s.IfMatch = v
	}
	res, err := h.reg.Submit(ctx, s)
	var re *registry.Error
	if errors.As(err, &re) && len(re.Duplicates) > 0 {
		return nil, h.duplicatesProblem(ctx, re)
	}
	if err != nil {
		return nil, err
	}
	// The write happened; what is recorded before answering is who made
	// it. A failure here answers 503 saying so (not "nothing was
	// changed"), and the client's retry with the same id is answered from
	// the first result, and recorded then.
	pins := make([]string, 0, len(res.People))
	for _, p := range res.People {
		pins = append(pins, p.ID)
	}
	if err := h.recordAccess(ctx, "write", eventFields(in.Body.Type, in.Body.Data), pins...); err != nil {
		return nil, AppliedUnrecordedProblem()
	}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
	}
	return &submitOutput{Status: status, Location: eventLocation(res.EventID), Body: res}, nil
}

// DuplicatesProblem is the 409 answer to a birth or initial registration
// whose person may already be on record: the people it may be, best
// first, with their match weight and the agreement of each field
// (levels, never values), so that the registrar checks them before
// confirming with confirm_not_duplicate and not_duplicate_reason.
type DuplicatesProblem struct {
	*Problem
	Candidates []registry.PossibleDuplicate `json:"candidates" doc:"People on record the new person may be, best first."`
	// Hidden counts the candidates the caller may not read.
	Hidden int `json:"hidden_candidates,omitempty" doc:"Candidates the caller may not see; a registrar with a wider view reviews them in the duplicate queue."`
}

// duplicatesProblem answers a registration refused as a likely duplicate.
// Only the bootstrap administrator reads every record through this API,
// so only it sees the candidates; every one shown is recorded in the
// access log as a read, like any other release of a PIN.
func (h *RegistryHandler) duplicatesProblem(ctx context.Context, re *registry.Error) error {
	p := &DuplicatesProblem{Problem: registryProblem(ctx, nil, re).(*Problem), Candidates: []registry.PossibleDuplicate{}}
	if pr, _ := auth.FromContext(ctx); pr.Kind == auth.Admin.Kind {
		p.Candidates = re.Duplicates
	} else {
		p.Hidden = len(re.Duplicates)
	}
	pins := make([]string, len(p.Candidates))
	for i, c := range p.Candidates {
		pins[i] = c.PIN
	}
	if err := h.recordAccess(ctx, "read", duplicateFields, pins...); err != nil {
		return err
	}
	return p
}

// duplicateFields is what a duplicates problem releases about each
// candidate: that they resemble the person being registered.
var duplicateFields = []string{"duplicate_candidate"}

// eventFields names what an event writes: its type and the top-level fields
// of its data.
func eventFields(typ string, data json.RawMessage) []string {
	fields := []string{"event." + typ}
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) == nil {
		for k := range m {
			fields = append(fields, k)
		}
	}
	return fields
}

func eventLocation(id string) string { return "/v1/events/" + url.PathEscape(id) }

func (h *RegistryHandler) listEvents(ctx context.Context, in *listEventsInput) (*listEventsOutput, error) {
	limit := in.Limit
	if limit == 0 {
		limit = DefaultEventLimit
	}
	rows, err := h.reg.Events(ctx, store.EventQuery{AfterSeq: in.After, Type: in.Type, Subject: in.PIN, Limit: limit})
	if err != nil {
		return nil, err
	}
	if err := h.recordAccess(ctx, "read", eventReadFields, eventSubjects(rows...)...); err != nil {
		return nil, err
	}
	page := EventPage{Items: make([]EventRecord, len(rows))}
	for i, row := range rows {
		if page.Items[i], err = eventRecord(row); err != nil {
			return nil, err
		}
	}
	if len(rows) == limit {
		page.NextAfter = rows[len(rows)-1].Seq
	}
	return &listEventsOutput{Body: page}, nil
}

func (h *RegistryHandler) getEvent(ctx context.Context, in *eventInput) (*eventOutput, error) {
	row, err := h.reg.Event(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if err := h.recordAccess(ctx, "read", eventReadFields, eventSubjects(row)...); err != nil {
		return nil, err
	}
	rec, err := eventRecord(row)
	if err != nil {
		return nil, err
	}
	return &eventOutput{Body: rec}, nil
}

// eventReadFields is what reading an event releases about its subjects: the
// event as submitted, which names them and may hold their data.
var eventReadFields = []string{"event"}

// eventSubjects lists, once each, the people the events are about.
func eventSubjects(rows ...store.EventRow) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rows {
		for _, p := range r.Subjects {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// eventRecord presents a stored event. Events loaded in bulk (the
// synthetic population) may carry no request or result.
func eventRecord(row store.EventRow) (EventRecord, error) {
	from, _ := registry.ParseDate(row.EffectiveDate)
	rec := EventRecord{
		Seq: row.Seq, ID: row.ID, Type: row.Type, EffectiveDate: from, Reason: row.Reason,
		Actor: row.Actor, RecordedAt: row.RecordedAt, Subjects: row.Subjects,
	}
	if rec.Subjects == nil {
		rec.Subjects = []string{}
	}
	if len(row.Request) > 0 {
		var ev registry.Event
		if err := json.Unmarshal(row.Request, &ev); err != nil {
			return EventRecord{}, fmt.Errorf("api: decode stored event %s: %w", row.ID, err)
		}
		rec.Subject, rec.Data = ev.Subject, ev.Data
	}
	if len(row.Result) > 0 {
		var res registry.Result
		if err := json.Unmarshal(row.Result, &res); err != nil {
			return EventRecord{}, fmt.Errorf("api: decode stored result %s: %w", row.ID, err)
		}
		res.Seq = row.Seq
		rec.Result = &res
	}
	return rec, nil
}

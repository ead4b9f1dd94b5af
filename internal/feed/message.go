package feed

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Event is one life event as an agency receives it: the registry's outbox
// message with the person filtered to the fields the agency's grant
// releases.
type Event struct {
	Seq           int64                      `json:"seq" doc:"The outbox position; increases in commit order."`
	EventID       string                     `json:"event_id"`
	EventType     string                     `json:"event_type"`
	EffectiveDate json.RawMessage            `json:"effective_date" doc:"The date the event took effect (ISO 8601, possibly partial)."`
	Version       int64                      `json:"version" doc:"The person's record version the event produced."`
	Person        map[string]json.RawMessage `json:"person" doc:"The released fields, with pin and status always."`
}

// outboxMessage is the registry's outbox document (registry commit).
type outboxMessage struct {
	EventID       string           `json:"event_id"`
	EventType     string           `json:"event_type"`
	EffectiveDate json.RawMessage  `json:"effective_date"`
	Version       int64            `json:"version"`
	Person        *registry.Person `json:"person"`
}

// policy is what one agency may receive under one purpose: the grant's
// event types (intersected with a subscription's, for webhooks) and fields.
type policy struct {
	agency  string
	purpose string
	types   []string
	fields  []string
	access  []string // the fields as the access log lists them

	sorted atomic.Pointer[[]string] // releasedSorted's answer
}

// newPolicy derives the policy of an agency's purpose from its grants, or
// nil when the agency holds no active grant for it. want, if not nil,
// narrows the event types further.
func newPolicy(grants []exchange.Grant, agency, purpose string, want []string) *policy {
	d := exchange.Evaluate(grants, exchange.Request{Agency: agency, Purpose: purpose})
	if !d.Allow {
		return nil
	}
	var types []string
	for _, t := range d.Grant.EventTypes {
		if want == nil || slices.Contains(want, t) {
			types = append(types, t)
		}
	}
	return &policy{agency: agency, purpose: purpose, types: types, fields: d.Fields, access: exchange.Released(d)}
}

// allows reports whether the policy releases an outbox row at all. It looks
// only at the row's columns, so that rows of other types cost no decoding.
func (p *policy) allows(row *store.OutboxRow) bool {
	return slices.Contains(p.types, row.EventType)
}

// event decodes an outbox row and filters its person to the policy.
func (p *policy) event(row *store.OutboxRow) (Event, error) {
	var m outboxMessage
	if err := json.Unmarshal(row.Data, &m); err != nil {
		return Event{}, fmt.Errorf("feed: outbox row %d: %w", row.Seq, err)
	}
	if m.Person == nil {
		return Event{}, fmt.Errorf("feed: outbox row %d has no person", row.Seq)
	}
	person, err := exchange.FilterPerson(m.Person, p.fields)
	if err != nil {
		return Event{}, fmt.Errorf("feed: outbox row %d: %w", row.Seq, err)
	}
	return Event{
		Seq: row.Seq, EventID: m.EventID, EventType: m.EventType,
		EffectiveDate: m.EffectiveDate, Version: m.Version, Person: person,
	}, nil
}

// webhookID is a message's webhook-id: the same on every attempt, so that
// receivers can drop duplicates (delivery is at-least-once).
func webhookID(seq int64) string { return "msg_" + strconv.FormatInt(seq, 10) }

// MessageID is the webhook-id header of the message of outbox seq, as a
// receiver sees it (the console names dead letters by it).
func MessageID(seq int64) string { return webhookID(seq) }

// webhookBody is the JSON a receiver gets, in the payload shape the
// Standard Webhooks specification recommends: type, timestamp, data.
func webhookBody(row *store.OutboxRow, ev Event) ([]byte, error) {
	return json.Marshal(struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
		Data      Event     `json:"data"`
	}{"person." + ev.EventType, row.CreatedAt.UTC(), ev})
}

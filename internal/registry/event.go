package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/store"
)

// Event is a life event as submitted: the only way to change the registry.
type Event struct {
	// ID is the client's idempotency key: submitting the same event twice
	// applies it once and answers with the first result. Generated if empty.
	ID   string `json:"id"`
	Type string `json:"type"`
	// Subject is the PIN of the person the event is about; a birth
	// registration has none (it allocates one).
	Subject       string `json:"subject,omitempty"`
	EffectiveDate Date   `json:"effective_date"`
	// Reason is the legal basis or the reference of the supporting document.
	Reason string          `json:"reason"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// Submission is an event with who submits it and, optionally, the version of
// the subject's record the submitter saw (from an ETag): if the record has
// changed since, the event is refused as Stale and nothing is written.
type Submission struct {
	Event   Event
	Actor   string
	IfMatch int64 // 0: no precondition
	// Authorize, if set, decides inside the event's transaction whether the
	// submitter may post it, given the units the event belongs to as read
	// there (see UnitRef), so that no concurrent move can slip between the
	// check and the write. An error refuses the event as Forbidden and
	// nothing is written. It may be called more than once, as the
	// transaction may be retried, and must keep no state.
	Authorize func(targets []UnitRef) error
	// Within, if set, runs inside the event's transaction once the event,
	// its records and its outbox rows are written, with the transaction and
	// the result: what it writes there (the dossier of an online service
	// whose approval applies the event) commits with the event or not at
	// all. An error from it aborts the event and is returned as is. Like
	// Authorize it may be called more than once and must keep no state. It
	// is not called for a replayed event, which writes nothing.
	Within func(ctx context.Context, tx store.Tx, res *Result) error
}

// UnitRef is an administrative unit (today's codes) an event belongs to,
// for Submission.Authorize. The targets of an event are alternatives, any
// of which places it: for a birth or initial registration, the registration
// place (of a birth) and the household joined or founded; for a permanent
// residence registration, the destination; for every other event, the
// subject's permanent residence before the event. An empty list means the
// event cannot be placed (a subject with no permanent residence).
type UnitRef struct {
	Province string
	Commune  string
}

// Result is what applying an event produced.
type Result struct {
	EventID    string       `json:"event_id"`
	Seq        int64        `json:"seq"`
	Type       string       `json:"type"`
	RecordedAt time.Time    `json:"recorded_at"`
	PIN        string       `json:"pin,omitempty"` // the number a birth registration allocated
	People     []VersionRef `json:"people"`
	Households []VersionRef `json:"households,omitempty"`
	Replayed   bool         `json:"-"` // the event had been applied before; this is its first result
}

// VersionRef names the version of a record an event wrote.
type VersionRef struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
}

// eventType describes one kind of life event.
type eventType struct {
	subject bool // the event needs a subject PIN
	apply   func(a *applier, data json.RawMessage) error
	// place returns the units the event belongs to once applied; nil means
	// the subject's permanent residence before it, which is checked before
	// apply so that a refused submitter learns nothing from its validation.
	place func(a *applier) []UnitRef
}

// eventTypes is the catalogue of life events, filled in by events_*.go.
var eventTypes = map[string]eventType{}

// KnownEventType reports whether t names a life event.
func KnownEventType(t string) bool { _, ok := eventTypes[t]; return ok }

// EventTypes returns the names of all life events, sorted.
func EventTypes() []string {
	out := make([]string, 0, len(eventTypes))
	for t := range eventTypes {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

const maxReason = 500

// Submit validates an event against the current registry and applies it in
// one transaction: new versions of every record it touches, the event, and an
// outbox row per person changed. A repeated event id returns the first result.
func (r *Registry) Submit(ctx context.Context, s Submission) (*Result, error) {
	ev := s.Event
	if err := r.checkEvent(&ev); err != nil {
		return nil, err
	}
	request, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("registry: encode event: %w", err)
	}
	if res, err := r.replay(ctx, ev.ID, s.Actor, request); res != nil || err != nil {
		return res, err
	}
	typ := eventTypes[ev.Type]
	if s.IfMatch != 0 && !typ.subject {
		return nil, invalid("If-Match", "this event type has no subject record to match")
	}
	var sc *screening
	if r.screen != nil && screenedTypes[ev.Type] {
		defer r.lockRegistration(ev.Data)()
		if sc, err = r.screenRegistration(ctx, s, &ev); err != nil {
			return nil, err
		}
	}
	var res *Result
	err = r.store.Update(ctx, func(tx store.Tx) error {
		now := r.now().UTC()
		a := &applier{ctx: ctx, tx: tx, ev: &ev, today: r.Today(), people: map[string]*loadedPerson{}, households: map[string]*loadedHousehold{}}
		if typ.subject {
			if _, err := a.person("subject", ev.Subject); err != nil {
				return err
			}
			if s.IfMatch != 0 && a.people[ev.Subject].version != s.IfMatch {
				return &Error{Kind: Stale, Field: "If-Match", Reason: "the record has changed since it was read"}
			}
			if a.subject().MergedInto != "" {
				return conflict("subject", "the record was merged into another; submit events for the record that carries on")
			}
		}
		if s.Authorize != nil && typ.place == nil {
			if err := authorize(s.Authorize, residenceUnits(a.subject().PermanentResidence)); err != nil {
				return err
			}
		}
		if err := typ.apply(a, ev.Data); err != nil {
			return err
		}
		if s.Authorize != nil && typ.place != nil {
			if err := authorize(s.Authorize, typ.place(a)); err != nil {
				return err
			}
		}
		res, err = a.commit(store.Change{
			EventID: ev.ID, EventType: ev.Type, Actor: s.Actor, Reason: ev.Reason,
			ValidFrom: ev.EffectiveDate.String(), RecordedAt: now,
		}, request)
		if err != nil || s.Within == nil {
			return err
		}
		return s.Within(ctx, tx, res)
	})
	if errors.Is(err, store.ErrExists) {
		// Another request with the same id committed between our check and our
		// write: answer as for any repeat.
		if res, rerr := r.replay(ctx, ev.ID, s.Actor, request); res != nil || rerr != nil {
			return res, rerr
		}
	}
	if err != nil {
		return nil, err
	}
	if sc != nil && len(sc.found) > 0 && !res.Replayed {
		// The submitter overruled the screen: the pairs still go to the
		// review queue, for a second pair of eyes.
		p := *sc.person
		p.PIN = res.PIN
		r.screen.Overruled(ctx, &p, sc.found)
	}
	return res, nil
}

// authorize asks the submission's hook about targets, turning a refusal
// into a Forbidden error that says nothing about the records.
func authorize(hook func([]UnitRef) error, targets []UnitRef) error {
	if err := hook(targets); err != nil {
		return &Error{Kind: Forbidden, Reason: "the event concerns people outside the submitter's administrative units"}
	}
	return nil
}

// residenceUnits places a residence; none places nothing.
func residenceUnits(r *Residence) []UnitRef {
	if r == nil {
		return nil
	}
	return []UnitRef{{Province: r.Province, Commune: r.Commune}}
}

// placeRegistration places a birth or initial registration: where a birth
// is registered (on today's units; an initial registration records an old
// province code there, which places nothing), and the household the new
// person joined or founded.
func placeRegistration(a *applier) []UnitRef {
	lp := a.people[a.newPIN]
	if lp == nil {
		return nil
	}
	var out []UnitRef
	if a.ev.Type == "birth_registration" {
		rp := lp.p.BirthRegistrationPlace
		out = append(out, UnitRef{Province: rp.Province, Commune: rp.Commune})
	}
	return append(out, residenceUnits(lp.p.PermanentResidence)...)
}

// placeMove places a permanent residence registration at its destination.
func placeMove(a *applier) []UnitRef { return residenceUnits(a.subject().PermanentResidence) }

// replay returns the stored result when the event id was used before.
// Only the actor who submitted the event gets its result again: another
// actor reusing the id learns nothing about it.
func (r *Registry) replay(ctx context.Context, id, actor string, request []byte) (*Result, error) {
	prev, err := r.store.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if prev.Actor != actor || !bytes.Equal(prev.Request, request) {
		return nil, conflict("id", "already used for a different event")
	}
	var res Result
	if err := json.Unmarshal(prev.Result, &res); err != nil {
		return nil, fmt.Errorf("registry: decode stored result: %w", err)
	}
	res.Seq, res.Replayed = prev.Seq, true
	return &res, nil
}

func (r *Registry) checkEvent(ev *Event) error {
	if ev.ID == "" {
		ev.ID = newID("E", 20)
	}
	if len(ev.ID) > 128 || strings.IndexFunc(ev.ID, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:", c))
	}) >= 0 {
		return invalid("id", "must be 1-128 characters of letters, digits and - _ . :")
	}
	typ, ok := eventTypes[ev.Type]
	if !ok {
		return invalid("type", "unknown event type; one of %s", strings.Join(EventTypes(), ", "))
	}
	if typ.subject {
		if ev.Subject == "" {
			return invalid("subject", "required for this event type")
		}
		if err := CheckPIN("subject", ev.Subject); err != nil {
			return err
		}
	} else if ev.Subject != "" {
		return invalid("subject", "must be empty for this event type")
	}
	if !ev.EffectiveDate.IsFull() {
		return invalid("effective_date", "required, as a full date YYYY-MM-DD")
	}
	if today := r.Today(); today.Before(ev.EffectiveDate) {
		return invalid("effective_date", "is in the future")
	}
	if ev.EffectiveDate.Year < 1900 {
		return invalid("effective_date", "before 1900")
	}
	ev.Reason = strings.TrimSpace(ev.Reason)
	if ev.Reason == "" {
		return invalid("reason", "required: the legal basis or document reference")
	}
	if utf8.RuneCountInString(ev.Reason) > maxReason || !utf8.ValidString(ev.Reason) {
		return invalid("reason", "must be valid UTF-8 of at most %d characters", maxReason)
	}
	if len(ev.Data) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, ev.Data); err != nil {
			return invalid("data", "not valid JSON")
		}
		ev.Data = buf.Bytes()
	}
	return nil
}

// decodeData decodes an event's data strictly: unknown fields are an error
// that names them, so a misspelt field is never silently ignored.
func decodeData(data json.RawMessage, v any) error {
	if len(data) == 0 {
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return invalid("data."+te.Field, "must be a %s", te.Type.Kind())
		case errors.As(err, &se):
			return invalid("data", "not valid JSON")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return invalid("data."+strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
		}
		// Text unmarshalers (dates) report their reason without the field.
		return invalid("data", "%v", err)
	}
	return nil
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a random identifier: prefix plus n base32 characters.
func newID(prefix string, n int) string {
	b := make([]byte, (n*5+7)/8)
	rand.Read(b)
	return prefix + idEncoding.EncodeToString(b)[:n]
}

// NewHouseholdID returns a fresh random household identifier.
func NewHouseholdID() string { return newID("H", 12) }

// applier holds the records one event reads and changes inside its
// transaction, so each is read once and written once at the end.
type applier struct {
	ctx        context.Context
	tx         store.Tx
	ev         *Event
	today      Date
	people     map[string]*loadedPerson
	order      []string
	households map[string]*loadedHousehold
	hhOrder    []string
	newPIN     string
	// notDuplicate: the registration declares the new person not on
	// record (confirm_not_duplicate), overruling the screen.
	notDuplicate bool
}

type loadedPerson struct {
	p       *Person
	version int64 // 0 for a person created by this event
	dirty   bool
}

type loadedHousehold struct {
	h       *Household
	version int64
	dirty   bool
}

// person loads a person by PIN, reporting a missing one against field.
func (a *applier) person(field, p string) (*Person, error) {
	if lp, ok := a.people[p]; ok {
		return lp.p, nil
	}
	if err := CheckPIN(field, p); err != nil {
		return nil, err
	}
	v, err := a.tx.Person(a.ctx, p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(field, "person")
	}
	if err != nil {
		return nil, err
	}
	rec, err := decodePerson(v.PersonRow)
	if err != nil {
		return nil, err
	}
	a.people[p] = &loadedPerson{p: rec, version: v.Version}
	a.order = append(a.order, p)
	return rec, nil
}

// subject returns the event's subject, loaded before apply runs.
func (a *applier) subject() *Person { return a.people[a.ev.Subject].p }

// touch marks a loaded person as changed by the event.
func (a *applier) touch(p *Person) { a.people[p.PIN].dirty = true }

// create adds a new person.
func (a *applier) create(p *Person) {
	a.people[p.PIN] = &loadedPerson{p: p, dirty: true}
	a.order = append(a.order, p.PIN)
}

func (a *applier) household(field, id string) (*Household, error) {
	if lh, ok := a.households[id]; ok {
		return lh.h, nil
	}
	v, err := a.tx.Household(a.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(field, "household")
	}
	if err != nil {
		return nil, err
	}
	h, err := decodeHousehold(v.HouseholdRow)
	if err != nil {
		return nil, err
	}
	a.households[id] = &loadedHousehold{h: h, version: v.Version}
	a.hhOrder = append(a.hhOrder, id)
	return h, nil
}

func (a *applier) touchHousehold(h *Household) { a.households[h.ID].dirty = true }

func (a *applier) createHousehold(h *Household) {
	a.households[h.ID] = &loadedHousehold{h: h, dirty: true}
	a.hhOrder = append(a.hhOrder, h.ID)
}

// commit writes every changed record, the event and the outbox rows.
func (a *applier) commit(change store.Change, request []byte) (*Result, error) {
	res := &Result{EventID: a.ev.ID, Type: a.ev.Type, RecordedAt: change.RecordedAt, PIN: a.newPIN}
	var subjects []string
	if a.ev.Subject != "" {
		subjects = append(subjects, a.ev.Subject)
	} else if a.newPIN != "" {
		subjects = append(subjects, a.newPIN)
	}
	for _, id := range a.hhOrder {
		lh := a.households[id]
		if !lh.dirty {
			continue
		}
		row, err := HouseholdRow(lh.h, lh.version+1)
		if err != nil {
			return nil, err
		}
		if err := a.tx.PutHousehold(a.ctx, store.HouseholdVersion{HouseholdRow: row, Change: change}); err != nil {
			return nil, wrapStore(err, "write household")
		}
		res.Households = append(res.Households, VersionRef{ID: id, Version: row.Version})
	}
	type message struct {
		EventID       string  `json:"event_id"`
		EventType     string  `json:"event_type"`
		EffectiveDate Date    `json:"effective_date"`
		Version       int64   `json:"version"`
		Person        *Person `json:"person"`
	}
	var outbox []store.OutboxRow
	for _, p := range a.order {
		lp := a.people[p]
		if !lp.dirty {
			continue
		}
		row, err := PersonRow(lp.p, lp.version+1)
		if err != nil {
			return nil, err
		}
		if err := a.tx.PutPerson(a.ctx, store.PersonVersion{PersonRow: row, Change: change}); err != nil {
			if errors.Is(err, store.ErrExists) && lp.version == 0 {
				// Two births drew the same random PIN at once: retry the
				// whole event with a fresh draw.
				return nil, fmt.Errorf("registry: allocate PIN: %w", store.ErrConflict)
			}
			return nil, wrapStore(err, "write person")
		}
		res.People = append(res.People, VersionRef{ID: p, Version: row.Version})
		if !slices.Contains(subjects, p) {
			subjects = append(subjects, p)
		}
		data, err := json.Marshal(message{a.ev.ID, a.ev.Type, a.ev.EffectiveDate, row.Version, lp.p})
		if err != nil {
			return nil, err
		}
		outbox = append(outbox, store.OutboxRow{EventID: a.ev.ID, EventType: a.ev.Type, PIN: p, Data: data})
	}
	if len(res.People) == 0 && len(res.Households) == 0 {
		return nil, conflict("data", "the event changes nothing")
	}
	// The result is stored before its Seq is known; replay fills it in from
	// the event row.
	resultJSON, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	seq, err := a.tx.PutEvent(a.ctx, store.EventRow{
		ID: a.ev.ID, Type: a.ev.Type, Actor: change.Actor, Reason: a.ev.Reason,
		EffectiveDate: change.ValidFrom, RecordedAt: change.RecordedAt,
		Subjects: subjects, Request: request, Result: resultJSON,
	})
	if err != nil {
		return nil, wrapStore(err, "record event")
	}
	res.Seq = seq
	for _, o := range outbox {
		if err := a.tx.AppendOutbox(a.ctx, o); err != nil {
			return nil, wrapStore(err, "append outbox")
		}
	}
	return res, nil
}

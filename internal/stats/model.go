package stats

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/registry"
)

// Person is one person's row in the analytics store: only what statistics
// need, under a keyed pseudonym instead of the PIN, with no name, address or
// document number.
type Person struct {
	ID        int64 // the pseudonym (Pseudonymizer.ID of the PIN)
	Version   int64 // the registry version this row was taken from
	Sex       string
	BirthYear int       // of the latest day the birth date can mean
	BirthMD   int       // month*100 + day of that day, for ages without date arithmetic
	Born      time.Time // that day: a partial date counts from its end, as registry.Date.AgeAt does
	Province  string    // of the permanent residence ("" if none)
	Commune   string
	// Left is the date of death or of being declared missing, zero while
	// the person is alive. A dead person with no recorded date has
	// LeftUnknown set and counts as gone on every date.
	Left        time.Time
	LeftUnknown bool
	// ChipSince is the issue date of the person's first chip ID card, zero
	// if none was issued.
	ChipSince time.Time
}

// Event is one life event that the monthly series count, for one person.
// (ID, Version) identifies it, so that an outbox message applied twice
// counts once.
type Event struct {
	ID        int64
	Version   int64
	Kind      string // EventBirth, EventDeath, EventMove
	Day       time.Time
	Sex       string
	BirthYear int
	BirthMD   int
	Province  string // where the person lived after the event
	Commune   string
}

// The kinds of Event.
const (
	EventBirth = "birth"
	EventDeath = "death"
	EventMove  = "move"
)

// eventKinds maps the registry's event types to the kinds the series count.
var eventKinds = map[string]string{
	"birth_registration":               EventBirth,
	"death":                            EventDeath,
	"permanent_residence_registration": EventMove,
}

// EventTypes are the registry event types that produce an Event.
var EventTypes = []string{"birth_registration", "death", "permanent_residence_registration"}

// Link says that a linked dataset holds a record about a person.
type Link struct {
	Dataset string
	ID      int64
}

// Pseudonymizer turns PINs into keyed pseudonyms: the first 8 bytes of
// HMAC-SHA256 under an instance key, so that nobody without the key can
// test whether a PIN is in the analytics store or its exports. Collisions
// are possible (about one chance in 3,700 that any two of 100 million
// people share one); a collision merges two people's rows.
type Pseudonymizer struct{ key []byte }

// NewPseudonymizer returns a Pseudonymizer under key (at least 16 bytes).
func NewPseudonymizer(key []byte) (*Pseudonymizer, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("stats: the pseudonym key must have at least 16 bytes")
	}
	return &Pseudonymizer{key: append([]byte(nil), key...)}, nil
}

// ID returns the pseudonym of pin.
func (p *Pseudonymizer) ID(pin string) int64 {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(pin))
	return int64(binary.BigEndian.Uint64(m.Sum(nil)))
}

// facts is the part of a person's document statistics read.
type facts struct {
	Status struct {
		State registry.LifeState `json:"state"`
		Date  registry.Date      `json:"date"`
	} `json:"status"`
	Documents []struct {
		IssueDate registry.Date `json:"issue_date"`
		Chip      bool          `json:"chip"`
	} `json:"documents"`
}

// row fills the fields every source of a person shares.
func row(id, version int64, sex, birth, province, commune, state string, f *facts) (Person, error) {
	p := Person{ID: id, Version: version, Sex: sex, Province: province, Commune: commune}
	if birth != "" {
		d, err := registry.ParseDate(birth)
		if err != nil {
			return Person{}, fmt.Errorf("stats: birth date: %w", err)
		}
		p.Born = d.Latest()
		p.BirthYear, p.BirthMD = p.Born.Year(), int(p.Born.Month())*100+p.Born.Day()
	}
	if state != string(registry.Alive) {
		if f.Status.Date.IsZero() {
			p.LeftUnknown = true
		} else {
			p.Left = f.Status.Date.Earliest()
		}
	}
	for _, d := range f.Documents {
		if d.Chip && !d.IssueDate.IsZero() {
			if t := d.IssueDate.Earliest(); p.ChipSince.IsZero() || t.Before(p.ChipSince) {
				p.ChipSince = t
			}
		}
	}
	return p, nil
}

// PersonFromRow derives a person's analytics row from a registry row and
// its document.
func (p *Pseudonymizer) PersonFromRow(pin string, version int64, birth, sex, province, commune, state string, data []byte) (Person, error) {
	var f facts
	if err := decodeFacts(data, &f); err != nil {
		return Person{}, fmt.Errorf("stats: person document: %w", err)
	}
	return row(p.ID(pin), version, sex, birth, province, commune, state, &f)
}

// Keys of the person document whose values decodeFacts reads. Inside a
// JSON string a quote is escaped, so these byte sequences occur only as
// keys: "status" followed by an object is the person's status (a
// document's status is a string), "documents" followed by an array the
// person's cards.
var (
	statusKey    = []byte(`"status":{`)
	documentsKey = []byte(`"documents":[`)
)

// decodeFacts reads the status and the documents of a person's document
// without decoding the rest (names, places, relatives): the rebuild reads
// every person, and decoding whole documents was two thirds of its time.
func decodeFacts(data []byte, f *facts) error {
	i := bytes.Index(data, statusKey)
	if i < 0 {
		return json.Unmarshal(data, f)
	}
	if err := json.NewDecoder(bytes.NewReader(data[i+len(statusKey)-1:])).Decode(&f.Status); err != nil {
		return err
	}
	if j := bytes.Index(data, documentsKey); j >= 0 {
		return json.NewDecoder(bytes.NewReader(data[j+len(documentsKey)-1:])).Decode(&f.Documents)
	}
	return nil
}

// outboxMessage is the registry's outbox document.
type outboxMessage struct {
	EventType     string          `json:"event_type"`
	EffectiveDate registry.Date   `json:"effective_date"`
	Version       int64           `json:"version"`
	Person        json.RawMessage `json:"person"`
}

// outboxPerson is the part of the outbox's person statistics read, besides facts.
type outboxPerson struct {
	facts
	BirthDate registry.Date `json:"birth_date"`
	Sex       string        `json:"sex"`
	Residence *struct {
		Province string `json:"province"`
		Commune  string `json:"commune"`
	} `json:"permanent_residence"`
}

// FromOutbox derives the person's new row and, for the event types the
// series count, the event, from one outbox message.
func (p *Pseudonymizer) FromOutbox(pin string, data []byte) (Person, *Event, error) {
	var m outboxMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return Person{}, nil, fmt.Errorf("stats: outbox message: %w", err)
	}
	var op outboxPerson
	if err := json.Unmarshal(m.Person, &op); err != nil || m.Person == nil {
		return Person{}, nil, fmt.Errorf("stats: outbox message has no person")
	}
	var prov, comm string
	if op.Residence != nil {
		prov, comm = op.Residence.Province, op.Residence.Commune
	}
	birth := ""
	if !op.BirthDate.IsZero() {
		birth = op.BirthDate.String()
	}
	per, err := row(p.ID(pin), m.Version, op.Sex, birth, prov, comm, string(op.Status.State), &op.facts)
	if err != nil {
		return Person{}, nil, err
	}
	ev := eventOf(per, m.EventType, string(op.Status.State), m.EffectiveDate.String())
	return per, ev, nil
}

// eventOf returns the Event a person version produced, or nil: a birth is
// counted for the child only (the parents' versions of a birth
// registration are not births), a death for a person it left dead, a move
// for everyone whose permanent residence the event registered.
func eventOf(p Person, eventType, state, effective string) *Event {
	kind, ok := eventKinds[eventType]
	if !ok || kind == EventBirth && p.Version != 1 || kind == EventDeath && state != string(registry.Dead) {
		return nil
	}
	d, err := registry.ParseDate(effective)
	if err != nil || d.IsZero() {
		return nil
	}
	return &Event{ID: p.ID, Version: p.Version, Kind: kind, Day: d.Earliest(), Sex: p.Sex,
		BirthYear: p.BirthYear, BirthMD: p.BirthMD, Province: p.Province, Commune: p.Commune}
}

// EventFromVersion derives the Event of a registry person version (read
// without its document), or nil.
func (p *Pseudonymizer) EventFromVersion(pin string, version int64, eventType, validFrom, birth, sex, province, commune, state string) *Event {
	per, err := row(p.ID(pin), version, sex, birth, province, commune, string(registry.Alive), &facts{})
	if err != nil {
		return nil
	}
	return eventOf(per, eventType, state, validFrom)
}

// EIDAccount is a citizen's electronic identification account as the
// analytics store keeps it: the person's pseudonym and the dates (in Viet
// Nam) the account was opened and raised to level 2 (zero if it is at
// level 1). Disabled accounts and organisations' accounts are not kept.
type EIDAccount struct {
	ID          int64
	Since       time.Time
	Level2Since time.Time
}

// Agency is a connected agency: its id, kind (ministry, bank...), whether
// it is active, and the day it was connected (in Viet Nam).
type Agency struct {
	ID     string
	Kind   string
	Active bool
	Since  time.Time
}

// Traffic is the number of access-log entries of one agency, day (in Viet
// Nam) and action (read, verify, feed...): the agencies' traffic in
// personal data, counted from the access log, which records every use of a
// person's data (and holds no PIN, only a pseudonym the count drops).
type Traffic struct {
	Agency string
	Day    time.Time
	Action string
	N      int64
}

// Sides are the tables the feeder reloads in full every refresh (and a
// rebuild loads): the linked datasets' links, the eID accounts and the
// connected agencies.
type Sides struct {
	Links    []Link
	EID      []EIDAccount
	Agencies []Agency
}

// vnDay is the day (in Viet Nam) of an instant, as a UTC midnight.
func vnDay(t time.Time) time.Time {
	t = t.In(registry.Vietnam)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

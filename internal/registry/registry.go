package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/vntext"
)

// Vietnam is the time zone in which the registry's dates are reckoned (UTC+7,
// no daylight saving), so that "today" is the same day for every officer.
var Vietnam = time.FixedZone("ICT", 7*60*60)

// Registry reads people and households and applies life events. It is safe
// for concurrent use; all state lives in the store.
type Registry struct {
	store  store.Registry
	now    func() time.Time
	screen Screen // nil: registrations are not checked for people on record
	// registering serialises, in this process, the screened registrations
	// of people born on the same date (by stripe) from their screen to
	// their commit (see lockRegistration).
	registering [64]sync.Mutex
}

// Option configures a Registry.
type Option func(*Registry)

// WithClock makes the registry read the time from now (tests use a fixed clock).
func WithClock(now func() time.Time) Option { return func(r *Registry) { r.now = now } }

// New returns a Registry over s.
func New(s store.Registry, opts ...Option) *Registry {
	r := &Registry{store: s, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Today returns the current date in Vietnam.
func (r *Registry) Today() Date { return DateOf(r.now().In(Vietnam)) }

// Record is a version of a person's record with what produced it.
type Record struct {
	Person  *Person
	Version int64
	Change  store.Change
}

// HouseholdRecord is a version of a household with what produced it.
type HouseholdRecord struct {
	Household *Household
	Version   int64
	Change    store.Change
}

// CheckPIN validates the form of a PIN and returns an Invalid error naming
// field if it is malformed, so that callers answer 400 before any lookup.
func CheckPIN(field, s string) error {
	if _, err := pin.Parse(s); err != nil {
		var pe *pin.Error
		if errors.As(err, &pe) {
			return invalid(field, "%s", pe.Reason)
		}
		return invalid(field, "not a valid personal identification number")
	}
	return nil
}

// Person returns the current record of a person, or the record as it was on
// asOf when asOf is not zero. A malformed PIN is Invalid; an unknown one, or a
// person with no record yet on asOf, is NotFound.
func (r *Registry) Person(ctx context.Context, p string, asOf Date) (*Record, error) {
	if err := CheckPIN("pin", p); err != nil {
		return nil, err
	}
	var v store.PersonVersion
	var err error
	if asOf.IsZero() {
		v, err = r.store.Person(ctx, p)
	} else {
		if !asOf.IsFull() {
			return nil, invalid("as_of", "must be a full date YYYY-MM-DD")
		}
		v, err = r.store.PersonAsOf(ctx, p, asOf.String())
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("pin", "person")
	}
	if err != nil {
		return nil, err
	}
	return toRecord(v)
}

func toRecord(v store.PersonVersion) (*Record, error) {
	p, err := decodePerson(v.PersonRow)
	if err != nil {
		return nil, err
	}
	return &Record{Person: p, Version: v.Version, Change: v.Change}, nil
}

// History returns every version of a person's record, oldest first.
func (r *Registry) History(ctx context.Context, p string) ([]*Record, error) {
	if err := CheckPIN("pin", p); err != nil {
		return nil, err
	}
	vs, err := r.store.PersonHistory(ctx, p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("pin", "person")
	}
	if err != nil {
		return nil, err
	}
	out := make([]*Record, len(vs))
	for i, v := range vs {
		if out[i], err = toRecord(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Household returns the current version of a household.
func (r *Registry) Household(ctx context.Context, id string) (*HouseholdRecord, error) {
	v, err := r.store.Household(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("id", "household")
	}
	if err != nil {
		return nil, err
	}
	h, err := decodeHousehold(v.HouseholdRow)
	if err != nil {
		return nil, err
	}
	return &HouseholdRecord{Household: h, Version: v.Version, Change: v.Change}, nil
}

// Query is a search for people on their current records.
type Query struct {
	Name      string // with or without diacritics; matches whole words from the start
	BirthDate Date   // exact, as recorded (a partial date matches the same partial date)
	BirthYear int
	Sex       Sex
	Province  string
	Commune   string
	Limit     int
	Cursor    Cursor
}

// Cursor marks where a search page ended; the zero Cursor starts at the beginning.
type Cursor struct {
	Key string
	PIN string
}

// MaxSearchLimit bounds one page of search results.
const MaxSearchLimit = 200

// Search returns up to q.Limit people matching q and the cursor of the next
// page (zero when there is none).
func (r *Registry) Search(ctx context.Context, q Query) ([]*Record, Cursor, error) {
	if q.Limit <= 0 || q.Limit > MaxSearchLimit {
		return nil, Cursor{}, invalid("limit", "must be between 1 and %d", MaxSearchLimit)
	}
	sq := store.PersonQuery{
		BirthDate: q.BirthDate.String(), BirthYear: q.BirthYear, Sex: string(q.Sex),
		Province: q.Province, Commune: q.Commune,
		AfterKey: q.Cursor.Key, AfterPIN: q.Cursor.PIN, Limit: q.Limit + 1,
	}
	if q.Name != "" {
		sq.NameKey = vntext.Key(q.Name)
		if strings.IndexFunc(sq.NameKey, unicode.IsLetter) < 0 {
			return nil, Cursor{}, invalid("name", "has no letters")
		}
		if vntext.HasDiacritics(q.Name) {
			sq.NameFold = vntext.Fold(q.Name)
		}
	}
	if sq.NameKey == "" && sq.BirthDate == "" && sq.BirthYear == 0 && sq.Province == "" && sq.Commune == "" {
		return nil, Cursor{}, invalid("name", "give a name, a date or year of birth, or a province or commune")
	}
	rows, err := r.store.SearchPersons(ctx, sq)
	if err != nil {
		return nil, Cursor{}, err
	}
	var next Cursor
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		last := rows[len(rows)-1]
		next = Cursor{PIN: last.PIN}
		if sq.NameKey != "" {
			next.Key = last.NameKey
		}
	}
	out := make([]*Record, len(rows))
	for i, row := range rows {
		p, err := decodePerson(row)
		if err != nil {
			return nil, Cursor{}, err
		}
		out[i] = &Record{Person: p, Version: row.Version}
	}
	return out, next, nil
}

// Count returns how many people are on record.
func (r *Registry) Count(ctx context.Context) (int64, error) { return r.store.CountPersons(ctx) }

// Events lists recorded events in the order they were applied.
func (r *Registry) Events(ctx context.Context, q store.EventQuery) ([]store.EventRow, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		return nil, invalid("limit", "must be between 1 and 1000")
	}
	if q.Subject != "" {
		if err := CheckPIN("pin", q.Subject); err != nil {
			return nil, err
		}
	}
	if q.Type != "" && !KnownEventType(q.Type) {
		return nil, invalid("type", "unknown event type")
	}
	return r.store.Events(ctx, q)
}

// Event returns one recorded event by id.
func (r *Registry) Event(ctx context.Context, id string) (store.EventRow, error) {
	e, err := r.store.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, notFound("id", "event")
	}
	return e, err
}

func wrapStore(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("registry: %s: %w", what, err)
}

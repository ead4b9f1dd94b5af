package registry

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/store"
)

// Screen looks for people already on record who may be the person a birth
// or initial registration is about to create, before it allocates a new
// PIN: the same child registered in two communes, or an adult registered
// again under a spelling of the name without diacritics. Package linkage
// implements it with its Fellegi–Sunter model; the registry only asks.
type Screen interface {
	// PossibleDuplicates returns the records on record that are likely
	// the same person as p (p carries a provisional PIN that is never its
	// own candidate), best first. An error refuses the registration: a
	// check that could not run is not a check that found nothing.
	PossibleDuplicates(ctx context.Context, p *Person) ([]PossibleDuplicate, error)
	// Overruled is told, once the registration of p committed, of the
	// candidates the submitter declared to be other people, so that a
	// registrar reviews the pairs later. It cannot undo the registration,
	// so it reports its own failures (a later batch finds the pairs again).
	Overruled(ctx context.Context, p *Person, found []PossibleDuplicate)
}

// PossibleDuplicate is a person on record who may be the person a
// registration is about to create.
type PossibleDuplicate struct {
	PIN string `json:"pin"`
	// Weight is the Fellegi–Sunter match weight in bits; Probability the
	// posterior probability of one person.
	Weight      float64 `json:"weight"`
	Probability float64 `json:"probability"`
	// Evidence is the agreement level and weight of each field compared
	// (package linkage's document): levels, never the values.
	Evidence json.RawMessage `json:"evidence,omitempty"`
	// Residence is the permanent residence of the person on record, so
	// that the caller shows the candidate only to a submitter allowed to
	// read records there. It is not part of any answer.
	Residence UnitRef `json:"-"`
}

// WithScreen makes the registry check every birth and initial
// registration with s before it allocates a PIN (see Submit).
func WithScreen(s Screen) Option { return func(r *Registry) { r.screen = s } }

// screenedTypes are the events that allocate a new PIN.
var screenedTypes = map[string]bool{"birth_registration": true, "initial_registration": true}

// screening is what the check of a registration found.
type screening struct {
	person    *Person
	found     []PossibleDuplicate
	confirmed bool // the submitter declared the person not on record
}

// lockRegistration takes the stripe of registrations of people born on the
// date a registration's data gives, and returns its unlock. Held from the
// screen to the commit, it makes two registrations of one person racing
// each other in this process take turns, so that the second's screen sees
// the first's record. Processes sharing a store do not share it: there two
// racing registrations can both pass, and the batch over the registry
// finds such pairs later (README, duplicate detection). Malformed data takes some
// stripe; validation refuses it anyway.
func (r *Registry) lockRegistration(data json.RawMessage) func() {
	var d struct {
		BirthDate string `json:"birth_date"`
	}
	_ = json.Unmarshal(data, &d)
	h := fnv.New32a()
	h.Write([]byte(d.BirthDate))
	m := &r.registering[h.Sum32()%uint32(len(r.registering))]
	m.Lock()
	return m.Unlock
}

// screenRegistration checks a registration for people already on record.
// It runs the event's validation and the submitter's authorisation first,
// on the store's committed state and outside any transaction (so that no
// writer waits on the search), so that a malformed or refused event gets
// the same answer as without a screen, and only a valid, allowed event is
// compared. The caller holds lockRegistration's stripe.
func (r *Registry) screenRegistration(ctx context.Context, s Submission, ev *Event) (*screening, error) {
	typ := eventTypes[ev.Type]
	a := &applier{ctx: ctx, tx: readOnlyTx{r.store}, ev: ev, today: r.Today(), people: map[string]*loadedPerson{}, households: map[string]*loadedHousehold{}}
	if err := typ.apply(a, ev.Data); err != nil {
		return nil, err
	}
	if s.Authorize != nil && typ.place != nil {
		if err := authorize(s.Authorize, typ.place(a)); err != nil {
			return nil, err
		}
	}
	lp := a.people[a.newPIN]
	if lp == nil {
		return nil, errors.New("registry: a registration created no person")
	}
	found, err := r.screen.PossibleDuplicates(ctx, lp.p)
	if err != nil {
		return nil, wrapStore(err, "check for people already on record")
	}
	sc := &screening{person: lp.p, found: found, confirmed: a.notDuplicate}
	if len(found) > 0 && !sc.confirmed {
		return nil, &Error{
			Kind: Conflict, Field: "data.confirm_not_duplicate",
			Reason: "the person may already be on record (see the candidates); if they are another person, " +
				"submit again with confirm_not_duplicate true and not_duplicate_reason",
			Duplicates: found,
		}
	}
	return sc, nil
}

// checkNotDuplicate validates a registration's declaration that the person
// is not on record: a reason is required with it, and only with it.
func checkNotDuplicate(confirm bool, reason string) error {
	switch {
	case confirm && reason == "":
		return invalid("data.not_duplicate_reason", "required with confirm_not_duplicate: why the candidates are other people")
	case !confirm && reason != "":
		return invalid("data.not_duplicate_reason", "only with confirm_not_duplicate true")
	case utf8.RuneCountInString(reason) > maxReason || !utf8.ValidString(reason):
		return invalid("data.not_duplicate_reason", "must be valid UTF-8 of at most %d characters", maxReason)
	}
	return nil
}

// errReadOnly is returned by readOnlyTx's writes, which a registration's
// validation never makes.
var errReadOnly = errors.New("registry: write while screening a registration")

// readOnlyTx runs an event's validation on the store's committed state:
// reads go to the store, writes fail.
type readOnlyTx struct{ st store.Registry }

var _ store.Tx = readOnlyTx{}

func (t readOnlyTx) Person(ctx context.Context, pin string) (store.PersonVersion, error) {
	return t.st.Person(ctx, pin)
}

func (t readOnlyTx) Household(ctx context.Context, id string) (store.HouseholdVersion, error) {
	return t.st.Household(ctx, id)
}

func (t readOnlyTx) Event(ctx context.Context, id string) (store.EventRow, error) {
	return t.st.Event(ctx, id)
}

// PersonExists approximates "ever used" by "on record": records are never
// deleted, and the real transaction checks again when it allocates.
func (t readOnlyTx) PersonExists(ctx context.Context, pin string) (bool, error) {
	_, err := t.st.Person(ctx, pin)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (readOnlyTx) PutPerson(context.Context, store.PersonVersion) error       { return errReadOnly }
func (readOnlyTx) PutHousehold(context.Context, store.HouseholdVersion) error { return errReadOnly }
func (readOnlyTx) PutEvent(context.Context, store.EventRow) (int64, error)    { return 0, errReadOnly }
func (readOnlyTx) AppendOutbox(context.Context, store.OutboxRow) error        { return errReadOnly }

func (readOnlyTx) Dossier(context.Context, string) (store.DossierRow, error) {
	return store.DossierRow{}, errReadOnly
}
func (readOnlyTx) PutDossier(context.Context, store.DossierRow) error       { return errReadOnly }
func (readOnlyTx) PutAttachment(context.Context, store.AttachmentRow) error { return errReadOnly }
func (readOnlyTx) Notify(context.Context, store.NotificationRow) error      { return errReadOnly }

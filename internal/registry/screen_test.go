package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/vntext"
)

// fakeScreen finds a fixed list of candidates for every registration and
// records what it was asked.
type fakeScreen struct {
	mu        sync.Mutex
	found     []registry.PossibleDuplicate
	err       error
	asked     []string // full names screened
	overruled []string // PINs of people registered over candidates
}

func (f *fakeScreen) PossibleDuplicates(_ context.Context, p *registry.Person) ([]registry.PossibleDuplicate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, p.FullName)
	return f.found, f.err
}

func (f *fakeScreen) Overruled(_ context.Context, p *registry.Person, found []registry.PossibleDuplicate) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.overruled = append(f.overruled, p.PIN)
}

func TestSubmit_Screen(t *testing.T) {
	w := newWorld(t)
	_, wife, hh := w.family()
	screen := &fakeScreen{found: []registry.PossibleDuplicate{{PIN: wife, Weight: 12.5, Probability: 0.99}}}
	w.reg = registry.New(w.store, registry.WithClock(func() time.Time { return today }), registry.WithScreen(screen))
	birth := func(extra obj) obj {
		d := obj{"full_name": "Nguyễn Văn Bé", "birth_date": "2026-01-05", "sex": "male", "ethnicity": "01",
			"registration_place": obj{"province": "01", "commune": "00004"}, "mother_pin": wife}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	count := func() int64 { n, _ := w.store.CountPersons(w.ctx); return n }
	before := count()

	// Malformed and refused events get their own answers; the screen is
	// not asked.
	_, err := w.try("birth_registration", "", "2026-02-01", birth(obj{"sex": "x"}))
	wantKind(t, err, registry.Invalid, "data.sex")
	raw, _ := json.Marshal(birth(nil))
	_, err = w.reg.Submit(w.ctx, registry.Submission{Actor: "registrar",
		Event:     registry.Event{Type: "birth_registration", EffectiveDate: registry.MustParseDate("2026-02-01"), Reason: "test", Data: raw},
		Authorize: func([]registry.UnitRef) error { return errors.New("outside") }})
	wantKind(t, err, registry.Forbidden, "")
	if len(screen.asked) != 0 {
		t.Fatalf("screen asked about %v for events refused before it", screen.asked)
	}

	// Candidates refuse the registration, and nothing is written.
	_, err = w.try("birth_registration", "", "2026-02-01", birth(nil))
	wantKind(t, err, registry.Conflict, "data.confirm_not_duplicate")
	var re *registry.Error
	if errors.As(err, &re); len(re.Duplicates) != 1 || re.Duplicates[0].PIN != wife {
		t.Fatalf("duplicates %+v, want the screen's", re.Duplicates)
	}
	if len(screen.asked) != 1 || screen.asked[0] != "Nguyễn Văn Bé" {
		t.Errorf("screened %v", screen.asked)
	}
	if count() != before || len(w.household(hh).Members) != 2 {
		t.Fatalf("a refused registration wrote")
	}

	// The declaration needs its reason, and a reason needs the declaration.
	_, err = w.try("birth_registration", "", "2026-02-01", birth(obj{"confirm_not_duplicate": true}))
	wantKind(t, err, registry.Invalid, "data.not_duplicate_reason")
	_, err = w.try("birth_registration", "", "2026-02-01", birth(obj{"not_duplicate_reason": "checked"}))
	wantKind(t, err, registry.Invalid, "data.not_duplicate_reason")

	// Declared, it goes ahead once, and the overruled pairs are reported
	// with the new PIN; a replay reports nothing again.
	confirmed := birth(obj{"confirm_not_duplicate": true, "not_duplicate_reason": "the candidate is the mother"})
	res, err := w.tryID("birth-1", "birth_registration", "", "2026-02-01", confirmed, 0)
	if err != nil {
		t.Fatalf("confirmed birth: %v", err)
	}
	if _, err := w.tryID("birth-1", "birth_registration", "", "2026-02-01", confirmed, 0); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if len(screen.overruled) != 1 || screen.overruled[0] != res.PIN {
		t.Errorf("overruled %v, want [%s]", screen.overruled, res.PIN)
	}
	if count() != before+1 {
		t.Errorf("people %d, want %d", count(), before+1)
	}

	// A screen that fails refuses: a check that could not run found nothing.
	screen.err = errors.New("store down")
	if _, err := w.try("birth_registration", "", "2026-02-01", birth(obj{"full_name": "Nguyễn Văn Út"})); err == nil || registry.KindOf(err) != 0 {
		t.Errorf("failing screen: %v, want a server error", err)
	}
	// Events that allocate no PIN are never screened.
	screen.asked = nil
	w.submit("id_card_issued", wife, "2026-02-01", obj{})
	if len(screen.asked) != 0 {
		t.Errorf("screened an id_card_issued event")
	}
}

// storeScreen finds, as the real screen would for an exact duplicate, the
// people on record with the same name key and date of birth.
type storeScreen struct{ w *world }

func (s storeScreen) PossibleDuplicates(ctx context.Context, p *registry.Person) ([]registry.PossibleDuplicate, error) {
	rows, err := s.w.store.SearchPersons(ctx, store.PersonQuery{NameKey: vntext.Key(p.FullName), BirthDate: p.BirthDate.String(), Limit: 10})
	if err != nil {
		return nil, err
	}
	var out []registry.PossibleDuplicate
	for _, r := range rows {
		if r.PIN != p.PIN {
			out = append(out, registry.PossibleDuplicate{PIN: r.PIN, Weight: 20, Probability: 1})
		}
	}
	return out, nil
}

func (storeScreen) Overruled(context.Context, *registry.Person, []registry.PossibleDuplicate) {}

// TestSubmit_ScreenRace submits the same child's birth under eight event
// ids at once: with the screen, exactly one is registered and the others
// are refused with it as their candidate, not registered twice.
func TestSubmit_ScreenRace(t *testing.T) {
	w := newWorld(t)
	_, wife, _ := w.family()
	w.reg = registry.New(w.store, registry.WithClock(func() time.Time { return today }), registry.WithScreen(storeScreen{w}))
	raw, _ := json.Marshal(obj{"full_name": "Nguyễn Văn Bé", "birth_date": "2026-01-05", "sex": "male", "ethnicity": "01",
		"registration_place": obj{"province": "01", "commune": "00004"}, "mother_pin": wife})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var registered, refused int
	for i := range 8 {
		wg.Go(func() {
			_, err := w.reg.Submit(w.ctx, registry.Submission{Actor: "registrar", Event: registry.Event{
				ID: fmt.Sprintf("race-%d", i), Type: "birth_registration",
				EffectiveDate: registry.MustParseDate("2026-02-01"), Reason: "test", Data: raw}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				registered++
			case registry.KindOf(err) == registry.Conflict:
				refused++
			default:
				t.Errorf("submission %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if registered != 1 || refused != 7 {
		t.Errorf("%d registered, %d refused as duplicates; want 1 and 7", registered, refused)
	}
}

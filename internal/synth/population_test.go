package synth

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// population is a generated run decoded back into records, for checks.
type population struct {
	opts       Options
	stats      Stats
	persons    map[string][]store.PersonVersion // every version, in order
	households map[string][]store.HouseholdVersion
	events     map[string]store.EventRow
	current    map[string]*registry.Person
	currentHH  map[string]*registry.Household
	batches    int
}

// generated runs the generator for o once per test binary and decodes the
// result, since several tests look at the same population.
var (
	popMu    sync.Mutex
	popCache = map[popKey]*population{}
)

func generated(t testing.TB, o Options) *population {
	t.Helper()
	popMu.Lock()
	defer popMu.Unlock()
	key := popKey{o.Citizens, o.Seed, o.Workers, o.Now.UnixNano()}
	if p, ok := popCache[key]; ok {
		return p
	}
	p := &population{
		opts:       o,
		persons:    map[string][]store.PersonVersion{},
		households: map[string][]store.HouseholdVersion{},
		events:     map[string]store.EventRow{},
		current:    map[string]*registry.Person{},
		currentHH:  map[string]*registry.Household{},
	}
	st, err := Batches(context.Background(), o, func(b store.Batch) error {
		p.batches++
		for _, v := range b.Persons {
			if _, dup := p.persons[v.PIN]; dup && v.Version == 1 {
				t.Errorf("PIN %s gets a version 1 twice", v.PIN)
			}
			p.persons[v.PIN] = append(p.persons[v.PIN], v)
		}
		for _, v := range b.Households {
			p.households[v.ID] = append(p.households[v.ID], v)
		}
		for _, e := range b.Events {
			if _, dup := p.events[e.ID]; dup {
				t.Errorf("event id %s used twice", e.ID)
			}
			p.events[e.ID] = e
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Batches: %v", err)
	}
	p.stats = st
	for pin, vs := range p.persons {
		var rec registry.Person
		if err := json.Unmarshal(vs[len(vs)-1].Data, &rec); err != nil {
			t.Fatalf("decode person: %v", err)
		}
		p.current[pin] = &rec
	}
	for id, vs := range p.households {
		var h registry.Household
		if err := json.Unmarshal(vs[len(vs)-1].Data, &h); err != nil {
			t.Fatalf("decode household: %v", err)
		}
		p.currentHH[id] = &h
	}
	popCache[key] = p
	return p
}

type popKey struct {
	citizens int
	seed     uint64
	workers  int
	now      int64
}

// sortedPINs returns the PINs in order, so that failures are reported in a
// stable order.
func (p *population) sortedPINs() []string {
	out := make([]string, 0, len(p.current))
	for k := range p.current {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

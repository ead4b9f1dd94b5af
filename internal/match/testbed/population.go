package testbed

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/synth"
)

// Population calls fn with the current version of every person of the
// synthetic population of n people drawn with seed (package synth, default
// date of today), in generation order, without a store. fn may keep the
// person. An error from fn stops the run and is returned.
func Population(ctx context.Context, n int, seed uint64, fn func(*registry.Person) error) error {
	_, err := synth.Batches(ctx, synth.Options{Citizens: n, Seed: seed}, func(b store.Batch) error {
		return CurrentPersons(b.Persons, fn)
	})
	return err
}

// CurrentPersons decodes the highest version of each person among rows
// (every version of a person is in the same batch) and calls fn with it,
// in the order of each person's first row.
func CurrentPersons(rows []store.PersonVersion, fn func(*registry.Person) error) error {
	latest := make(map[string]int, len(rows))
	var order []string
	for i, v := range rows {
		j, ok := latest[v.PIN]
		if !ok {
			order = append(order, v.PIN)
		}
		if !ok || v.Version > rows[j].Version {
			latest[v.PIN] = i
		}
	}
	for _, pin := range order {
		var p registry.Person
		if err := json.Unmarshal(rows[latest[pin]].Data, &p); err != nil {
			return fmt.Errorf("testbed: decode person record: %w", err)
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
	return nil
}

// People returns the synthetic population of n people drawn with seed, for
// tests of modest size (every record is held in memory).
func People(ctx context.Context, n int, seed uint64) ([]*registry.Person, error) {
	out := make([]*registry.Person, 0, n)
	err := Population(ctx, n, seed, func(p *registry.Person) error {
		out = append(out, p)
		return nil
	})
	return out, err
}

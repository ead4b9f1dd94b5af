package eid

import (
	"context"
	"errors"
	"fmt"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/registry"
)

// Child is a child under 14 shown under a parent's account.
type Child struct {
	PIN       string
	FullName  string
	BirthDate registry.Date
	Sex       registry.Sex
}

// Children returns the living children under 14 of a signed-in citizen,
// from the registry's family relations: the citizen's record names them,
// and each child's record must name the citizen as father or mother. Each
// child's record read is in the access log (read by the parent), so the
// child finds it in their tracker at 14.
func (s *Service) Children(ctx context.Context, c Citizen) ([]Child, error) {
	rec, err := s.people.Person(ctx, c.PIN, registry.Date{})
	if err != nil {
		return nil, fmt.Errorf("eid: read the registry: %w", err)
	}
	now := s.now().In(registry.Vietnam)
	var out []Child
	for _, rel := range rec.Person.Children {
		if rel.PIN == "" {
			continue
		}
		cr, err := s.people.Person(ctx, rel.PIN, registry.Date{})
		var re *registry.Error
		if errors.As(err, &re) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("eid: read the registry: %w", err)
		}
		ch := cr.Person
		isParent := ch.Father != nil && ch.Father.PIN == c.PIN || ch.Mother != nil && ch.Mother.PIN == c.PIN
		if !isParent || ch.Status.State != registry.Alive || ch.BirthDate.IsZero() || ch.BirthDate.AgeAt(now) >= MinAge {
			continue
		}
		if s.rec != nil {
			if err := s.rec.Record(ctx, audit.Access{
				ActorKind: "citizen", Actor: c.AccountID, Purpose: "parent", PIN: ch.PIN,
				Fields: []string{"full_name", "birth_date", "sex"}, Action: "read",
			}); err != nil {
				return nil, fmt.Errorf("eid: record in the access log: %w", err)
			}
		}
		out = append(out, Child{PIN: ch.PIN, FullName: ch.FullName, BirthDate: ch.BirthDate, Sex: ch.Sex})
	}
	return out, nil
}

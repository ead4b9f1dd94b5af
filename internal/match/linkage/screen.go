package linkage

import (
	"context"
	"log/slog"

	"github.com/dancu/dancu/internal/registry"
)

// Screen is the registry's check of a birth or initial registration for
// people already on record (registry.Screen), with Service.Candidates at
// the review queue's threshold: a registration whose new person has a
// candidate of probability 0.5 or more is refused until the submitter
// declares them other people, and the pairs so overruled go to the review
// queue with source "registration".
type Screen struct {
	svc *Service
	log *slog.Logger
}

var _ registry.Screen = (*Screen)(nil)

// NewScreen returns the screen over svc; log receives the failures to
// queue an overruled pair (never a PIN).
func NewScreen(svc *Service, log *slog.Logger) *Screen { return &Screen{svc: svc, log: log} }

// PossibleDuplicates implements registry.Screen.
func (s *Screen) PossibleDuplicates(ctx context.Context, p *registry.Person) ([]registry.PossibleDuplicate, error) {
	cs, err := s.svc.Candidates(ctx, p, 0)
	if err != nil {
		return nil, err
	}
	return possibleDuplicates(cs)
}

// Overruled implements registry.Screen: the pairs go to the review queue.
func (s *Screen) Overruled(ctx context.Context, p *registry.Person, found []registry.PossibleDuplicate) {
	if _, err := s.svc.queue(ctx, p.PIN, found); err != nil {
		s.log.ErrorContext(ctx, "overruled duplicate candidates not queued; the next batch finds them again", "pairs", len(found), "error", err)
	}
}

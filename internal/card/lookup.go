package card

import (
	"context"
	"errors"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/exchange"
)

// FieldDocuments is the registry field a grant must release for an agency
// to look up card status: a card's status is part of the person's
// identity documents.
const FieldDocuments = "documents"

// PurposeAdministration is the purpose recorded for administrators'
// reads and writes of cards.
const PurposeAdministration = "card.administration"

// Errors of lookups, mapped to HTTP statuses by the handlers.
var (
	ErrForbidden   = errors.New("card: not allowed")
	ErrNoPurpose   = errors.New("card: a purpose is required")
	ErrUnavailable = errors.New("card: the access could not be recorded")
)

// StatusAnswer is what an agency learns from a card-status lookup: whether
// the card it was shown is the person's card in force.
type StatusAnswer struct {
	PIN       string `json:"pin"`
	Seq       int64  `json:"seq"`
	Status    string `json:"status" enum:"valid,expired,lost,revoked,replaced"`
	IssueDate string `json:"issue_date"`
	Expiry    string `json:"expiry,omitempty"`
}

// Decide says whether principal p may look up card status for purpose:
// administrators may; an agency's client may where its active grant for
// the purpose releases the documents field. Deny by default.
func (s *Service) Decide(ctx context.Context, p auth.Principal, purpose string) error {
	if p.Kind == auth.Admin.Kind {
		return nil
	}
	if p.Kind != auth.KindClient || p.Agency == "" || s.ex == nil {
		return ErrForbidden
	}
	if purpose == "" {
		return ErrNoPurpose
	}
	grants, err := s.ex.Grants(ctx, p.Agency)
	if err != nil {
		return err
	}
	d := exchange.Evaluate(grants, exchange.Request{Agency: p.Agency, Purpose: purpose, Fields: []string{FieldDocuments}})
	if !d.Allow {
		return ErrForbidden
	}
	return nil
}

// Record writes an access-log entry of p's use of a person's card data,
// and returns once it is durable (ErrUnavailable otherwise).
func (s *Service) Record(ctx context.Context, p auth.Principal, purpose, caseRef, requestID, pin, action string, fields ...string) error {
	if s.rec == nil {
		return ErrUnavailable
	}
	if p.Kind != auth.KindClient {
		purpose = PurposeAdministration
	}
	if len(fields) == 0 {
		fields = []string{FieldDocuments}
	}
	err := s.rec.Record(ctx, audit.Access{
		ActorKind: p.Kind, Actor: p.ID, Agency: p.Agency, Purpose: purpose, CaseRef: caseRef,
		PIN: pin, Fields: fields, Action: action, RequestID: requestID,
	})
	if err != nil {
		s.log.ErrorContext(ctx, "card: access log refused a record", "request_id", requestID, "error", err)
		return ErrUnavailable
	}
	return nil
}

// LookupStatus answers an agency's (or an administrator's) card-status
// lookup: the status of the person's card seq (0: the latest), after the
// grant check and with the access recorded before the answer.
func (s *Service) LookupStatus(ctx context.Context, p auth.Principal, purpose, caseRef, requestID, pin string, seq int64) (*StatusAnswer, error) {
	if err := s.Decide(ctx, p, purpose); err != nil {
		return nil, err
	}
	cs, err := s.Cards(ctx, pin)
	if err != nil {
		return nil, err
	}
	var c *Card
	for i := len(cs) - 1; i >= 0; i-- {
		if seq == 0 || cs[i].Seq == seq {
			c = &cs[i]
			break
		}
	}
	if c == nil {
		return nil, ErrNoCard
	}
	if err := s.Record(ctx, p, purpose, caseRef, requestID, pin, "read"); err != nil {
		return nil, err
	}
	return &StatusAnswer{PIN: c.PIN, Seq: c.Seq, Status: c.Status, IssueDate: c.IssueDate, Expiry: c.Expiry}, nil
}

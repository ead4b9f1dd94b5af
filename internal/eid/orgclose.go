package eid

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/registry"
)

// Who closed an organisation's account.
const (
	ClosedByOfficer        = "officer"
	ClosedByRepresentative = "representative"
)

// Closure records the closing of an organisation's account: when, by
// whom, and why (for an officer, the document: the decision to dissolve
// the organisation, the business registry's notice, the representative's
// written request).
type Closure struct {
	At      time.Time `json:"at"`
	By      string    `json:"by"`
	Officer string    `json:"officer,omitempty"`
	Station string    `json:"station,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

// OfficerClosure is an officer's request to close an organisation's
// account, on a document.
type OfficerClosure struct {
	Officer   string // the staff account id
	Station   string
	RequestID string
	TaxCode   string
	Document  string
	// Authorize, if set, decides whether the officer may act on the
	// organisation, from its representative's record (their residences
	// against the officer's scope), before anything is recorded or
	// changed.
	Authorize func(p *registry.Person) error
}

// CloseOrganisation closes an organisation's account at its current legal
// representative's request, from the portal; reason is optional. See
// closeOrganisation for what closing does. The representative's own act is
// an event of both accounts; it is not an access by someone else, so it is
// not in the access log.
func (s *Service) CloseOrganisation(ctx context.Context, c Citizen, orgID, reason string, cl Client) (*Account, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 200 || !utf8.ValidString(reason) {
		return nil, &InputError{"reason", "up to 200 characters"}
	}
	org, err := s.Represented(ctx, orgID, c.AccountID)
	if err != nil {
		return nil, err
	}
	return s.closeOrganisation(ctx, org, Closure{By: ClosedByRepresentative, Reason: reason},
		Event{Detail: org.Organisation.TaxCode, Device: cl.device(), Address: cl.maskedAddress()})
}

// CloseOrganisationByOfficer closes an organisation's account on an
// officer's decision, with the document that justifies it. The officer's
// read of the representative's account is in the access log (so that the
// representative sees in their data tracker who closed it), written before
// anything changes; the officer's scope is checked on the representative's
// record.
func (s *Service) CloseOrganisationByOfficer(ctx context.Context, oc OfficerClosure) (*Account, error) {
	tc, ok := NormalizeTaxCode(oc.TaxCode)
	if !ok {
		return nil, &InputError{"tax_code", "must be 10 digits, or 10 digits, a hyphen and 3 digits"}
	}
	doc := strings.TrimSpace(oc.Document)
	if doc == "" || utf8.RuneCountInString(doc) > 200 || !utf8.ValidString(doc) {
		return nil, &InputError{"document", "is required: the document of the closing, up to 200 characters"}
	}
	org, err := s.Account(ctx, "O"+strings.ReplaceAll(tc, "-", ""))
	if err != nil {
		return nil, err
	}
	if org.Kind != KindOrganisation {
		return nil, ErrNotFound
	}
	if org.Closed != nil {
		// Already closed: what relying parties hold is revoked again, for
		// the case where the first closing could not (the error said to
		// repeat it).
		if err := s.revokeClosed(ctx, org); err != nil {
			return nil, err
		}
		return org, ErrClosed
	}
	if org.Representative == "" {
		return nil, ErrNotFound
	}
	rep, err := s.Account(ctx, org.Representative)
	if err != nil {
		return nil, err
	}
	ck := Check{Officer: oc.Officer, Station: oc.Station, PIN: rep.PIN, RequestID: oc.RequestID, Authorize: oc.Authorize}
	if _, err := s.officerRead(ctx, ck, "eid_org_close", "write", []string{"eid_account"}); err != nil {
		return nil, err
	}
	return s.closeOrganisation(ctx, org, Closure{By: ClosedByOfficer, Officer: oc.Officer, Station: oc.Station, Reason: doc},
		Event{Detail: tc, Officer: oc.Officer, Station: oc.Station})
}

// closeOrganisation closes org: the account is disabled and marked closed,
// which ends acting for it at once (Represented and the provider's list of
// organisations skip it, and a refresh of its tokens re-checks that);
// every consent and token relying parties hold for it is revoked, and every
// session of the account ends. The change is an event of the organisation
// and of its representative (repEvent).
func (s *Service) closeOrganisation(ctx context.Context, org *Account, cl Closure, repEvent Event) (*Account, error) {
	now := s.now().UTC()
	cl.At = now
	var rep string
	org, err := s.update(ctx, org.ID, func(a *Account) error {
		if a.Closed != nil {
			return ErrClosed
		}
		rep = a.Representative
		c := cl
		a.Closed, a.Disabled = &c, true
		a.SessionsNotBefore = now.Add(time.Nanosecond)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// After the change, so that nothing obtained in between survives.
	if err := s.revokeClosed(ctx, org); err != nil {
		return nil, err
	}
	s.event(ctx, org.ID, EventOrganisationClosed, Event{Officer: cl.Officer, Station: cl.Station, Detail: cl.Reason})
	if rep != "" {
		s.event(ctx, rep, EventOrganisationClosed, repEvent)
	}
	s.log.InfoContext(ctx, "eid: organisation closed", "account", org.ID, "by", cl.By, "officer", cl.Officer)
	return org, nil
}

// revokeClosed ends the sessions of a closed organisation's account and
// what relying parties hold for it.
func (s *Service) revokeClosed(ctx context.Context, org *Account) error {
	if _, err := s.st.RevokeEIDSessions(ctx, org.ID, "", s.now().UTC()); err != nil {
		return fmt.Errorf("eid: the organisation's account is closed, but its sessions were not revoked (an officer closing it again revokes them): %w", err)
	}
	if s.grants != nil {
		if err := s.grants.RevokeAccount(ctx, org.ID); err != nil {
			return fmt.Errorf("eid: the organisation's account is closed, but its grants to relying parties were not revoked (an officer closing it again revokes them): %w", err)
		}
	}
	return nil
}

package eid

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/store"
)

// NormalizeTaxCode returns an enterprise or organisation tax code in its
// written form: 10 digits, or 10 digits, a hyphen and 3 digits for a
// dependent unit. ok is false for anything else.
func NormalizeTaxCode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	main, branch, hasBranch := strings.Cut(s, "-")
	digits := func(x string, n int) bool {
		if len(x) != n {
			return false
		}
		for _, r := range x {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	if !digits(main, 10) || hasBranch && !digits(branch, 3) {
		return "", false
	}
	return s, true
}

// taxCodeWeights weigh the first nine digits of a tax code for its check
// digit, the tenth: 10 - (weighted sum mod 11). A sum that leaves 0 would
// need a check digit of 10, so such numbers are never issued. This is the
// rule python-stdnum's vn.mst implements; it holds for all 161 published
// codes of its test file and for well-known enterprises' codes (tests).
var taxCodeWeights = [9]int{31, 29, 23, 19, 17, 13, 7, 5, 3}

// CheckTaxCode returns a tax code in its written form (NormalizeTaxCode)
// after checking what can be checked offline: the check digit, a serial
// number (digits 3 to 9) other than zero, and a dependent unit's number
// other than 000. It catches typing mistakes, not codes that were never
// issued or were closed: only the tax authority's register knows those,
// and dancu runs without the internet. The InputError names the field
// "tax_code" for the form, "tax_code_check" for the other checks.
func CheckTaxCode(s string) (string, error) {
	tc, ok := NormalizeTaxCode(s)
	if !ok {
		return "", &InputError{"tax_code", "must be 10 digits, or 10 digits, a hyphen and 3 digits"}
	}
	sum := 0
	for i, w := range taxCodeWeights {
		sum += w * int(tc[i]-'0')
	}
	if want := 10 - sum%11; want == 10 || int(tc[9]-'0') != want || tc[2:9] == "0000000" || strings.HasSuffix(tc, "-000") {
		return "", &InputError{"tax_code_check", "is not a valid tax code: its check digit (the tenth) does not match the first nine, or its serial or unit number is zero"}
	}
	return tc, nil
}

// RegisterOrganisation creates an organisation's account, registered by its
// legal representative from their level-2 account (Decree 69/2024). The
// account's id is derived from the tax code, so an organisation has one
// account.
func (s *Service) RegisterOrganisation(ctx context.Context, c Citizen, name, taxCode string, cl Client) (*Account, error) {
	rep, err := s.Account(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	if rep.Level < Level2 || rep.Kind != KindCitizen {
		return nil, ErrLevel
	}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) < 2 || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		return nil, &InputError{"name", "is required, 2 to 200 characters"}
	}
	tc, err := CheckTaxCode(taxCode)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a := &Account{
		ID: "O" + strings.ReplaceAll(tc, "-", ""), Kind: KindOrganisation, Level: Level2,
		Organisation: &Organisation{Name: name, TaxCode: tc}, Representative: rep.ID,
		CreatedAt: now, version: 1,
	}
	row, err := a.row()
	if err != nil {
		return nil, err
	}
	if err := s.st.CreateEIDAccount(ctx, row); errors.Is(err, store.ErrExists) {
		// A closed organisation's tax code is not registered again: its
		// history stays with the closed account.
		if old, err := s.Account(ctx, a.ID); err == nil && old.Closed != nil {
			return nil, ErrClosed
		}
		return nil, ErrExists
	} else if err != nil {
		return nil, fmt.Errorf("eid: create organisation account: %w", err)
	}
	s.event(ctx, a.ID, EventCreated, Event{Level: Level2, Detail: tc})
	s.event(ctx, rep.ID, EventOrganisation, Event{Detail: tc, Device: cl.device(), Address: cl.maskedAddress()})
	return a, nil
}

// Organisations lists the organisations' accounts a citizen registered as
// their legal representative.
func (s *Service) Organisations(ctx context.Context, accountID string) ([]*Account, error) {
	rows, err := s.st.EIDAccountsByParent(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("eid: organisations: %w", err)
	}
	out := make([]*Account, 0, len(rows))
	for _, r := range rows {
		a, err := decodeAccount(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Represented returns an organisation's account for its current legal
// representative: ErrNotFound when there is no such organisation, it is
// disabled, or representativeID is not (or no longer) its representative.
// Acting for an organisation is checked with it at every sign-in as the
// organisation, so that a representative replaced by an officer cannot.
func (s *Service) Represented(ctx context.Context, orgID, representativeID string) (*Account, error) {
	a, err := s.Account(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if a.Kind != KindOrganisation || a.Disabled || a.Representative == "" || a.Representative != representativeID {
		return nil, ErrNotFound
	}
	return a, nil
}

// Grants ends what relying parties hold for an account: its consents and
// tokens. Package oidc's provider implements it; HandOver calls it so that
// the former representative's grants to act for the organisation end at
// once.
type Grants interface {
	RevokeAccount(ctx context.Context, accountID string) error
}

// Handover is an officer's record of a change of an organisation's legal
// representative, checked in person: Check names the new representative
// (their PIN and chip card, read at the counter), Document the paper that
// proves the change (a decision, the business registration's amendment).
type Handover struct {
	Check
	TaxCode  string
	Document string
}

// HandOver makes another citizen the legal representative of an
// organisation's account, after an officer checked them in person with
// their chip card and the document of the change. The new representative
// needs a level-2 account. The former one loses the organisation at once:
// it leaves their list, signing in as the organisation is refused, and
// every consent and token relying parties hold for the organisation is
// revoked (the new representative agrees again). The officer's read of the
// new representative's record is in the access log; the change is an
// event of the organisation and of both representatives.
func (s *Service) HandOver(ctx context.Context, h Handover) (*Account, error) {
	tc, ok := NormalizeTaxCode(h.TaxCode)
	if !ok {
		return nil, &InputError{"tax_code", "must be 10 digits, or 10 digits, a hyphen and 3 digits"}
	}
	doc := strings.TrimSpace(h.Document)
	if doc == "" || utf8.RuneCountInString(doc) > 200 || !utf8.ValidString(doc) {
		return nil, &InputError{"document", "is required: the document of the change, up to 200 characters"}
	}
	orgID := "O" + strings.ReplaceAll(tc, "-", "")
	org, err := s.Account(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if org.Kind != KindOrganisation {
		return nil, ErrNotFound
	}
	if org.Closed != nil {
		return nil, ErrClosed
	}
	next, err := s.AccountByPIN(ctx, h.PIN)
	if err != nil {
		return nil, err
	}
	if _, err := s.verifyCard(ctx, h.Check, "eid_org_handover"); err != nil {
		return nil, err
	}
	if next.Kind != KindCitizen || next.Disabled || next.Level < Level2 {
		return nil, ErrLevel
	}
	var former string
	org, err = s.update(ctx, orgID, func(a *Account) error {
		if a.Closed != nil {
			return ErrClosed
		}
		former = a.Representative
		a.Representative = next.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Revoked after the change, so that nothing the former representative
	// obtains in between survives; an officer repeating a failed handover
	// revokes again.
	if s.grants != nil {
		if err := s.grants.RevokeAccount(ctx, orgID); err != nil {
			return nil, fmt.Errorf("eid: the representative changed, but the organisation's grants to relying parties were not revoked (repeat the handover): %w", err)
		}
	}
	by := Event{Officer: h.Officer, Station: h.Station, Detail: tc}
	if former != next.ID {
		s.event(ctx, orgID, EventRepresentativeChanged, Event{Officer: h.Officer, Station: h.Station, Detail: doc})
		if former != "" {
			s.event(ctx, former, EventOrganisationHandedOver, by)
		}
		s.event(ctx, next.ID, EventOrganisationReceived, by)
	}
	s.log.InfoContext(ctx, "eid: organisation handed over", "account", orgID, "officer", h.Officer)
	return org, nil
}

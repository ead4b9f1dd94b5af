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
	tc, ok := NormalizeTaxCode(taxCode)
	if !ok {
		return nil, &InputError{"tax_code", "must be 10 digits, or 10 digits, a hyphen and 3 digits"}
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

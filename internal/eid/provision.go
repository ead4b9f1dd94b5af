package eid

import (
	"context"
	"errors"
	"fmt"

	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/sms"
	"github.com/dancu/dancu/internal/store"
)

// Provisioned is an account made by Provision, with its TOTP secret.
type Provisioned struct {
	Account    *Account
	TOTPSecret string
}

// Provision creates a citizen's account directly, at the given level, with
// a password and an enrolled authenticator: for serve --demo, which prints
// a demo citizen's sign-in. The person must be a living adult of 14 or over
// on record; the account is created as an officer's in-person check would
// leave it, by actor.
func (s *Service) Provision(ctx context.Context, pin, password string, level int, actor string) (Provisioned, error) {
	if level != Level1 && level != Level2 {
		return Provisioned{}, &InputError{"level", "must be 1 or 2"}
	}
	if err := checkPassword(password); err != nil {
		return Provisioned{}, err
	}
	rec, err := s.people.Person(ctx, pin, registry.Date{})
	var re *registry.Error
	if errors.As(err, &re) {
		return Provisioned{}, ErrNotFound
	}
	if err != nil {
		return Provisioned{}, fmt.Errorf("eid: read the registry: %w", err)
	}
	p := rec.Person
	if p.Status.State != registry.Alive || p.BirthDate.AgeAt(s.now().In(registry.Vietnam)) < MinAge {
		return Provisioned{}, ErrCheck
	}
	phone, _ := sms.NormalizePhone(p.Phone)
	now := s.now().UTC()
	secret := credential.NewTOTPSecret()
	a := &Account{
		ID: newID("A"), Kind: KindCitizen, PIN: pin, Level: level, Phone: phone,
		PasswordHash: credential.HashPassword(password, s.cfg.Params), TOTPSecret: secret,
		CreatedAt: now, PasswordChangedAt: now, version: 1,
	}
	if level == Level2 {
		a.LevelCheck = &InPersonCheck{Officer: actor, At: now, Purpose: "level2"}
	}
	row, err := a.row()
	if err != nil {
		return Provisioned{}, err
	}
	if err := s.st.CreateEIDAccount(ctx, row); errors.Is(err, store.ErrExists) {
		return Provisioned{}, ErrExists
	} else if err != nil {
		return Provisioned{}, fmt.Errorf("eid: create account: %w", err)
	}
	s.event(ctx, a.ID, EventCreated, Event{Level: Level1, Officer: actor})
	if level == Level2 {
		s.event(ctx, a.ID, EventLevelRaised, Event{Level: Level2, Officer: actor})
	}
	return Provisioned{Account: a, TOTPSecret: secret}, nil
}

// ResetCredentials gives an existing citizen's account a new password and
// authenticator secret, as Provision would have: for serve --demo, which
// prints the demo citizen's sign-in at every start. It is not reachable
// from the network; an officer's recovery is Recover.
func (s *Service) ResetCredentials(ctx context.Context, pin, password, actor string) (Provisioned, error) {
	if err := checkPassword(password); err != nil {
		return Provisioned{}, err
	}
	a, err := s.AccountByPIN(ctx, pin)
	if err != nil {
		return Provisioned{}, err
	}
	hash := credential.HashPassword(password, s.cfg.Params)
	secret := credential.NewTOTPSecret()
	now := s.now().UTC()
	a, err = s.update(ctx, a.ID, func(a *Account) error {
		a.PasswordHash, a.TOTPSecret, a.TOTPPending = hash, secret, ""
		a.MustChangePassword, a.PasswordChangedAt = false, now
		return nil
	})
	if err != nil {
		return Provisioned{}, err
	}
	if err := s.clearFailures(ctx, "acct:"+a.ID); err != nil {
		return Provisioned{}, err
	}
	s.event(ctx, a.ID, EventRecovered, Event{Officer: actor})
	return Provisioned{Account: a, TOTPSecret: secret}, nil
}

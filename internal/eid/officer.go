package eid

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/sms"
)

// Check is what an officer records after checking a person in person at a
// police station: who they are, where, and the number of the chip card whose
// chip they read and matched to the person.
type Check struct {
	Officer   string // the staff account id
	Station   string // free text: the station or unit
	PIN       string // the person checked
	Card      string // the card number the chip carried
	RequestID string
	// Authorize, if set, decides whether the officer may check this
	// person (their units against the officer's scope); it runs on the
	// record as read, before anything is recorded or changed.
	Authorize func(p *registry.Person) error
}

// officerRead reads a person's record for an officer: the officer's scope
// is checked on the record as read (Check.Authorize), then the read is
// recorded in the access log, before anything is answered.
func (s *Service) officerRead(ctx context.Context, ck Check, purpose, action string, fields []string) (*registry.Person, error) {
	if strings.TrimSpace(ck.Officer) == "" {
		return nil, &InputError{"officer", "is required"}
	}
	if s.rec == nil {
		return nil, errors.New("eid: no access log to record the officer's read in")
	}
	rec, err := s.people.Person(ctx, ck.PIN, registry.Date{})
	var re *registry.Error
	if errors.As(err, &re) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("eid: read the registry: %w", err)
	}
	if ck.Authorize != nil {
		if err := ck.Authorize(rec.Person); err != nil {
			return nil, err
		}
	}
	if err := s.rec.Record(ctx, audit.Access{
		ActorKind: "staff", Actor: ck.Officer, Purpose: purpose, PIN: ck.PIN,
		Fields: fields, Action: action, RequestID: ck.RequestID,
	}); err != nil {
		return nil, fmt.Errorf("eid: record the officer's read in the access log: %w", err)
	}
	return rec.Person, nil
}

// verifyCard reads the person's record (an officer's read, recorded in the
// access log first) and checks that the card is a valid chip card issued to
// them, and that they are alive.
func (s *Service) verifyCard(ctx context.Context, ck Check, purpose string) (*registry.Person, error) {
	card := strings.TrimSpace(ck.Card)
	if strings.TrimSpace(ck.Officer) != "" && (card == "" || len(card) > 20) {
		return nil, &InputError{"card", "is required: the number of the chip card read"}
	}
	p, err := s.officerRead(ctx, ck, purpose, "verify", []string{"full_name", "birth_date", "documents", "phone"})
	if err != nil {
		return nil, err
	}
	if p.Status.State != registry.Alive {
		return nil, ErrCheck
	}
	today := registry.DateOf(s.now().In(registry.Vietnam))
	for _, d := range p.Documents {
		if d.Number == card && d.Chip && d.Status == "valid" && (d.Expiry.IsZero() || !d.Expiry.Before(today)) {
			return p, nil
		}
	}
	return nil, ErrCheck
}

// Support is what an officer at the counter sees of a citizen's account:
// its state and its latest events, no secret.
type Support struct {
	Level              int
	CreatedAt          time.Time
	LastSignIn         time.Time
	HasTOTP            bool
	MustChangePassword bool
	LevelCheck         *InPersonCheck
	LockedUntil        time.Time // zero when not locked
	Events             []Event
}

// SupportView returns the state of a citizen's account for an officer
// helping them (Check.Card is not needed). The officer's read is in the
// access log, as a read of the account.
func (s *Service) SupportView(ctx context.Context, ck Check) (Support, error) {
	a, err := s.AccountByPIN(ctx, ck.PIN)
	if err != nil {
		return Support{}, err
	}
	if _, err := s.officerRead(ctx, ck, "eid_support", "read", []string{"eid_account"}); err != nil {
		return Support{}, err
	}
	until, err := s.lockedUntil(ctx, "acct:"+a.ID)
	if err != nil {
		return Support{}, err
	}
	evs, _, err := s.Events(ctx, a.ID, 0, 20)
	if err != nil {
		return Support{}, err
	}
	return Support{
		Level: a.Level, CreatedAt: a.CreatedAt, LastSignIn: a.LastSignIn, HasTOTP: a.HasTOTP(),
		MustChangePassword: a.MustChangePassword, LevelCheck: a.LevelCheck, LockedUntil: until, Events: evs,
	}, nil
}

// RaiseLevel raises a citizen's account to level 2 after an officer's
// in-person check with the chip card. The check and the officer are kept on
// the account and shown to the citizen; the officer's read of the record is
// in the access log.
func (s *Service) RaiseLevel(ctx context.Context, ck Check) (*Account, error) {
	a, err := s.AccountByPIN(ctx, ck.PIN)
	if err != nil {
		return nil, err
	}
	if _, err := s.verifyCard(ctx, ck, "eid_level2"); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a, err = s.update(ctx, a.ID, func(a *Account) error {
		a.Level = Level2
		a.LevelCheck = &InPersonCheck{Officer: ck.Officer, Station: ck.Station, Card: strings.TrimSpace(ck.Card), At: now, Purpose: "level2"}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.event(ctx, a.ID, EventLevelRaised, Event{Level: Level2, Officer: ck.Officer, Station: ck.Station})
	s.log.InfoContext(ctx, "eid: level raised", "account", a.ID, "officer", ck.Officer)
	return a, nil
}

// Recovery is what an officer hands a citizen whose account was recovered:
// a temporary password (changed at the next sign-in) to be given in person.
type Recovery struct {
	Account           *Account
	TemporaryPassword string
}

// Recover restores a citizen's access in person: after the chip-card check
// it sets a temporary password, removes the authenticator app (the phone
// may be lost), takes the phone number on record now for codes, unlocks
// the account and ends every session.
func (s *Service) Recover(ctx context.Context, ck Check) (Recovery, error) {
	a, err := s.AccountByPIN(ctx, ck.PIN)
	if err != nil {
		return Recovery{}, err
	}
	p, err := s.verifyCard(ctx, ck, "eid_recovery")
	if err != nil {
		return Recovery{}, err
	}
	phone, _ := sms.NormalizePhone(p.Phone)
	// 26 base32 characters (130 bits): read off a screen or a slip of paper.
	temp := rand.Text()
	hash := hashPassword(temp, s)
	now := s.now().UTC()
	a, err = s.update(ctx, a.ID, func(a *Account) error {
		a.PasswordHash, a.MustChangePassword, a.PasswordChangedAt = hash, true, now
		a.TOTPSecret, a.TOTPPending = "", ""
		a.Phone = phone
		a.SessionsNotBefore = now.Add(time.Nanosecond)
		return nil
	})
	if err != nil {
		return Recovery{}, err
	}
	if _, err := s.st.RevokeEIDSessions(ctx, a.ID, "", now); err != nil {
		return Recovery{}, fmt.Errorf("eid: revoke sessions: %w", err)
	}
	if err := s.clearFailures(ctx, "acct:"+a.ID); err != nil {
		return Recovery{}, err
	}
	s.event(ctx, a.ID, EventRecovered, Event{Officer: ck.Officer, Station: ck.Station})
	s.log.InfoContext(ctx, "eid: account recovered", "account", a.ID, "officer", ck.Officer)
	return Recovery{Account: a, TemporaryPassword: temp}, nil
}

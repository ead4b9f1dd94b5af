package eid

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/sms"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/vntext"
)

// Registration is what a person types to register: every field is checked
// against the registry.
type Registration struct {
	PIN       string
	FullName  string
	BirthDate string // YYYY-MM-DD
	Phone     string
}

// Registration policy.
const (
	// MinAge is the age from which a person has an account of their own
	// (Decree 69/2024); younger children appear under a parent's.
	MinAge = 14
	// MinPasswordLen: NIST SP 800-63B asks for at least 8 characters for a
	// password used with a second factor; 10 leaves room for the common
	// patterns a blocklist would catch.
	MinPasswordLen = 10
	// codeTTL is how long a one-time code sent by SMS is valid; codeTries
	// how many wrong codes a registration or sign-in step accepts before
	// it must be started again.
	codeTTL   = 10 * time.Minute
	codeTries = 5
	// Registration attempts: per source address and per PIN, counted
	// whether or not the details match, so that the limit says nothing
	// about who exists.
	regPerAddress       = 10
	regPerAddressWindow = time.Hour
	regPerPIN           = 5
	regPerPINWindow     = 24 * time.Hour
)

// pendingRegistration is a registration waiting for its code. Valid is
// false when the details did not match: the step then behaves the same
// and no code ever matches.
type pendingRegistration struct {
	PIN      string `json:"pin"`
	Phone    string `json:"phone"`
	Valid    bool   `json:"valid"`
	CodeHash string `json:"code_hash"`
	Tries    int    `json:"tries"`
	Used     bool   `json:"used,omitempty"`
}

// newCode returns a random 6-digit one-time code.
func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%06d", n.Int64())
}

// codeHash binds a code to the step it was sent for, so a hash copied from
// one record matches nothing else.
func codeHash(stepID, code string) string {
	m := hmac.New(sha256.New, []byte(stepID))
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// checkRegistrationForm checks the form of the fields, which says nothing
// about whether the person exists.
func checkRegistrationForm(r Registration) (registry.Date, string, error) {
	if _, err := pin.Parse(strings.TrimSpace(r.PIN)); err != nil {
		return registry.Date{}, "", &InputError{"pin", "must be the 12-digit personal identification number"}
	}
	name := strings.TrimSpace(r.FullName)
	if name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) {
		return registry.Date{}, "", &InputError{"full_name", "is required, at most 100 characters"}
	}
	d, err := registry.ParseDate(strings.TrimSpace(r.BirthDate))
	if err != nil || !d.IsFull() {
		return registry.Date{}, "", &InputError{"birth_date", "must be a full date, YYYY-MM-DD"}
	}
	phone, ok := sms.NormalizePhone(r.Phone)
	if !ok {
		return registry.Date{}, "", &InputError{"phone", "must be a Vietnamese mobile number, such as 0912 345 678"}
	}
	return d, phone, nil
}

// StartRegistration checks the details against the registry and, when they
// match a living person aged 14 or over with no account yet, sends a code to
// the phone. It returns the id of the next step in every case: whether the
// details matched is never said, so that the form cannot be used to find
// out who is on record. Only malformed input (InputError), the rate limit
// (RetryError with ErrRateLimited) and a missing SMS provider (ErrNoSMS)
// answer differently, and they do so whoever the PIN belongs to.
func (s *Service) StartRegistration(ctx context.Context, r Registration, c Client) (string, error) {
	if s.sms == nil {
		return "", ErrNoSMS
	}
	birth, phone, err := checkRegistrationForm(r)
	if err != nil {
		return "", err
	}
	p := strings.TrimSpace(r.PIN)
	if err := s.rateLimit(ctx, "reg-addr:"+c.addressKey(), regPerAddress, regPerAddressWindow); err != nil {
		return "", err
	}
	if err := s.rateLimit(ctx, "reg-pin:"+hashKey(p), regPerPIN, regPerPINWindow); err != nil {
		return "", err
	}
	valid, err := s.matches(ctx, p, r.FullName, birth, phone)
	if err != nil {
		return "", err
	}
	id := newID("R")
	code := newCode()
	pr := pendingRegistration{PIN: p, Phone: phone, Valid: valid, CodeHash: codeHash(id, code)}
	exp := s.now().Add(codeTTL)
	if _, err := updateTransient(ctx, s.st, kindRegister, id, func(v *pendingRegistration, _ bool) (time.Time, error) {
		*v = pr
		return exp, nil
	}); err != nil {
		return "", err
	}
	if valid {
		msg := "dancu: " + code + " là mã xác thực đăng ký tài khoản định danh điện tử. Không chia sẻ mã này. / Your registration code."
		s.sendAsync(ctx, id, phone, msg)
	}
	return id, nil
}

// matches reports whether the details are those of a living person aged
// 14 or over, on record with this phone, who has no account yet.
func (s *Service) matches(ctx context.Context, p, name string, birth registry.Date, phone string) (bool, error) {
	rec, err := s.people.Person(ctx, p, registry.Date{})
	var re *registry.Error
	if errors.As(err, &re) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("eid: read the registry: %w", err)
	}
	per := rec.Person
	recPhone, _ := sms.NormalizePhone(per.Phone)
	ok := per.Status.State == registry.Alive &&
		vntext.Fold(vntext.Normalize(name)) == vntext.Fold(per.FullName) &&
		per.BirthDate.IsFull() && per.BirthDate == birth &&
		recPhone != "" && hmac.Equal([]byte(recPhone), []byte(phone)) &&
		per.BirthDate.AgeAt(s.now().In(registry.Vietnam)) >= MinAge
	if !ok {
		return false, nil
	}
	switch _, err := s.st.EIDAccountByPIN(ctx, p); {
	case err == nil:
		return false, nil
	case !errors.Is(err, store.ErrNotFound):
		return false, fmt.Errorf("eid: read account: %w", err)
	}
	return true, nil
}

// checkPassword applies the password policy to a new password.
func checkPassword(password string, avoid ...string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return &InputError{"password", fmt.Sprintf("must have at least %d characters", MinPasswordLen)}
	case len(password) > 256:
		return &InputError{"password", "is too long (at most 256 bytes)"}
	case !utf8.ValidString(password):
		return &InputError{"password", "is not valid text"}
	}
	for _, a := range avoid {
		if a != "" && strings.Contains(password, a) {
			return &InputError{"password", "must not contain your identification number or phone number"}
		}
	}
	return nil
}

// CompleteRegistration checks the code sent by StartRegistration, creates
// the level-1 account with the password and starts a session (the password
// and the code sent by SMS are its two factors). A wrong, expired or
// used-up code, and a step whose details did not match, all answer
// ErrCode. The password is checked first, so that a rejected password does
// not spend a try.
func (s *Service) CompleteRegistration(ctx context.Context, stepID, code, password string, c Client) (*Account, Session, error) {
	a, err := s.completeRegistration(ctx, stepID, code, password, c)
	if err != nil {
		return nil, Session{}, err
	}
	sess, err := s.startSession(ctx, a, []string{AMRPassword, AMRSMS}, c)
	if err != nil {
		return nil, Session{}, err
	}
	return a, sess, nil
}

func (s *Service) completeRegistration(ctx context.Context, stepID, code, password string, c Client) (*Account, error) {
	var pr pendingRegistration
	if _, err := getTransient(ctx, s.st, kindRegister, stepID, &pr); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, ErrCode
		}
		return nil, err
	}
	if err := checkPassword(password, pr.PIN, trimCountry(pr.Phone)); err != nil {
		return nil, err
	}
	code = strings.TrimSpace(code)
	var ok bool
	pr, err := updateTransient(ctx, s.st, kindRegister, stepID, func(v *pendingRegistration, exists bool) (time.Time, error) {
		ok = false
		if !exists || v.Used || v.Tries >= codeTries {
			return time.Time{}, ErrCode
		}
		v.Tries++
		if v.Valid && hmac.Equal([]byte(codeHash(stepID, code)), []byte(v.CodeHash)) {
			ok, v.Used = true, true
		}
		return s.now().Add(codeTTL), nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil, ErrCode
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrCode
	}
	now := s.now().UTC()
	a := &Account{
		ID: newID("A"), Kind: KindCitizen, PIN: pr.PIN, Level: Level1, Phone: pr.Phone,
		PasswordHash: credential.HashPassword(password, s.cfg.Params),
		CreatedAt:    now, PasswordChangedAt: now, Devices: []string{hashKey(c.device())},
		version: 1,
	}
	row, err := a.row()
	if err != nil {
		return nil, err
	}
	if err := s.st.CreateEIDAccount(ctx, row); errors.Is(err, store.ErrExists) {
		return nil, ErrExists
	} else if err != nil {
		return nil, fmt.Errorf("eid: create account: %w", err)
	}
	s.event(ctx, a.ID, EventCreated, Event{Level: Level1, Device: c.device(), Address: c.maskedAddress()})
	s.log.InfoContext(ctx, "eid: account created", "account", a.ID, "level", Level1)
	return a, nil
}

// BeginTOTP starts enrolling an authenticator app: it keeps a new secret
// pending and returns what the app needs. ConfirmTOTP with a code from the
// app completes it; until then the earlier authenticator (if any) stays.
func (s *Service) BeginTOTP(ctx context.Context, accountID string) (credential.Enrolment, error) {
	secret := credential.NewTOTPSecret()
	a, err := s.update(ctx, accountID, func(a *Account) error {
		a.TOTPPending = secret
		return nil
	})
	if err != nil {
		return credential.Enrolment{}, err
	}
	return credential.NewEnrolment(s.cfg.Issuer, totpLabel(a), secret), nil
}

// totpLabel names the account in the authenticator app without the whole
// PIN: the last four digits tell a family's accounts apart.
func totpLabel(a *Account) string {
	if len(a.PIN) >= 4 {
		return "citizen-" + a.PIN[len(a.PIN)-4:]
	}
	return a.ID
}

// ConfirmTOTP completes an enrolment with a code from the app.
func (s *Service) ConfirmTOTP(ctx context.Context, accountID, code string, c Client) error {
	a, err := s.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if a.TOTPPending == "" {
		return ErrCode
	}
	step, ok := credential.MatchTOTP(a.TOTPPending, strings.TrimSpace(code), s.now())
	if !ok {
		return ErrCode
	}
	if err := s.useTOTPStep(ctx, a.ID, step); err != nil {
		return err
	}
	pending := a.TOTPPending
	if _, err := s.update(ctx, accountID, func(a *Account) error {
		if a.TOTPPending != pending {
			return ErrCode // another enrolment started meanwhile
		}
		a.TOTPSecret, a.TOTPPending = pending, ""
		return nil
	}); err != nil {
		return err
	}
	s.event(ctx, accountID, EventTOTPEnrolled, Event{Device: c.device(), Address: c.maskedAddress()})
	return nil
}

// useTOTPStep records a TOTP step as spent, so that a code is accepted once
// only, by any process; ErrCode if it was spent already.
func (s *Service) useTOTPStep(ctx context.Context, accountID string, step uint64) error {
	if s.nonces == nil {
		return nil
	}
	err := s.nonces.UseNonce(ctx, "eid.totp", fmt.Sprintf("%s:%d", accountID, step), credential.StepExpiry(step))
	if errors.Is(err, store.ErrExists) {
		return ErrCode
	}
	if err != nil {
		return fmt.Errorf("eid: record TOTP use: %w", err)
	}
	return nil
}

// PendingEnrolment returns the enrolment started by BeginTOTP and not yet
// confirmed, or nil.
func (s *Service) PendingEnrolment(ctx context.Context, accountID string) (*credential.Enrolment, error) {
	a, err := s.Account(ctx, accountID)
	if err != nil || a.TOTPPending == "" {
		return nil, err
	}
	en := credential.NewEnrolment(s.cfg.Issuer, totpLabel(a), a.TOTPPending)
	return &en, nil
}

package eid

import (
	"context"
	"crypto/hmac"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/credential"
)

// Second factors, as Citizen.AMR carries them (RFC 8176 values): a
// password with an authenticator app's code is {"pwd","otp"}, with a code
// sent by SMS {"pwd","sms"}.
const (
	AMRPassword = "pwd"
	AMRTOTP     = "otp"
	AMRSMS      = "sms"
)

// Methods of the second step of sign-in.
const (
	MethodTOTP = "totp"
	MethodSMS  = "sms"
)

// signInTTL is how long a sign-in waits for its second factor.
const signInTTL = 5 * time.Minute

// smsResendAfter is the shortest time between two codes sent for one
// sign-in.
const smsResendAfter = 30 * time.Second

// Pending is a sign-in whose password was right, waiting for the second
// factor.
type Pending struct {
	ID string
	// TOTP and SMS say which second factors the account can use.
	TOTP bool
	SMS  bool
	// MustChangePassword: after sign-in the password must be changed (it
	// was set by an officer).
	MustChangePassword bool
}

type pendingSignIn struct {
	AccountID string    `json:"account_id"`
	Tries     int       `json:"tries"`
	CodeHash  string    `json:"code_hash,omitempty"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	Done      bool      `json:"done,omitempty"`
}

// checkLocks refuses an attempt while the address or the account is
// locked; such attempts are not counted.
func (s *Service) checkLocks(ctx context.Context, c Client, accountID string) error {
	keys := []string{"addr:" + c.addressKey()}
	if accountID != "" {
		keys = append(keys, "acct:"+accountID)
	}
	for _, k := range keys {
		until, err := s.lockedUntil(ctx, k)
		if err != nil {
			return err
		}
		if !until.IsZero() {
			return &RetryError{Err: ErrLocked, Until: until}
		}
	}
	return nil
}

// failed counts a failed attempt against the address and, when known, the
// account, and records it on the account for its holder to see.
func (s *Service) failed(ctx context.Context, c Client, accountID, detail string) error {
	if _, err := s.fail(ctx, "addr:"+c.addressKey(), addressLockout); err != nil {
		return err
	}
	if accountID == "" {
		return nil
	}
	n, err := s.fail(ctx, "acct:"+accountID, accountLockout)
	if err != nil {
		return err
	}
	s.event(ctx, accountID, EventSignInFailed, Event{Detail: detail, Device: c.device(), Address: c.maskedAddress()})
	if d := accountLockout.Duration(n); d > 0 {
		s.event(ctx, accountID, EventLocked, Event{Detail: d.String()})
	}
	return nil
}

// SignIn checks a PIN and password. It answers RetryError{ErrLocked} while
// the address or the account is locked, ErrSignIn for anything else wrong
// (an unknown PIN takes as long as a wrong password), and on success the
// pending second step.
func (s *Service) SignIn(ctx context.Context, pinStr, password string, c Client) (Pending, error) {
	if err := s.checkLocks(ctx, c, ""); err != nil {
		return Pending{}, err
	}
	a, err := s.AccountByPIN(ctx, strings.TrimSpace(pinStr))
	if errors.Is(err, ErrNotFound) || err == nil && (a.Disabled || a.Kind != KindCitizen) {
		credential.VerifyPassword(s.dummy, password, s.cfg.Params)
		if err := s.failed(ctx, c, "", "password"); err != nil {
			return Pending{}, err
		}
		return Pending{}, ErrSignIn
	}
	if err != nil {
		return Pending{}, err
	}
	if err := s.checkLocks(ctx, c, a.ID); err != nil {
		return Pending{}, err
	}
	ok, rehash, err := credential.VerifyPassword(a.PasswordHash, password, s.cfg.Params)
	if err != nil {
		return Pending{}, err
	}
	if !ok {
		if err := s.failed(ctx, c, a.ID, "password"); err != nil {
			return Pending{}, err
		}
		return Pending{}, ErrSignIn
	}
	if rehash {
		// The hash was made with other costs than the configured ones:
		// replace it while the password is in hand.
		h := credential.HashPassword(password, s.cfg.Params)
		old := a.PasswordHash
		if _, err := s.update(ctx, a.ID, func(a *Account) error {
			if a.PasswordHash == old {
				a.PasswordHash = h
			}
			return nil
		}); err != nil {
			return Pending{}, err
		}
	}
	id := newID("S")
	exp := s.now().Add(signInTTL)
	if _, err := updateTransient(ctx, s.st, kindSignIn, id, func(v *pendingSignIn, _ bool) (time.Time, error) {
		*v = pendingSignIn{AccountID: a.ID}
		return exp, nil
	}); err != nil {
		return Pending{}, err
	}
	return Pending{ID: id, TOTP: a.HasTOTP(), SMS: s.sms != nil && a.Phone != "", MustChangePassword: a.MustChangePassword}, nil
}

// PendingSignIn returns a pending sign-in's choices again (for the second
// step's page), or ErrNotFound.
func (s *Service) PendingSignIn(ctx context.Context, id string) (Pending, error) {
	var p pendingSignIn
	if _, err := getTransient(ctx, s.st, kindSignIn, id, &p); err != nil {
		return Pending{}, err
	}
	if p.Done {
		return Pending{}, ErrNotFound
	}
	a, err := s.Account(ctx, p.AccountID)
	if err != nil {
		return Pending{}, err
	}
	return Pending{ID: id, TOTP: a.HasTOTP(), SMS: s.sms != nil && a.Phone != "", MustChangePassword: a.MustChangePassword}, nil
}

// SendSignInCode sends a one-time code by SMS for a pending sign-in. A
// second request within 30 seconds sends nothing.
func (s *Service) SendSignInCode(ctx context.Context, id string) error {
	if s.sms == nil {
		return ErrNoSMS
	}
	code := newCode()
	now := s.now()
	var send bool
	p, err := updateTransient(ctx, s.st, kindSignIn, id, func(v *pendingSignIn, exists bool) (time.Time, error) {
		send = false
		if !exists || v.Done {
			return time.Time{}, ErrNotFound
		}
		if now.Sub(v.SentAt) >= smsResendAfter {
			v.CodeHash, v.SentAt, send = codeHash(id, code), now, true
		}
		return now.Add(signInTTL), nil
	})
	if err != nil {
		return err
	}
	if !send {
		return nil
	}
	a, err := s.Account(ctx, p.AccountID)
	if err != nil {
		return err
	}
	if a.Phone == "" {
		return ErrNoSMS
	}
	s.sendAsync(ctx, id, a.Phone, "dancu: "+code+" là mã đăng nhập định danh điện tử. Không chia sẻ mã này. / Your sign-in code.")
	return nil
}

// FinishSignIn checks the second factor of a pending sign-in and starts a
// session. A wrong code counts against the account and the address like a
// wrong password; after 5 wrong codes the pending sign-in ends.
func (s *Service) FinishSignIn(ctx context.Context, id, method, code string, c Client) (Session, error) {
	var p pendingSignIn
	if _, err := getTransient(ctx, s.st, kindSignIn, id, &p); err != nil || p.Done {
		return Session{}, ErrSignIn
	}
	if err := s.checkLocks(ctx, c, p.AccountID); err != nil {
		return Session{}, err
	}
	a, err := s.Account(ctx, p.AccountID)
	if err != nil {
		return Session{}, err
	}
	code = strings.TrimSpace(code)
	now := s.now()
	var ok bool
	var amr []string
	switch method {
	case MethodTOTP:
		if a.HasTOTP() {
			var step uint64
			if step, ok = credential.MatchTOTP(a.TOTPSecret, code, now); ok {
				if err := s.useTOTPStep(ctx, a.ID, step); errors.Is(err, ErrCode) {
					ok = false
				} else if err != nil {
					return Session{}, err
				}
			}
		}
		amr = []string{AMRPassword, AMRTOTP}
	case MethodSMS:
		ok = p.CodeHash != "" && now.Sub(p.SentAt) < codeTTL && hmac.Equal([]byte(codeHash(id, code)), []byte(p.CodeHash))
		amr = []string{AMRPassword, AMRSMS}
	}
	// Count the try, and end the sign-in on success, in one write: two
	// browsers racing with the same code get one session between them.
	var won bool
	_, err = updateTransient(ctx, s.st, kindSignIn, id, func(v *pendingSignIn, exists bool) (time.Time, error) {
		won = false
		if !exists || v.Done || v.Tries >= codeTries {
			return time.Time{}, ErrSignIn
		}
		v.Tries++
		if ok {
			v.Done, won = true, true
		}
		return now.Add(signInTTL), nil
	})
	if errors.Is(err, ErrNotFound) {
		return Session{}, ErrSignIn
	}
	if err != nil {
		return Session{}, err
	}
	if !won {
		if err := s.failed(ctx, c, a.ID, "code"); err != nil {
			return Session{}, err
		}
		return Session{}, ErrSignIn
	}
	if err := s.clearFailures(ctx, "acct:"+a.ID); err != nil {
		return Session{}, err
	}
	return s.signedIn(ctx, a, amr, c)
}

// signedIn records a successful sign-in and starts its session.
func (s *Service) signedIn(ctx context.Context, a *Account, amr []string, c Client) (Session, error) {
	now := s.now().UTC()
	dev := hashKey(c.device())
	var newDevice bool
	if _, err := s.update(ctx, a.ID, func(a *Account) error {
		a.LastSignIn = now
		newDevice = !slices.Contains(a.Devices, dev)
		if newDevice {
			// Keep the most recent few kinds of browser.
			a.Devices = append(a.Devices, dev)
			if len(a.Devices) > 20 {
				a.Devices = a.Devices[len(a.Devices)-20:]
			}
		}
		return nil
	}); err != nil {
		return Session{}, err
	}
	if newDevice {
		s.event(ctx, a.ID, EventNewDevice, Event{Device: c.device(), Address: c.maskedAddress()})
	}
	s.event(ctx, a.ID, EventSignedIn, Event{Detail: amr[len(amr)-1], Device: c.device(), Address: c.maskedAddress()})
	return s.startSession(ctx, a, amr, c)
}

package eid

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/sms"
	"github.com/dancu/dancu/internal/store"
)

// Errors, checked with errors.Is. None carries a PIN, a name, a phone
// number, a code or a password.
var (
	// ErrNotFound: no such account, session or pending step.
	ErrNotFound = errors.New("eid: not found")
	// ErrSignIn: the PIN, password or code is wrong, or the account cannot
	// sign in; which one is not said.
	ErrSignIn = errors.New("eid: sign-in refused")
	// ErrLocked: too many failed attempts from this account or this
	// address; try again later (RetryError says when).
	ErrLocked = errors.New("eid: temporarily locked")
	// ErrCode: the one-time code is wrong, expired or used up.
	ErrCode = errors.New("eid: wrong or expired code")
	// ErrRateLimited: too many registration attempts from this address or
	// for this PIN; the same for every PIN, registered or not.
	ErrRateLimited = errors.New("eid: too many attempts")
	// ErrNoSMS: no SMS provider is configured.
	ErrNoSMS = errors.New("eid: SMS is not configured")
	// ErrLevel: the account's level is too low for the action.
	ErrLevel = errors.New("eid: account level too low")
	// ErrCheck: the in-person check does not match the registry (no such
	// valid chip card for the person).
	ErrCheck = errors.New("eid: the in-person check does not match the registry")
	// ErrExists: the account (or the organisation's) already exists.
	ErrExists = errors.New("eid: account already exists")
	// ErrClosed: the organisation's account is closed; nothing more can be
	// done with it (a closed account is never reopened: its history stays).
	ErrClosed = errors.New("eid: the organisation's account is closed")
)

// InputError is a request the person can correct: a short password, a
// malformed tax code. Its text names the field and never holds its value.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return "eid: " + e.Field + ": " + e.Reason }

// RetryError wraps ErrLocked or ErrRateLimited with the time after which
// another attempt is looked at.
type RetryError struct {
	Err   error
	Until time.Time
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// People is what the service reads of the registry: a person's current
// record. *registry.Registry implements it.
type People interface {
	Person(ctx context.Context, pin string, asOf registry.Date) (*registry.Record, error)
}

// Config is the service's tunable policy. Zero fields take the defaults
// DefaultConfig gives.
type Config struct {
	// Params are the argon2id costs of new password hashes.
	Params credential.Params
	// SessionIdle and SessionMax bound a session's life: since its last
	// use, and since sign-in.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// Issuer is the name authenticator apps show.
	Issuer string
	// SecureCookies marks cookies Secure whatever the request says; without
	// it, they are Secure when the request came over TLS.
	SecureCookies bool
}

// DefaultConfig returns the policy of a default configuration.
func DefaultConfig() Config {
	return Config{
		Params: credential.DefaultParams, SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour, Issuer: "dancu",
	}
}

// Service manages citizens' accounts, sign-in and sessions over a store.
// It keeps no state of its own, so any number of processes can share one
// database.
type Service struct {
	st     store.EID
	nonces interface {
		UseNonce(ctx context.Context, scope, value string, expires time.Time) error
	}
	people People
	sms    sms.Sender
	rec    audit.Recorder
	grants Grants
	log    *slog.Logger
	now    func() time.Time
	cfg    Config
	dummy  string // a hash to verify against when there is no account
	sends  sync.WaitGroup
}

// Deps are the service's collaborators. Store, People and Recorder are
// required; SMS may be nil (registration and SMS codes are then off).
type Deps struct {
	Store    store.EID
	Nonces   store.Directory // records used TOTP steps
	People   People
	SMS      sms.Sender
	Recorder audit.Recorder // officers' reads of a record for a check
	// Grants, optional, revokes relying parties' consents and tokens of an
	// organisation handed to a new representative.
	Grants Grants
	Logger *slog.Logger
	Now    func() time.Time
}

// New returns a Service.
func New(d Deps, cfg Config) *Service {
	def := DefaultConfig()
	if cfg.Params == (credential.Params{}) {
		cfg.Params = def.Params
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = def.SessionIdle
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = def.SessionMax
	}
	if cfg.Issuer == "" {
		cfg.Issuer = def.Issuer
	}
	s := &Service{st: d.Store, nonces: d.Nonces, people: d.People, sms: d.SMS, rec: d.Recorder, grants: d.Grants, log: d.Logger, now: d.Now, cfg: cfg}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.dummy = credential.HashPassword(rand.Text(), cfg.Params)
	return s
}

// SMSEnabled reports whether one-time codes can be sent (registration
// needs them).
func (s *Service) SMSEnabled() bool { return s.sms != nil }

// Account returns an account by id, or ErrNotFound.
func (s *Service) Account(ctx context.Context, id string) (*Account, error) {
	r, err := s.st.EIDAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("eid: read account: %w", err)
	}
	return decodeAccount(r)
}

// AccountByPIN returns the citizen account of a PIN, or ErrNotFound.
func (s *Service) AccountByPIN(ctx context.Context, pin string) (*Account, error) {
	r, err := s.st.EIDAccountByPIN(ctx, pin)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("eid: read account: %w", err)
	}
	return decodeAccount(r)
}

// update applies fn to the current version of an account and writes it,
// starting again if another process wrote in between. fn may run several
// times and must keep no state.
func (s *Service) update(ctx context.Context, id string, fn func(a *Account) error) (*Account, error) {
	for range 8 {
		a, err := s.Account(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := fn(a); err != nil {
			return nil, err
		}
		a.version++
		row, err := a.row()
		if err != nil {
			return nil, err
		}
		err = s.st.PutEIDAccount(ctx, row)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("eid: write account: %w", err)
		}
		return a, nil
	}
	return nil, fmt.Errorf("eid: write account: %w", store.ErrConflict)
}

// newID returns a random identifier with a prefix: 20 base32 characters
// (100 bits).
func newID(prefix string) string { return prefix + rand.Text()[:20] }

// hashKey returns a short hex hash of a value, for keys of the short-lived
// records that must not hold a PIN or an address in clear.
func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// sendTimeout bounds one message's delivery to the gateway.
const sendTimeout = 30 * time.Second

// sendAsync sends a message without making the request wait for the
// gateway: a registration that matched must answer as fast as one that did
// not, and a slow gateway must not hold the portal's requests. A failure
// is logged with the step's id, never the number or the text.
func (s *Service) sendAsync(ctx context.Context, stepID, phone, text string) {
	s.sends.Add(1)
	go func() {
		defer s.sends.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		defer cancel()
		if err := s.sms.Send(ctx, phone, text); err != nil {
			s.log.ErrorContext(ctx, "eid: send one-time code", "step", stepID, "err", err)
		}
	}()
}

// Flush waits for the messages being sent. Serve calls it at shutdown;
// tests call it before reading what was sent.
func (s *Service) Flush() { s.sends.Wait() }

func hashPassword(password string, s *Service) string {
	return credential.HashPassword(password, s.cfg.Params)
}

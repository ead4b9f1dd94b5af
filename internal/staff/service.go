package staff

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/store"
)

// kindStaff is the Directory kind of staff account documents.
const kindStaff = "staff"

// nonceScope is the UseNonce scope of accepted TOTP codes.
const nonceScope = "staff.totp"

// Lock-out policy: from the 5th consecutive failure the account
// is locked for lockBase, doubling with each further failure up to lockMax.
// Attempts while locked are refused without checking anything and are not
// counted, so that a guesser cannot keep an officer locked out for ever
// faster than the doubling allows, and gets one guess per lock period
// (1 minute, doubling up to an hour).
var lockout = credential.Lockout{Threshold: 5, Base: time.Minute, Max: time.Hour}

// MinPasswordLen is the shortest password accepted (NIST SP 800-63B asks
// for at least 8; officers get 12, since a console account reads the whole
// population).
const MinPasswordLen = 12

// Errors, checked with errors.Is. None carries a username, a password or a
// code.
var (
	// ErrNotFound: no account has this id.
	ErrNotFound = errors.New("staff: no such account")
	// ErrExists: the username is taken.
	ErrExists = errors.New("staff: username taken")
	// ErrSignIn: the username, password or code is wrong, or the account is
	// disabled; which one is not said.
	ErrSignIn = errors.New("staff: sign-in refused")
	// ErrLocked: too many failed attempts; the account is locked for a while.
	ErrLocked = errors.New("staff: account temporarily locked")
	// ErrForbidden: the account's roles and units do not allow the action.
	ErrForbidden = errors.New("staff: not allowed")
)

// InputError is a request the caller can correct: a malformed username, a
// short password, an unknown role. Its text never holds a password.
type InputError struct{ Reason string }

func (e *InputError) Error() string { return "staff: " + e.Reason }

// Service manages staff accounts in a store.Directory. It keeps no state of
// its own, so any number of processes can share one directory.
type Service struct {
	dir    store.Directory
	now    func() time.Time
	params Params
	issuer string
	dummy  string // a hash to verify against when there is no account
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the service read the time from now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithParams sets the argon2id costs of new hashes (tests use small ones).
func WithParams(p Params) Option { return func(s *Service) { s.params = p } }

// WithIssuer sets the issuer name authenticator apps show ("dancu" by
// default), so that a test and a production install are told apart.
func WithIssuer(name string) Option { return func(s *Service) { s.issuer = name } }

// New returns a Service over dir.
func New(dir store.Directory, opts ...Option) *Service {
	s := &Service{dir: dir, now: time.Now, params: DefaultParams, issuer: "dancu"}
	for _, o := range opts {
		o(s)
	}
	// Verifying against this hash makes a sign-in for an unknown or
	// disabled account take as long as one for a real account.
	s.dummy = HashPassword(newPassword(), s.params)
	return s
}

// Credentials are what a new or reset account is handed: a one-time
// password that must be changed at first sign-in, and the TOTP enrolment.
// Show them once; they are not kept in clear anywhere.
type Credentials struct {
	Password  string
	Enrolment Enrolment
}

// NewAccount is the request to create an account.
type NewAccount struct {
	Username    string
	DisplayName string
	Roles       []Role
	Scope       []Unit
}

// Create adds an account with a random initial password and TOTP secret.
func (s *Service) Create(ctx context.Context, n NewAccount) (*Account, Credentials, error) {
	id, err := normUsername(n.Username)
	if err != nil {
		return nil, Credentials{}, &InputError{err.Error()}
	}
	name := strings.TrimSpace(n.DisplayName)
	if name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) {
		return nil, Credentials{}, &InputError{"display name is required, at most 100 characters"}
	}
	if err := checkRoles(n.Roles, n.Scope); err != nil {
		return nil, Credentials{}, &InputError{err.Error()}
	}
	now := s.now().UTC()
	pw := newPassword()
	a := &Account{
		ID: id, Username: id, DisplayName: name,
		PasswordHash: HashPassword(pw, s.params), TOTPSecret: credential.NewTOTPSecret(),
		Roles: n.Roles, Scope: n.Scope, MustChangePassword: true,
		CreatedAt: now, PasswordChangedAt: now,
	}
	data, err := json.Marshal(a)
	if err != nil {
		return nil, Credentials{}, err
	}
	err = s.dir.PutDirRecord(ctx, store.DirRecord{Kind: kindStaff, ID: id, Version: 1, Data: data})
	if errors.Is(err, store.ErrExists) {
		return nil, Credentials{}, ErrExists
	}
	if err != nil {
		return nil, Credentials{}, fmt.Errorf("staff: create account: %w", err)
	}
	a.version = 1
	return a, Credentials{Password: pw, Enrolment: credential.NewEnrolment(s.issuer, id, a.TOTPSecret)}, nil
}

// Account returns the account with id (a username in any case), or ErrNotFound.
func (s *Service) Account(ctx context.Context, id string) (*Account, error) {
	rec, err := s.dir.DirRecord(ctx, kindStaff, strings.ToLower(strings.TrimSpace(id)))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("staff: read account: %w", err)
	}
	return decodeAccount(rec)
}

// Accounts returns every account, ordered by id.
func (s *Service) Accounts(ctx context.Context) ([]*Account, error) {
	recs, err := s.dir.DirRecords(ctx, kindStaff, "")
	if err != nil {
		return nil, fmt.Errorf("staff: list accounts: %w", err)
	}
	out := make([]*Account, 0, len(recs))
	for _, r := range recs {
		a, err := decodeAccount(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// HasNationalAdmin reports whether an enabled national administrator
// account exists. Until one does, the bootstrap admin token may sign in to
// the console to create it.
func (s *Service) HasNationalAdmin(ctx context.Context) (bool, error) {
	all, err := s.Accounts(ctx)
	if err != nil {
		return false, err
	}
	for _, a := range all {
		if a.Has(NationalAdmin) && !a.Disabled {
			return true, nil
		}
	}
	return false, nil
}

func decodeAccount(r store.DirRecord) (*Account, error) {
	var a Account
	if err := json.Unmarshal(r.Data, &a); err != nil {
		// The id is a username, not personal data of a citizen.
		return nil, fmt.Errorf("staff: decode account %s: %w", r.ID, err)
	}
	a.version = r.Version
	return &a, nil
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
		data, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		err = s.dir.PutDirRecord(ctx, store.DirRecord{Kind: kindStaff, ID: a.ID, Version: a.version + 1, Data: data})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("staff: write account: %w", err)
		}
		a.version++
		return a, nil
	}
	return nil, fmt.Errorf("staff: write account: %w", store.ErrConflict)
}

// SetRoles replaces an account's roles and scope.
func (s *Service) SetRoles(ctx context.Context, id string, roles []Role, scope []Unit) (*Account, error) {
	if err := checkRoles(roles, scope); err != nil {
		return nil, &InputError{err.Error()}
	}
	return s.update(ctx, id, func(a *Account) error {
		a.Roles, a.Scope = roles, scope
		return nil
	})
}

// SetDisabled disables or re-enables an account. A disabled account cannot
// sign in, and its open sessions stop working at their next request.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) (*Account, error) {
	return s.update(ctx, id, func(a *Account) error {
		a.Disabled = disabled
		return nil
	})
}

// Reset gives an account a new one-time password and a new TOTP secret (a
// lost phone, a forgotten password), unlocks it and ends its sessions.
func (s *Service) Reset(ctx context.Context, id string) (*Account, Credentials, error) {
	pw := newPassword()
	hash := HashPassword(pw, s.params)
	secret := credential.NewTOTPSecret()
	now := s.now().UTC()
	a, err := s.update(ctx, id, func(a *Account) error {
		a.PasswordHash, a.TOTPSecret = hash, secret
		a.MustChangePassword, a.FailedAttempts, a.LockedUntil = true, 0, time.Time{}
		a.PasswordChangedAt, a.SessionsNotBefore = now, now
		return nil
	})
	if err != nil {
		return nil, Credentials{}, err
	}
	return a, Credentials{Password: pw, Enrolment: credential.NewEnrolment(s.issuer, a.ID, secret)}, nil
}

// ChangePassword sets a new password after checking the current one. A
// wrong current password counts as a failed attempt, so that a left-open
// session cannot be used to guess it.
func (s *Service) ChangePassword(ctx context.Context, id, current, next string) (*Account, error) {
	a, err := s.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, ErrForbidden
	}
	now := s.now()
	if a.Locked(now) {
		return nil, ErrLocked
	}
	if ok, _, err := VerifyPassword(a.PasswordHash, current, s.params); err != nil || !ok {
		if err := s.recordFailure(ctx, a.ID); err != nil {
			return nil, err
		}
		return nil, ErrSignIn
	}
	if err := checkNewPassword(next, current); err != nil {
		return nil, err
	}
	hash := HashPassword(next, s.params)
	return s.update(ctx, id, func(a *Account) error {
		a.PasswordHash, a.MustChangePassword = hash, false
		a.PasswordChangedAt = now.UTC()
		a.FailedAttempts, a.LockedUntil = 0, time.Time{}
		return nil
	})
}

func checkNewPassword(next, current string) error {
	switch {
	case utf8.RuneCountInString(next) < MinPasswordLen:
		return &InputError{fmt.Sprintf("the new password must have at least %d characters", MinPasswordLen)}
	case len(next) > 256:
		return &InputError{"the new password is too long (at most 256 bytes)"}
	case next == current:
		return &InputError{"the new password must differ from the current one"}
	}
	return nil
}

// SignIn checks a username, password and TOTP code. It answers ErrLocked
// while the account is locked, ErrSignIn for anything else wrong, and the
// account on success. A code is accepted once only, by any process.
func (s *Service) SignIn(ctx context.Context, username, password, code string) (*Account, error) {
	a, err := s.Account(ctx, username)
	if errors.Is(err, ErrNotFound) {
		VerifyPassword(s.dummy, password, s.params)
		return nil, ErrSignIn
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if a.Disabled {
		VerifyPassword(s.dummy, password, s.params)
		return nil, ErrSignIn
	}
	if a.Locked(now) {
		return nil, ErrLocked
	}
	ok, rehash, err := VerifyPassword(a.PasswordHash, password, s.params)
	if err != nil {
		return nil, err
	}
	step, codeOK := credential.MatchTOTP(a.TOTPSecret, strings.TrimSpace(code), now)
	if ok && codeOK {
		// The code is spent only once the password is right, so that a
		// wrong password cannot be used to burn an officer's codes.
		expires := credential.StepExpiry(step)
		switch err := s.dir.UseNonce(ctx, nonceScope, a.ID+":"+strconv.FormatUint(step, 10), expires); {
		case errors.Is(err, store.ErrExists):
			codeOK = false
		case err != nil:
			return nil, fmt.Errorf("staff: record TOTP use: %w", err)
		}
	}
	if !ok || !codeOK {
		if err := s.recordFailure(ctx, a.ID); err != nil {
			return nil, err
		}
		return nil, ErrSignIn
	}
	var newHash string
	if rehash {
		newHash = HashPassword(password, s.params)
	}
	return s.update(ctx, a.ID, func(a *Account) error {
		a.FailedAttempts, a.LockedUntil, a.LastSignIn = 0, time.Time{}, now.UTC()
		if newHash != "" {
			a.PasswordHash = newHash
		}
		return nil
	})
}

// recordFailure counts a failed attempt and locks the account when the
// count reaches the threshold, for a time that doubles with each failure.
func (s *Service) recordFailure(ctx context.Context, id string) error {
	now := s.now().UTC()
	_, err := s.update(ctx, id, func(a *Account) error {
		a.FailedAttempts++
		if d := lockDuration(a.FailedAttempts); d > 0 {
			a.LockedUntil = now.Add(d)
		}
		return nil
	})
	return err
}

// lockDuration is how long the n-th consecutive failure locks an account.
func lockDuration(n int) time.Duration { return lockout.Duration(n) }

// newPassword returns a random one-time password: 26 base32 characters
// (130 bits), upper case letters and digits 2-7, with no 0/O or 1/I pairs to
// misread when it is read off a screen and typed by someone else.
func newPassword() string { return rand.Text() }

package staff

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/units"
)

// Role is what an officer may do; a scoped role applies within the
// administrative units of the account's Scope.
type Role string

// The roles.
const (
	// NationalAdmin may do everything, everywhere: manage staff accounts,
	// read the registry, post any life event, read the access log.
	NationalAdmin Role = "national_admin"
	// Registrar posts life events for people residing in the account's
	// units (provinces or communes), and reads the registry.
	Registrar Role = "registrar"
	// Auditor reads the access log.
	Auditor Role = "auditor"
	// Statistician reads statistics.
	Statistician Role = "statistician"
)

// Roles lists every role, in the order forms show them.
var Roles = []Role{NationalAdmin, Registrar, Auditor, Statistician}

// Unit is an administrative unit of today's (2025) list: a province, or a
// commune within one when Commune is set.
type Unit struct {
	Province string `json:"province"`
	Commune  string `json:"commune,omitempty"`
}

// String returns the unit in the form ParseUnit reads: "79" or "01:00004".
func (u Unit) String() string {
	if u.Commune == "" {
		return u.Province
	}
	return u.Province + ":" + u.Commune
}

// Covers reports whether the target lies within u: in the same province,
// and in the same commune when u is a commune.
func (u Unit) Covers(target Unit) bool {
	return u.Province != "" && u.Province == target.Province && (u.Commune == "" || u.Commune == target.Commune)
}

// ParseUnit reads a unit as an operator writes it: a province code ("79"), a
// province and a commune ("01:00004"), or a commune code alone ("00004"),
// checked against the units valid on at.
func ParseUnit(s string, at time.Time) (Unit, error) {
	s = strings.TrimSpace(s)
	prov, comm, hasComm := strings.Cut(s, ":")
	if !hasComm && len(s) == 5 {
		prov, comm, hasComm = "", s, true
	}
	if hasComm {
		c, ok := units.LookupCommune(comm, at)
		if !ok {
			return Unit{}, fmt.Errorf("no commune %q in today's units", comm)
		}
		if prov != "" && c.ProvinceCode != prov {
			return Unit{}, fmt.Errorf("commune %s is not in province %s", comm, prov)
		}
		return Unit{Province: c.ProvinceCode, Commune: c.Code}, nil
	}
	if _, ok := units.LookupProvince(prov, at); !ok {
		return Unit{}, fmt.Errorf("no province %q in today's units", prov)
	}
	return Unit{Province: prov}, nil
}

// ParseScope reads a comma-separated list of units, as the command line
// and the console's form take them. Duplicates are dropped; the result is
// sorted.
func ParseScope(s string, at time.Time) ([]Unit, error) {
	var out []Unit
	var errs []error
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		u, err := ParseUnit(part, at)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b Unit) int { return strings.Compare(a.String(), b.String()) })
	return out, errors.Join(errs...)
}

// Account is a staff account, stored as a Directory document of kind
// "staff" whose id is the lower-cased username.
type Account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	// PasswordHash is an argon2id PHC string; TOTPSecret is base32. Neither
	// ever leaves this package except in an Enrolment at creation or reset.
	PasswordHash string `json:"password_hash"`
	TOTPSecret   string `json:"totp_secret"`
	Roles        []Role `json:"roles"`
	Scope        []Unit `json:"scope,omitempty"`
	Disabled     bool   `json:"disabled,omitempty"`
	// FailedAttempts counts consecutive failed sign-ins; from the
	// lockThreshold-th one, the account is locked until LockedUntil.
	FailedAttempts int       `json:"failed_attempts,omitempty"`
	LockedUntil    time.Time `json:"locked_until,omitzero"`
	// MustChangePassword is set on an initial or reset password, which
	// someone else has seen.
	MustChangePassword bool `json:"must_change_password,omitempty"`
	// SessionsNotBefore invalidates console sessions started before it: a
	// reset or a password change signs out every other browser.
	SessionsNotBefore time.Time `json:"sessions_not_before,omitzero"`
	CreatedAt         time.Time `json:"created_at"`
	PasswordChangedAt time.Time `json:"password_changed_at,omitzero"`
	LastSignIn        time.Time `json:"last_sign_in,omitzero"`

	version int64 // the directory version read, for the next write
}

// Has reports whether the account holds role r.
func (a *Account) Has(r Role) bool { return a != nil && slices.Contains(a.Roles, r) }

// Locked reports whether sign-in is refused at now because of failed attempts.
func (a *Account) Locked(now time.Time) bool { return now.Before(a.LockedUntil) }

// checkRoles validates a role assignment: known roles, a scope for a
// registrar, and no scope that no role would use.
func checkRoles(roles []Role, scope []Unit) error {
	if len(roles) == 0 {
		return errors.New("at least one role is required")
	}
	for i, r := range roles {
		if !slices.Contains(Roles, r) {
			return fmt.Errorf("unknown role %q", r)
		}
		if slices.Index(roles, r) != i {
			return fmt.Errorf("role %s given twice", r)
		}
	}
	switch {
	case slices.Contains(roles, Registrar) && len(scope) == 0:
		return errors.New("a registrar needs a scope of one or more provinces or communes")
	case !slices.Contains(roles, Registrar) && len(scope) > 0:
		return errors.New("a scope applies to the registrar role only")
	}
	return nil
}

// normUsername returns the canonical form of a username, or an error if it
// cannot be one. Usernames are lower case so that "AnNV" and "annv" are one
// account; they are ASCII so that no two look alike.
func normUsername(s string) (string, error) {
	u := strings.ToLower(strings.TrimSpace(s))
	if len(u) < 3 || len(u) > 32 {
		return "", errors.New("username must be 3 to 32 characters")
	}
	for i, c := range u {
		letter := c >= 'a' && c <= 'z'
		if i == 0 && !letter {
			return "", errors.New("username must start with a letter")
		}
		if !letter && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-' {
			return "", errors.New("username may hold only letters a-z, digits, '.', '_' and '-'")
		}
	}
	return u, nil
}

// Params, Enrolment, DefaultParams, HashPassword, VerifyPassword and
// TOTPCode are package credential's, named here too so that callers of
// staff (the console's tests, the demo) need not import it.
type (
	// Params are argon2id cost parameters (credential.Params).
	Params = credential.Params
	// Enrolment is a TOTP enrolment (credential.Enrolment).
	Enrolment = credential.Enrolment
)

// DefaultParams are the argon2id costs new officers' passwords are hashed
// with; the package doc says why these.
var DefaultParams = credential.DefaultParams

// TOTPCode returns the code an authenticator app enrolled with secret
// shows at t (for tests and the demo).
func TOTPCode(secret string, t time.Time) string { return credential.TOTPCode(secret, t) }

// HashPassword and VerifyPassword are credential's, for the service's use.
var (
	HashPassword   = credential.HashPassword
	VerifyPassword = credential.VerifyPassword
)

package staff

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/credential"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// cheap are parameters that keep tests fast; the format and code paths are
// the same as with DefaultParams.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func newTestService(t *testing.T) (*Service, *clock, *memDir) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	d := newMemDir(c.now)
	return New(d, WithClock(c.now), WithParams(cheap)), c, d
}

// codeAt is the code an authenticator app shows at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	return TOTPCode(secret, at)
}

func mustCreate(t *testing.T, s *Service, username string, roles []Role, scope []Unit) (*Account, Credentials) {
	t.Helper()
	a, cr, err := s.Create(context.Background(), NewAccount{Username: username, DisplayName: "Nguyễn Văn An", Roles: roles, Scope: scope})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return a, cr
}

func TestService_Create(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	a, cr := mustCreate(t, s, "  An.NV ", []Role{Registrar}, []Unit{{Province: "79"}})
	if a.ID != "an.nv" || a.Username != "an.nv" {
		t.Errorf("id, username = %q, %q; want lower-cased", a.ID, a.Username)
	}
	if len(cr.Password) < MinPasswordLen || !strings.Contains(cr.Enrolment.URI, "secret="+cr.Enrolment.Secret) {
		t.Errorf("credentials not usable: password %d chars, URI %q", len(cr.Password), cr.Enrolment.URI)
	}
	if strings.Contains(a.PasswordHash, cr.Password) || !a.MustChangePassword {
		t.Error("password stored in clear, or not marked for change")
	}
	if _, _, err := s.Create(ctx, NewAccount{Username: "AN.NV", DisplayName: "x", Roles: []Role{Auditor}}); !errors.Is(err, ErrExists) {
		t.Errorf("second account with the same username in another case: %v, want ErrExists", err)
	}
	var ie *InputError
	for name, n := range map[string]NewAccount{
		"short username":      {Username: "ab", DisplayName: "x", Roles: []Role{Auditor}},
		"username with space": {Username: "an nv", DisplayName: "x", Roles: []Role{Auditor}},
		"username digit":      {Username: "1an", DisplayName: "x", Roles: []Role{Auditor}},
		"no name":             {Username: "abc", Roles: []Role{Auditor}},
		"no role":             {Username: "abc", DisplayName: "x"},
		"unknown role":        {Username: "abc", DisplayName: "x", Roles: []Role{"root"}},
		"role twice":          {Username: "abc", DisplayName: "x", Roles: []Role{Auditor, Auditor}},
		"registrar no scope":  {Username: "abc", DisplayName: "x", Roles: []Role{Registrar}},
		"scope without registrar": {Username: "abc", DisplayName: "x", Roles: []Role{Auditor},
			Scope: []Unit{{Province: "79"}}},
	} {
		if _, _, err := s.Create(ctx, n); !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want an InputError", name, err)
		}
	}
}

func TestService_SignIn(t *testing.T) {
	s, c, _ := newTestService(t)
	ctx := context.Background()
	_, cr := mustCreate(t, s, "an.nv", []Role{Auditor}, nil)
	secret := cr.Enrolment.Secret

	if _, err := s.SignIn(ctx, "nobody", cr.Password, codeAt(t, secret, c.t)); !errors.Is(err, ErrSignIn) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := s.SignIn(ctx, "an.nv", cr.Password, "000000"); !errors.Is(err, ErrSignIn) {
		t.Errorf("wrong code: %v", err)
	}
	if _, err := s.SignIn(ctx, "an.nv", cr.Password+"x", codeAt(t, secret, c.t)); !errors.Is(err, ErrSignIn) {
		t.Errorf("wrong password: %v", err)
	}
	a, err := s.SignIn(ctx, "AN.NV", cr.Password, codeAt(t, secret, c.t))
	if err != nil {
		t.Fatalf("right credentials: %v", err)
	}
	if a.FailedAttempts != 0 || !a.LastSignIn.Equal(c.t) {
		t.Errorf("after success: failed %d, last sign-in %v", a.FailedAttempts, a.LastSignIn)
	}
	// The same code again, within its validity: refused (replay).
	if _, err := s.SignIn(ctx, "an.nv", cr.Password, codeAt(t, secret, c.t)); !errors.Is(err, ErrSignIn) {
		t.Errorf("replayed code: %v", err)
	}
	// The next step's code works.
	c.t = c.t.Add(30 * time.Second)
	if _, err := s.SignIn(ctx, "an.nv", cr.Password, codeAt(t, secret, c.t)); err != nil {
		t.Errorf("next code: %v", err)
	}
	// Disabled: refused with the generic error, even with everything right.
	if _, err := s.SetDisabled(ctx, "an.nv", true); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(30 * time.Second)
	if _, err := s.SignIn(ctx, "an.nv", cr.Password, codeAt(t, secret, c.t)); !errors.Is(err, ErrSignIn) {
		t.Errorf("disabled: %v", err)
	}
}

func TestService_LockOut(t *testing.T) {
	s, c, _ := newTestService(t)
	ctx := context.Background()
	_, cr := mustCreate(t, s, "an.nv", []Role{Auditor}, nil)
	start := c.t
	for i := 1; i <= lockout.Threshold; i++ {
		if _, err := s.SignIn(ctx, "an.nv", "wrong password", "123456"); !errors.Is(err, ErrSignIn) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	a, _ := s.Account(ctx, "an.nv")
	if a.FailedAttempts != lockout.Threshold || !a.LockedUntil.Equal(start.Add(time.Minute)) {
		t.Fatalf("after %d failures: count %d, locked until %v", lockout.Threshold, a.FailedAttempts, a.LockedUntil)
	}
	// Locked: even the right credentials are refused, and not counted.
	if _, err := s.SignIn(ctx, "an.nv", cr.Password, codeAt(t, cr.Enrolment.Secret, c.t)); !errors.Is(err, ErrLocked) {
		t.Errorf("while locked: %v, want ErrLocked", err)
	}
	if a, _ := s.Account(ctx, "an.nv"); a.FailedAttempts != lockout.Threshold {
		t.Errorf("an attempt while locked was counted")
	}
	// After the lock, one more failure locks for twice as long.
	c.t = c.t.Add(time.Minute)
	s.SignIn(ctx, "an.nv", "wrong password", "123456")
	if a, _ := s.Account(ctx, "an.nv"); !a.LockedUntil.Equal(c.t.Add(2 * time.Minute)) {
		t.Errorf("6th failure locks until %v, want %v", a.LockedUntil, c.t.Add(2*time.Minute))
	}
	// After that lock, the right credentials sign in and clear the count.
	c.t = c.t.Add(2 * time.Minute)
	a, err := s.SignIn(ctx, "an.nv", cr.Password, codeAt(t, cr.Enrolment.Secret, c.t))
	if err != nil || a.FailedAttempts != 0 || !a.LockedUntil.IsZero() {
		t.Errorf("after the lock: %v, count %d, locked until %v", err, a.FailedAttempts, a.LockedUntil)
	}
}

func TestLockDuration(t *testing.T) {
	for n, want := range map[int]time.Duration{
		0: 0, 1: 0, 4: 0, 5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute,
		10: 32 * time.Minute, 11: time.Hour, 12: time.Hour, 1000: time.Hour,
	} {
		if got := lockDuration(n); got != want {
			t.Errorf("lockDuration(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestService_RehashOnSignIn(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	d := newMemDir(c.now)
	old := New(d, WithClock(c.now), WithParams(cheap))
	_, cr, err := old.Create(context.Background(), NewAccount{Username: "an.nv", DisplayName: "An", Roles: []Role{Auditor}})
	if err != nil {
		t.Fatal(err)
	}
	raised := cheap
	raised.Time = 2
	s := New(d, WithClock(c.now), WithParams(raised))
	a, err := s.SignIn(context.Background(), "an.nv", cr.Password, codeAt(t, cr.Enrolment.Secret, c.t))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := credential.HashParams(a.PasswordHash); p != raised {
		t.Errorf("hash parameters after sign-in = %+v, want the raised %+v", p, raised)
	}
}

func TestService_ChangePasswordAndReset(t *testing.T) {
	s, c, _ := newTestService(t)
	ctx := context.Background()
	_, cr := mustCreate(t, s, "an.nv", []Role{Auditor}, nil)
	var ie *InputError
	if _, err := s.ChangePassword(ctx, "an.nv", cr.Password, "short"); !errors.As(err, &ie) {
		t.Errorf("short new password: %v", err)
	}
	if _, err := s.ChangePassword(ctx, "an.nv", cr.Password, cr.Password); !errors.As(err, &ie) {
		t.Errorf("unchanged password: %v", err)
	}
	if _, err := s.ChangePassword(ctx, "an.nv", "not the password", "a brand new passphrase"); !errors.Is(err, ErrSignIn) {
		t.Errorf("wrong current password: %v", err)
	}
	a, err := s.ChangePassword(ctx, "an.nv", cr.Password, "a brand new passphrase")
	if err != nil || a.MustChangePassword {
		t.Fatalf("ChangePassword: %v, must change %v", err, a.MustChangePassword)
	}
	if _, err := s.SignIn(ctx, "an.nv", "a brand new passphrase", codeAt(t, cr.Enrolment.Secret, c.t)); err != nil {
		t.Errorf("sign-in with the new password: %v", err)
	}

	c.t = c.t.Add(time.Minute)
	a, cr2, err := s.Reset(ctx, "an.nv")
	if err != nil {
		t.Fatal(err)
	}
	if cr2.Enrolment.Secret == cr.Enrolment.Secret || !a.MustChangePassword || !a.SessionsNotBefore.Equal(c.t) {
		t.Errorf("reset kept the TOTP secret, or did not require a change or end sessions")
	}
	if _, err := s.SignIn(ctx, "an.nv", "a brand new passphrase", codeAt(t, cr2.Enrolment.Secret, c.t)); !errors.Is(err, ErrSignIn) {
		t.Errorf("old password after reset: %v", err)
	}
	c.t = c.t.Add(30 * time.Second)
	if _, err := s.SignIn(ctx, "an.nv", cr2.Password, codeAt(t, cr.Enrolment.Secret, c.t)); !errors.Is(err, ErrSignIn) {
		t.Errorf("old TOTP secret after reset: %v", err)
	}
	if _, err := s.SignIn(ctx, "an.nv", cr2.Password, codeAt(t, cr2.Enrolment.Secret, c.t)); err != nil {
		t.Errorf("reset credentials: %v", err)
	}
	if _, _, err := s.Reset(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("reset of an unknown account: %v", err)
	}
}

func TestService_RolesAndAdmins(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	if ok, err := s.HasNationalAdmin(ctx); ok || err != nil {
		t.Fatalf("empty directory has a national admin: %v, %v", ok, err)
	}
	mustCreate(t, s, "boss", []Role{NationalAdmin}, nil)
	if ok, _ := s.HasNationalAdmin(ctx); !ok {
		t.Error("national admin not found")
	}
	mustCreate(t, s, "reg", []Role{Auditor}, nil)
	a, err := s.SetRoles(ctx, "reg", []Role{Registrar, Auditor}, []Unit{{Province: "01", Commune: "00004"}})
	if err != nil || !a.Has(Registrar) || len(a.Scope) != 1 {
		t.Fatalf("SetRoles: %v, %+v", err, a)
	}
	if _, err := s.SetRoles(ctx, "reg", []Role{Registrar}, nil); err == nil {
		t.Error("registrar without scope accepted")
	}
	s.SetDisabled(ctx, "boss", true)
	if ok, _ := s.HasNationalAdmin(ctx); ok {
		t.Error("a disabled national admin counts")
	}
	all, err := s.Accounts(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "boss" || all[1].ID != "reg" {
		t.Errorf("Accounts = %v, %v", all, err)
	}
}

func TestParseScope(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"79", "79", false},
		{"79,01:00004", "01:00004,79", false},
		{"00004", "01:00004", false},
		{" 79 , 79 ,", "79", false},
		{"", "", false},
		{"79:00004", "", true},
		{"99", "", true},
		{"01:99999", "", true},
		{"02", "", true}, // Hà Giang, merged in 2025
	}
	for _, tt := range tests {
		got, err := ParseScope(tt.in, at)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseScope(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		var parts []string
		for _, u := range got {
			parts = append(parts, u.String())
		}
		if s := strings.Join(parts, ","); s != tt.want {
			t.Errorf("ParseScope(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
}

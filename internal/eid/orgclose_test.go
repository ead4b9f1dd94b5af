package eid

import (
	"context"
	"errors"
	"testing"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
)

// orgEnv is an environment with a level-2 representative who registered
// an organisation, and a fake holder of its grants.
func orgEnv(t *testing.T, e *env) (Session, *Account, *fakeGrants) {
	t.Helper()
	grants := &fakeGrants{}
	e.s.grants = grants
	ctx := context.Background()
	e.register(t)
	sess := e.signIn(t, browser)
	if _, err := e.s.RaiseLevel(ctx, Check{Officer: "an.nv", PIN: pinAdult, Card: card}); err != nil {
		t.Fatal(err)
	}
	org, err := e.s.RegisterOrganisation(ctx, sess.Citizen, "Công ty TNHH Hoà Bình", "0312345673", browser)
	if err != nil {
		t.Fatal(err)
	}
	return sess, org, grants
}

// checkClosed checks what closing must have done at once: acting for the
// organisation refused, its grants revoked, its state and its events.
func checkClosed(t *testing.T, e *env, sess Session, org *Account, grants *fakeGrants, by string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.s.Represented(ctx, org.ID, sess.Citizen.AccountID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the representative still acts for the closed organisation: %v", err)
	}
	if len(grants.revoked) != 1 || grants.revoked[0] != org.ID {
		t.Errorf("grants revoked for %v, want the organisation's once", grants.revoked)
	}
	got, err := e.s.Account(ctx, org.ID)
	if err != nil || !got.Disabled || got.Closed == nil || got.Closed.By != by || !got.Closed.At.Equal(e.c.now().UTC()) {
		t.Errorf("the closed account = %+v (closure %+v), %v", got, got.Closed, err)
	}
	// The representative still sees it, closed, in their list.
	if orgs, _ := e.s.Organisations(ctx, sess.Citizen.AccountID); len(orgs) != 1 || orgs[0].Closed == nil {
		t.Errorf("the representative's list after closing = %+v", orgs)
	}
	for _, acct := range []string{org.ID, sess.Citizen.AccountID} {
		evs, _, err := e.s.Events(ctx, acct, 0, 1)
		if err != nil || len(evs) != 1 || evs[0].Type != EventOrganisationClosed {
			t.Errorf("last event of %s = %+v, %v; want %s", acct, evs, err, EventOrganisationClosed)
		}
	}
	// Nothing more can be done with it.
	if _, err := e.s.HandOver(ctx, Handover{Check: Check{Officer: "an.nv", PIN: pinAdult, Card: card},
		TaxCode: "0312345673", Document: "x"}); !errors.Is(err, ErrClosed) {
		t.Errorf("handing over a closed organisation: %v, want ErrClosed", err)
	}
	if _, err := e.s.CloseOrganisation(ctx, sess.Citizen, org.ID, "", browser); !errors.Is(err, ErrNotFound) {
		t.Errorf("closing it again from the portal: %v, want ErrNotFound", err)
	}
	if _, err := e.s.RegisterOrganisation(ctx, sess.Citizen, "Again", "0312345673", browser); !errors.Is(err, ErrClosed) {
		t.Errorf("registering the closed organisation again: %v, want ErrClosed", err)
	}
}

// The representative closes the organisation's account from the portal.
func TestService_CloseOrganisation(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnvOn(t, b.open(t))
			ctx := context.Background()
			sess, org, grants := orgEnv(t, e)
			other, err := e.s.Provision(ctx, pinOther, testPassword, Level2, "test")
			if err != nil {
				t.Fatal(err)
			}
			var ie *InputError
			if _, err := e.s.CloseOrganisation(ctx, sess.Citizen, org.ID, string(make([]rune, 201)), browser); !errors.As(err, &ie) || ie.Field != "reason" {
				t.Errorf("a reason of 201 characters: %v, want an InputError on reason", err)
			}
			if _, err := e.s.CloseOrganisation(ctx, Citizen{AccountID: other.Account.ID}, org.ID, "", browser); !errors.Is(err, ErrNotFound) {
				t.Errorf("closed by someone else: %v, want ErrNotFound", err)
			}
			if _, err := e.s.CloseOrganisation(ctx, sess.Citizen, "O0399999999", "", browser); !errors.Is(err, ErrNotFound) {
				t.Errorf("closing an unknown organisation: %v, want ErrNotFound", err)
			}
			if len(grants.revoked) != 0 {
				t.Fatalf("a refused closing revoked %v", grants.revoked)
			}
			logged := len(e.rec.as)
			got, err := e.s.CloseOrganisation(ctx, sess.Citizen, org.ID, "  Giải thể  ", browser)
			if err != nil || got.Closed == nil || got.Closed.Reason != "Giải thể" || got.Closed.Officer != "" {
				t.Fatalf("CloseOrganisation = %+v, %v", got, err)
			}
			checkClosed(t, e, sess, org, grants, ClosedByRepresentative)
			if len(e.rec.as) != logged {
				t.Errorf("the representative's own closing is in the access log: %+v", e.rec.as[logged:])
			}
		})
	}
}

// An officer closes an organisation's account on a document: the read of
// the representative's account is in the access log, the officer's scope
// is checked first, and a second closing revokes the grants again.
func TestService_CloseOrganisationByOfficer(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnvOn(t, b.open(t))
			ctx := context.Background()
			sess, org, grants := orgEnv(t, e)
			oc := OfficerClosure{Officer: "an.nv", Station: "CA phường Bến Nghé", TaxCode: "0312345673",
				Document: "Thông báo giải thể số 45/2026/TB-ĐKKD", RequestID: "req-1"}
			errInput := errors.New("an InputError")
			for name, tt := range map[string]struct {
				mutate func(*OfficerClosure)
				want   error
			}{
				"no document":  {func(o *OfficerClosure) { o.Document = "  " }, errInput},
				"bad tax code": {func(o *OfficerClosure) { o.TaxCode = "03123" }, errInput},
				"unknown org":  {func(o *OfficerClosure) { o.TaxCode = "0399999999" }, ErrNotFound},
				"no officer":   {func(o *OfficerClosure) { o.Officer = "" }, errInput},
				"out of scope": {func(o *OfficerClosure) {
					o.Authorize = func(*registry.Person) error { return staff.ErrForbidden }
				}, staff.ErrForbidden},
			} {
				o := oc
				tt.mutate(&o)
				_, err := e.s.CloseOrganisationByOfficer(ctx, o)
				var ie *InputError
				if tt.want == errInput && !errors.As(err, &ie) || tt.want != errInput && !errors.Is(err, tt.want) {
					t.Errorf("%s: %v, want %v", name, err, tt.want)
				}
			}
			if got, _ := e.s.Represented(ctx, org.ID, sess.Citizen.AccountID); got == nil || len(grants.revoked) != 0 {
				t.Fatalf("a refused closing changed the organisation (revoked %v)", grants.revoked)
			}
			logged := len(e.rec.as)
			got, err := e.s.CloseOrganisationByOfficer(ctx, oc)
			if err != nil || got.Closed == nil || got.Closed.Reason != oc.Document || got.Closed.Officer != "an.nv" || got.Closed.Station != oc.Station {
				t.Fatalf("CloseOrganisationByOfficer = %+v, %v", got, err)
			}
			if len(e.rec.as) != logged+1 || e.rec.as[logged].Purpose != "eid_org_close" || e.rec.as[logged].PIN != pinAdult ||
				e.rec.as[logged].Actor != "an.nv" || e.rec.as[logged].Action != "write" || e.rec.as[logged].RequestID != "req-1" {
				t.Errorf("access log after the closing = %+v", e.rec.as[logged:])
			}
			checkClosed(t, e, sess, org, grants, ClosedByOfficer)
			evs, _, _ := e.s.Events(ctx, org.ID, 0, 1)
			if len(evs) != 1 || evs[0].Officer != "an.nv" || evs[0].Detail != oc.Document {
				t.Errorf("the organisation's event = %+v, want the officer and the document", evs)
			}
			if _, err := e.s.CloseOrganisationByOfficer(ctx, oc); !errors.Is(err, ErrClosed) || len(grants.revoked) != 2 {
				t.Errorf("closing again: %v, revoked %v; want ErrClosed and the grants revoked again", err, grants.revoked)
			}
		})
	}
}

package staff_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

var today = time.Date(2026, 3, 2, 10, 0, 0, 0, registry.Vietnam)

// backends opens an empty store of each kind: SQLite always, PostgreSQL
// when DANCU_TEST_POSTGRES is set.
var backends = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
}

type obj = map[string]any

// TestRegistrar_scopeOnStores posts events as a registrar of Ba Đình
// (01:00004): inside the scope they apply; outside it they are Forbidden
// and write nothing, on every backend.
func TestRegistrar_scopeOnStores(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := open(t)
			reg := registry.New(st, registry.WithClock(func() time.Time { return today }))
			reg7 := &staff.Account{ID: "reg7", Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{{Province: "01", Commune: "00004"}}}
			submit := func(acct *staff.Account, typ, subject string, data obj) (*registry.Result, error) {
				raw, _ := json.Marshal(data)
				return reg.Submit(ctx, registry.Submission{
					Event: registry.Event{Type: typ, Subject: subject, EffectiveDate: registry.MustParseDate("2026-02-01"),
						Reason: "Hồ sơ số 1", Data: raw},
					Actor: acct.ID, Authorize: staff.EventAuthorizer(acct),
				})
			}
			person := func(addrProv, addrComm string) string {
				res, err := reg.Submit(ctx, registry.Submission{Actor: "admin", Event: registry.Event{
					Type: "initial_registration", EffectiveDate: registry.MustParseDate("2025-08-01"), Reason: "Thu thập",
					Data: mustJSON(obj{"full_name": "Nguyễn Văn An", "birth_date": "1980-05-01", "sex": "male", "ethnicity": "01",
						"registration_place": obj{"province": "01"},
						"address":            obj{"province": addrProv, "commune": addrComm, "address": "Số 1"}}),
				}})
				if err != nil {
					t.Fatal(err)
				}
				return res.PIN
			}
			inside, outside := person("01", "00004"), person("79", "26740")

			outboxBefore, _ := st.Outbox(ctx, 0, 1000)
			refused := []struct {
				name, typ, subject string
				data               obj
			}{
				{"card for someone outside", "id_card_issued", outside, obj{}},
				{"death of someone outside", "death", outside, obj{}},
				{"move out of scope", "permanent_residence_registration", inside, obj{"province": "79", "commune": "26740", "address": "Số 2"}},
				{"found a household outside", "initial_registration", "", obj{"full_name": "Lê Thị Cúc", "birth_date": "1990-01-01",
					"sex": "female", "ethnicity": "01", "registration_place": obj{"province": "01"},
					"address": obj{"province": "79", "commune": "26740", "address": "Số 3"}}},
			}
			for _, tc := range refused {
				_, err := submit(reg7, tc.typ, tc.subject, tc.data)
				if registry.KindOf(err) != registry.Forbidden {
					t.Errorf("%s: err = %v, want Forbidden", tc.name, err)
				}
			}
			for _, p := range []string{inside, outside} {
				if r, _ := reg.Person(ctx, p, registry.Date{}); r.Version != 1 {
					t.Errorf("a refused event wrote a version of a person (version %d)", r.Version)
				}
			}
			if after, _ := st.Outbox(ctx, 0, 1000); len(after) != len(outboxBefore) {
				t.Errorf("refused events wrote %d outbox rows", len(after)-len(outboxBefore))
			}
			if n, _ := reg.Count(ctx); n != 2 {
				t.Errorf("people on record = %d, want 2", n)
			}

			// Inside the scope, and moving someone from outside into it.
			if _, err := submit(reg7, "id_card_issued", inside, obj{}); err != nil {
				t.Errorf("card inside the scope: %v", err)
			}
			if _, err := submit(reg7, "permanent_residence_registration", outside, obj{"province": "01", "commune": "00004", "address": "Số 4"}); err != nil {
				t.Errorf("move into the scope: %v", err)
			}
			// Now the mover lives inside: later events for them are in scope.
			if _, err := submit(reg7, "id_card_issued", outside, obj{}); err != nil {
				t.Errorf("card after moving in: %v", err)
			}
			admin := &staff.Account{ID: "boss", Roles: []staff.Role{staff.NationalAdmin}}
			if _, err := submit(admin, "permanent_residence_registration", inside, obj{"province": "79", "commune": "26740", "address": "Số 5"}); err != nil {
				t.Errorf("national admin move: %v", err)
			}
		})
	}
}

// TestService_onStores signs in against each backend's Directory: TOTP
// replay is refused through UseNonce, and failures are counted in the
// stored document.
func TestService_onStores(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := open(t)
			now := time.Now()
			s := staff.New(st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}),
				staff.WithClock(func() time.Time { return now }))
			_, cr, err := s.Create(ctx, staff.NewAccount{Username: "an.nv", DisplayName: "Nguyễn Văn An",
				Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{{Province: "79"}}})
			if err != nil {
				t.Fatal(err)
			}
			code := staff.TOTPCode(cr.Enrolment.Secret, now)
			if _, err := s.SignIn(ctx, "an.nv", "wrong password", code); !errors.Is(err, staff.ErrSignIn) {
				t.Errorf("wrong password: %v", err)
			}
			if _, err := s.SignIn(ctx, "an.nv", cr.Password, code); err != nil {
				t.Fatalf("sign-in: %v", err)
			}
			// Another Service over the same store (another process) refuses the code.
			s2 := staff.New(st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}),
				staff.WithClock(func() time.Time { return now }))
			if _, err := s2.SignIn(ctx, "an.nv", cr.Password, code); !errors.Is(err, staff.ErrSignIn) {
				t.Errorf("replayed code in another service: %v", err)
			}
			a, err := s2.Account(ctx, "an.nv")
			if err != nil || a.FailedAttempts != 1 {
				t.Errorf("failed attempts after a replay = %d, %v; want 1", a.FailedAttempts, err)
			}
		})
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

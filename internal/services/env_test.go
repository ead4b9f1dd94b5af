package services_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/match/linkage"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/services"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// now is a Friday morning in Hà Nội.
var now = time.Date(2026, 11, 27, 9, 0, 0, 0, registry.Vietnam)

// backends opens each store the tests run on: SQLite always, PostgreSQL
// where DANCU_TEST_POSTGRES is set.
var backends = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
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

// fakeSMS records the messages it is asked to send.
type fakeSMS struct {
	mu   sync.Mutex
	sent []string
}

func (f *fakeSMS) Send(_ context.Context, phone, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, phone+": "+text)
	return nil
}

// env is a registry with a family in Phường Ba Đình, Hà Nội, and the
// services over it.
type env struct {
	t       *testing.T
	ctx     context.Context
	st      store.Store
	reg     *registry.Registry
	svc     *services.Service
	rec     *audittest.Recorder
	sms     *fakeSMS
	clock   *time.Time
	husband services.Citizen
	wife    services.Citizen
	hh      string
	n       int
	// officer handles Ba Đình; hcm is a registrar of province 79; prov01
	// handles Hà Nội as a whole.
	officer, hcm, prov01, other *staff.Account
}

func newEnv(t *testing.T, open func(*testing.T) store.Store) *env {
	t.Helper()
	st := open(t)
	clock := now
	nowf := func() time.Time { return clock }
	// Births are checked for children already on record, as in dancu serve.
	reg := registry.New(st, registry.WithClock(nowf),
		registry.WithScreen(linkage.NewScreen(linkage.NewService(st), slog.New(slog.DiscardHandler))))
	cal, err := services.NewCalendar([]string{"2026-12-01"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), st: st, reg: reg, rec: &audittest.Recorder{}, sms: &fakeSMS{}, clock: &clock}
	e.svc = services.New(services.Deps{Store: st, Registry: reg, Recorder: e.rec, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Calendar: cal, SMS: e.sms, Now: func() time.Time { return *e.clock }})
	res := e.event("initial_registration", "", "2021-07-01", map[string]any{
		"full_name": "Nguyễn Văn An", "birth_date": "1990-05-01", "sex": "male", "ethnicity": "01",
		"registration_place": map[string]any{"province": "01"},
		"address":            map[string]any{"province": "01", "commune": "00004", "address": "Số 1 phố Đội Cấn"},
	})
	e.husband = services.Citizen{AccountID: "acct-an", PIN: res.PIN, Level: 2}
	rec, _ := reg.Person(e.ctx, res.PIN, registry.Date{})
	e.hh = rec.Person.HouseholdID
	res = e.event("initial_registration", "", "2021-07-01", map[string]any{
		"full_name": "Trần Thị Bình", "birth_date": "1992-02-03", "sex": "female", "ethnicity": "01",
		"registration_place": map[string]any{"province": "79"}, "household_id": e.hh, "relationship": "spouse",
	})
	e.wife = services.Citizen{AccountID: "acct-binh", PIN: res.PIN, Level: 2}
	e.event("marriage", e.husband.PIN, "2021-08-01", map[string]any{"spouse_pin": e.wife.PIN})
	e.event("correction", e.husband.PIN, "2022-01-01", map[string]any{"field": "phone", "value": "0912345678"})
	e.officer = &staff.Account{ID: "officer-badinh", Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{{Province: "01", Commune: "00004"}}}
	e.prov01 = &staff.Account{ID: "officer-hanoi", Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{{Province: "01"}}}
	e.hcm = &staff.Account{ID: "officer-79", Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{{Province: "79"}}}
	e.other = &staff.Account{ID: "officer-ngocha", Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{{Province: "01", Commune: "00008"}}}
	return e
}

func (e *env) event(typ, subject, date string, data any) *registry.Result {
	e.t.Helper()
	e.n++
	raw, _ := json.Marshal(data)
	res, err := e.reg.Submit(e.ctx, registry.Submission{Event: registry.Event{ID: fmt.Sprintf("setup-%d", e.n), Type: typ,
		Subject: subject, EffectiveDate: registry.MustParseDate(date), Reason: "test", Data: raw}, Actor: "tester"})
	if err != nil {
		e.t.Fatalf("%s: %v", typ, err)
	}
	return res
}

func (e *env) person(p string) *registry.Person {
	e.t.Helper()
	r, err := e.reg.Person(e.ctx, p, registry.Date{})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Person
}

// pdf and png are the smallest files whose content the sniffer recognises.
var (
	pdf = []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
)

func (e *env) submit(c services.Citizen, in services.SubmitInput) *services.Dossier {
	e.t.Helper()
	d, _, err := e.svc.Submit(e.ctx, c, in)
	if err != nil {
		e.t.Fatalf("Submit %s: %v", in.Procedure, err)
	}
	return d
}

// temporary is a temporary residence registration in Ba Đình's neighbour.
func temporary(key string) services.SubmitInput {
	return services.SubmitInput{Procedure: "temporary_residence_registration", IdemKey: key,
		Fields:  map[string]string{"province": "01", "commune": "00008", "address": "Số 5 phố Ngọc Hà", "valid_to": "2027-11-27"},
		Uploads: []services.Upload{{Kind: "lawful_residence", Name: "hop-dong.pdf", Content: pdf}}}
}

func forEachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, open))
		})
	}
}

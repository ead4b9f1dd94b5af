package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/card"
	"github.com/dancu/dancu/internal/card/qr"
	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/synth"
)

// fakeExchange holds agencies and grants in memory.
type fakeExchange struct {
	agencies map[string]exchange.Agency
	grants   map[string][]exchange.Grant
}

func (f *fakeExchange) Agency(_ context.Context, id string) (*exchange.Agency, error) {
	a, ok := f.agencies[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &a, nil
}

func (f *fakeExchange) Agencies(context.Context) ([]exchange.Agency, error) {
	var out []exchange.Agency
	for _, a := range f.agencies {
		out = append(out, a)
	}
	return out, nil
}

func (f *fakeExchange) Grants(_ context.Context, agency string) ([]exchange.Grant, error) {
	return f.grants[agency], nil
}

type fixture struct {
	st    store.Store
	reg   *registry.Registry
	cards *card.Service
	ds    *dataset.Service
	svc   *Service
	rec   *audittest.Recorder
	ex    *fakeExchange
	pin   string // a person with a valid chip card
}

func backends(t *testing.T) map[string]store.Store {
	out := map[string]store.Store{}
	s, err := sqlite.Open(context.Background(), t.TempDir()+"/d.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	out["sqlite"] = s
	if os.Getenv(pgtest.EnvVar) != "" {
		p, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		out["postgres"] = p
	}
	return out
}

var (
	hospital = auth.Principal{ID: "his-1", Kind: auth.KindClient, Agency: "bv-bachmai"}
	bank     = auth.Principal{ID: "core-1", Kind: auth.KindClient, Agency: "bank-a"}
)

func newFixture(t *testing.T, st store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	if _, err := synth.Generate(ctx, st, synth.Options{Citizens: 120, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, reg: registry.New(st), rec: &audittest.Recorder{}}
	f.ex = &fakeExchange{
		agencies: map[string]exchange.Agency{
			"bv-bachmai": {ID: "bv-bachmai", Kind: "hospital", Status: exchange.Active},
			"bv-idle":    {ID: "bv-idle", Kind: "hospital", Status: exchange.Active},
			"bank-a":     {ID: "bank-a", Kind: "bank", Status: exchange.Active},
			"moh":        {ID: "moh", Kind: "ministry", Status: exchange.Active},
			"vss":        {ID: "vss", Kind: "insurer", Status: exchange.Active},
		},
		grants: map[string][]exchange.Grant{
			"bv-bachmai": {{Agency: "bv-bachmai", Purpose: PurposeCheckIn, Fields: []string{"full_name", "birth_date", "sex"}, Datasets: []string{"vss-bhyt"}, Status: exchange.Active}},
			"bv-idle":    {{Agency: "bv-idle", Purpose: PurposeCheckIn, Fields: []string{"full_name"}, Status: exchange.Active}},
			"bank-a":     {{Agency: "bank-a", Purpose: PurposeCheckIn, Fields: []string{"full_name"}, Status: exchange.Active}},
		},
	}
	ks, err := card.NewFileKeyStore(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	pki := card.NewPKI(st, ks, card.PKIConfig{}, nil)
	f.cards = card.New(card.Deps{Store: st, Registry: f.reg, PKI: pki, Exchange: f.ex, Recorder: f.rec})
	if _, err := f.cards.IssuePending(ctx); err != nil {
		t.Fatal(err)
	}
	f.ds = dataset.New(st, f.ex, f.rec, nil)
	for _, d := range []dataset.Dataset{{Name: "vss-bhyt", Kind: KindInsurance, Agency: "vss"}, {Name: "moh-tcmr", Kind: KindVaccination, Agency: "moh"}, {Name: "moh-visits", Kind: KindVisit, Agency: "moh"}} {
		if _, err := f.ds.Register(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	f.svc = New(Deps{Store: st, Datasets: f.ds, Cards: f.cards, Exchange: f.ex, Registry: f.reg, Recorder: f.rec})
	evs, err := f.reg.Events(ctx, store.EventQuery{Type: card.EventType, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0 && f.pin == ""; i-- {
		if fs, err := f.cards.ChipFiles(ctx, evs[i].Subjects[0]); err == nil && fs.Card.Status == card.StatusValid {
			f.pin = evs[i].Subjects[0]
		}
	}
	if f.pin == "" {
		t.Fatal("no chip card holder")
	}
	return f
}

func (f *fixture) put(t *testing.T, dataset, key, pin string, attrs map[string]string) {
	t.Helper()
	d, err := f.ds.Dataset(context.Background(), dataset)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(attrs)
	if _, err := f.ds.Put(context.Background(), d, d.Agency, key, pin, b); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) chip(t *testing.T, pin string) *card.ChipData {
	fs, err := f.cards.ChipFiles(context.Background(), pin)
	if err != nil {
		t.Fatal(err)
	}
	return &card.ChipData{DG1: fs.DG1, DG2: fs.DG2, DG13: fs.DG13, SOD: fs.SOD}
}

func (f *fixture) qr(t *testing.T, pin string) string {
	s, err := f.cards.QRPayload(context.Background(), pin)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestService_CheckIn(t *testing.T) {
	for name, st := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, st)
			today := time.Now().In(registry.Vietnam)
			f.put(t, "vss-bhyt", "bhyt-1", f.pin, map[string]string{"card_number": "0123456789",
				"valid_from": today.AddDate(-1, 0, 0).Format(time.DateOnly), "valid_to": today.AddDate(0, 6, 0).Format(time.DateOnly), "facility": "01001"})

			tampered := f.chip(t, f.pin)
			tampered.DG13 = append([]byte(nil), tampered.DG13...)
			tampered.DG13[len(tampered.DG13)-1] ^= 1
			badQR := strings.Replace(f.qr(t, f.pin), "|Nam|", "|Nữ|", 1)
			if !strings.Contains(f.qr(t, f.pin), "|Nam|") {
				badQR = strings.Replace(f.qr(t, f.pin), "|Nữ|", "|Nam|", 1)
			}
			tests := []struct {
				name        string
				p           auth.Principal
				req         CheckInRequest
				wantErr     error
				accepted    bool
				reason      string
				insurance   string
				withDetails bool
			}{
				{"chip", hospital, CheckInRequest{Chip: f.chip(t, f.pin), FacilityCode: "01001"}, nil, true, "", "valid", true},
				{"qr", hospital, CheckInRequest{QR: f.qr(t, f.pin)}, nil, true, "", "valid", true},
				{"tampered chip", hospital, CheckInRequest{Chip: tampered}, nil, false, "data_group_tampered", "none", false},
				{"QR that disagrees with the registry", hospital, CheckInRequest{QR: badQR}, nil, false, "qr_mismatch", "none", false},
				{"QR missing fields", hospital, CheckInRequest{QR: f.pin + "||An"}, ErrInvalidQR, false, "", "", false},
				{"neither", hospital, CheckInRequest{}, ErrInvalid, false, "", "", false},
				{"a bank", bank, CheckInRequest{QR: f.qr(t, f.pin)}, ErrForbidden, false, "", "", false},
				{"no grant", auth.Principal{ID: "x", Kind: auth.KindClient, Agency: "moh"}, CheckInRequest{QR: f.qr(t, f.pin)}, ErrForbidden, false, "", "", false},
				{"the admin", auth.Admin, CheckInRequest{QR: f.qr(t, f.pin)}, ErrForbidden, false, "", "", false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					f.rec.Take()
					a, err := f.svc.CheckIn(ctx, tt.p, tt.req, "req-1")
					if tt.wantErr != nil {
						if !errors.Is(err, tt.wantErr) {
							t.Fatalf("CheckIn error = %v, want %v", err, tt.wantErr)
						}
						if n := len(f.rec.Take()); n != 0 {
							t.Errorf("%d accesses recorded for a refused check-in", n)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if a.Accepted != tt.accepted || a.Reason != tt.reason || a.InsuranceStatus != tt.insurance {
						t.Fatalf("answer = %+v", a)
					}
					logged := f.rec.Take()
					if tt.accepted {
						if a.Patient["pin"] == nil || a.Patient["full_name"] == nil || a.Patient["permanent_residence"] != nil {
							t.Errorf("patient fields = %v, want the grant's", keys(a.Patient))
						}
						if (a.Insurance != nil) != tt.withDetails || a.CheckInID == "" {
							t.Errorf("insurance details %v, id %q", a.Insurance, a.CheckInID)
						}
						if len(logged) != 1 || logged[0].PIN != f.pin || logged[0].Purpose != PurposeCheckIn || logged[0].Agency != "bv-bachmai" {
							t.Errorf("access log = %+v", logged)
						}
					}
				})
			}
			b, err := f.svc.Book(ctx, f.pin)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.CheckIns) != 2 || len(b.Insurance) != 1 || !b.Insurance[0].Valid {
				t.Errorf("book after check-ins: %+v", b)
			}
			// A lost card is refused, and the refusal is recorded (it told the facility the status).
			if _, err := f.cards.SetStatus(ctx, f.pin, 0, card.StatusLost, "báo mất", "admin"); err != nil {
				t.Fatal(err)
			}
			a, err := f.svc.CheckIn(ctx, hospital, CheckInRequest{Chip: f.chip(t, f.pin)}, "req-2")
			if err != nil || a.Accepted || a.Reason != "card_lost" || len(f.rec.Take()) != 1 {
				t.Errorf("lost card: %+v, %v", a, err)
			}
			stats, err := f.svc.Stats(ctx, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			want := Stats{RegisteredFacilities: 2, ChipFacilities: 1, ChipShare: 0.5, Facilities: 1, CheckIns: 2, PeopleServed: 1, ChipPeopleServed: 1}
			if *stats != want {
				t.Errorf("Stats = %+v, want %+v", *stats, want)
			}
		})
	}
}

// ErrInvalidQR stands for a *qr.Error in the table.
var ErrInvalidQR = qr.ErrInvalid

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestService_BookAndCoverage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, backends(t)["sqlite"])
	for i, v := range []struct{ pin, vaccine, dose, date string }{
		{f.pin, "mmr", "1", "2020-03-01"}, {f.pin, "mmr", "2", "2021-03-01"}, {f.pin, "bcg", "1", "2019-01-10"},
	} {
		f.put(t, "moh-tcmr", fmt.Sprint("v", i), v.pin, map[string]string{"vaccine": v.vaccine, "dose": v.dose, "date": v.date, "facility": "01001", "lot": "L-1"})
	}
	f.put(t, "moh-visits", "visit-1", f.pin, map[string]string{"date": "2025-05-02", "facility": "01001", "type": "outpatient", "diagnosis": "J06.9", "summary": "Viêm họng"})
	b, err := f.svc.Book(ctx, f.pin)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Vaccinations) != 3 || b.Vaccinations[0].Vaccine != "bcg" || b.Vaccinations[2].Dose != 2 || len(b.Visits) != 1 || b.Visits[0].Diagnosis != "J06.9" {
		t.Errorf("Book = %+v", b)
	}
	cov, err := f.svc.Coverage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.VaccineDoses{{Vaccine: "bcg", Doses: 1, People: 1}, {Vaccine: "mmr", Doses: 2, People: 1}}
	if fmt.Sprint(cov) != fmt.Sprint(want) {
		t.Errorf("Coverage = %v, want %v", cov, want)
	}
}

type fakeSessions struct {
	c  Citizen
	ok bool
}

func (f fakeSessions) Current(*http.Request) (Citizen, bool) { return f.c, f.ok }

func TestService_PortalHandler(t *testing.T) {
	f := newFixture(t, backends(t)["sqlite"])
	f.put(t, "moh-tcmr", "v1", f.pin, map[string]string{"vaccine": "measles", "dose": "1", "date": "2020-03-01", "facility": "01001"})
	tests := []struct {
		name     string
		sess     fakeSessions
		code     int
		contains string
	}{
		{"signed out", fakeSessions{}, http.StatusSeeOther, ""},
		{"level 1", fakeSessions{Citizen{PIN: f.pin, Level: 1}, true}, http.StatusForbidden, "mức độ 2"},
		{"level 2", fakeSessions{Citizen{PIN: f.pin, Level: 2}, true}, http.StatusOK, "measles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			f.svc.PortalHandler(tt.sess, nil).ServeHTTP(w, httptest.NewRequest(http.MethodGet, PortalPath+"?x=1", nil))
			if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.contains) {
				t.Fatalf("code %d, body %.300s", w.Code, w.Body.String())
			}
			if tt.code == http.StatusSeeOther && w.Header().Get("Location") != "/portal/signin?next=%2Fportal%2Fhealth%3Fx%3D1" {
				t.Errorf("Location = %s", w.Header().Get("Location"))
			}
		})
	}
	// The citizen's own reads are not recorded (only the dataset write is).
	for _, a := range f.rec.Take() {
		if a.Action == "read" {
			t.Errorf("a citizen's read was recorded: %+v", a)
		}
	}
}

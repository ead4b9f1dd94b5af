package health

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/card"
	"github.com/dancu/dancu/internal/card/verify"
	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// The dataset kinds of the health book.
const (
	KindVaccination = "vaccination"
	KindInsurance   = "health-insurance"
	KindVisit       = "health-visit"
)

// PurposeCheckIn is the purpose a facility's grant must name to check
// patients in.
const PurposeCheckIn = "health.checkin"

// FacilityKind is the agency kind of health facilities.
const FacilityKind = "hospital"

// Store is what the health book reads and writes.
type Store interface {
	store.Datasets
	store.Health
}

// Datasets finds the datasets of a kind. *dataset.Service provides it.
type Datasets interface {
	ByKind(ctx context.Context, kind string) ([]dataset.Dataset, error)
}

// Cards verifies chip data and answers card status. *card.Service
// provides it.
type Cards interface {
	Verify(ctx context.Context, c card.ChipData) (*card.Verified, *verify.Result, error)
	Cards(ctx context.Context, pin string) ([]card.Card, error)
}

// Exchange says which agencies exist and what they may do.
// *exchange.Service provides it.
type Exchange interface {
	Agency(ctx context.Context, id string) (*exchange.Agency, error)
	Agencies(ctx context.Context) ([]exchange.Agency, error)
	Grants(ctx context.Context, agency string) ([]exchange.Grant, error)
}

// Service is the health book and the check-in desk. It is safe for
// concurrent use and keeps no state of its own.
type Service struct {
	st    Store
	ds    Datasets
	cards Cards
	ex    Exchange
	reg   *registry.Registry
	rec   audit.Recorder
	log   *slog.Logger
	now   func() time.Time
}

// Deps are the service's dependencies; Store and Datasets are required,
// the rest serve check-ins.
type Deps struct {
	Store    Store
	Datasets Datasets
	Cards    Cards
	Exchange Exchange
	Registry *registry.Registry
	Recorder audit.Recorder
	Logger   *slog.Logger
	Now      func() time.Time
}

// New returns the service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{st: d.Store, ds: d.Datasets, cards: d.Cards, ex: d.Exchange, reg: d.Registry, rec: d.Recorder, log: d.Logger, now: d.Now}
}

// Vaccination is one dose given.
type Vaccination struct {
	Vaccine  string `json:"vaccine"`
	Dose     int    `json:"dose"`
	Date     string `json:"date"`
	Facility string `json:"facility"`
	Lot      string `json:"lot,omitempty"`
	Source   string `json:"source" doc:"The agency that recorded it."`
}

// Insurance is a health insurance card.
type Insurance struct {
	CardNumber string `json:"card_number"`
	ValidFrom  string `json:"valid_from"`
	ValidTo    string `json:"valid_to"`
	Facility   string `json:"facility" doc:"The registered first-contact facility (nơi đăng ký KCB ban đầu)."`
	Valid      bool   `json:"valid" doc:"Whether it is valid today."`
	Source     string `json:"source"`
}

// Visit is a visit summary.
type Visit struct {
	Date      string `json:"date"`
	Facility  string `json:"facility"`
	Type      string `json:"type"`
	Diagnosis string `json:"diagnosis,omitempty"`
	Summary   string `json:"summary,omitempty"`
	Source    string `json:"source"`
}

// CheckIn is a check-in at a facility.
type CheckIn struct {
	ID        string    `json:"id"`
	Facility  string    `json:"facility"`
	At        time.Time `json:"at"`
	Method    string    `json:"method" enum:"chip,qr"`
	Insurance string    `json:"insurance" enum:"valid,expired,none"`
}

// Book is a person's electronic health book.
type Book struct {
	PIN          string        `json:"pin"`
	Insurance    []Insurance   `json:"insurance"`
	Vaccinations []Vaccination `json:"vaccinations"`
	Visits       []Visit       `json:"visits"`
	CheckIns     []CheckIn     `json:"check_ins"`
}

func (s *Service) today() string { return registry.DateOf(s.now().In(registry.Vietnam)).String() }

// records returns a person's records in every dataset of a kind, and the
// names of those datasets.
func (s *Service) records(ctx context.Context, kind, pin string) ([]store.DatasetRecord, []string, error) {
	ds, err := s.ds.ByKind(ctx, kind)
	if err != nil {
		return nil, nil, err
	}
	var out []store.DatasetRecord
	var names []string
	for _, d := range ds {
		rs, err := s.st.DatasetRecordsByPIN(ctx, d.Name, pin)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, rs...)
		names = append(names, d.Name)
	}
	return out, names, nil
}

func attrs(r store.DatasetRecord) map[string]string {
	var m map[string]string
	if err := json.Unmarshal(r.Data, &m); err != nil {
		return map[string]string{}
	}
	return m
}

// insurance returns a person's insurance cards, the valid ones first, and
// the datasets read.
func (s *Service) insurance(ctx context.Context, pin string) ([]Insurance, []string, error) {
	rs, names, err := s.records(ctx, KindInsurance, pin)
	if err != nil {
		return nil, nil, err
	}
	today := s.today()
	out := make([]Insurance, 0, len(rs))
	for _, r := range rs {
		a := attrs(r)
		out = append(out, Insurance{CardNumber: a["card_number"], ValidFrom: a["valid_from"], ValidTo: a["valid_to"],
			Facility: a["facility"], Valid: a["valid_from"] <= today && today <= a["valid_to"], Source: r.Source})
	}
	slices.SortStableFunc(out, func(x, y Insurance) int {
		switch {
		case x.Valid != y.Valid:
			if x.Valid {
				return -1
			}
			return 1
		case x.ValidTo > y.ValidTo:
			return -1
		case x.ValidTo < y.ValidTo:
			return 1
		}
		return 0
	})
	return out, names, nil
}

// Book returns a person's health book. It records nothing: the caller
// records the access (a citizen reading their own book is not recorded).
func (s *Service) Book(ctx context.Context, pin string) (*Book, error) {
	b := &Book{PIN: pin, Insurance: []Insurance{}, Vaccinations: []Vaccination{}, Visits: []Visit{}, CheckIns: []CheckIn{}}
	var err error
	if b.Insurance, _, err = s.insurance(ctx, pin); err != nil {
		return nil, err
	}
	vs, _, err := s.records(ctx, KindVaccination, pin)
	if err != nil {
		return nil, err
	}
	for _, r := range vs {
		a := attrs(r)
		dose, _ := strconv.Atoi(a["dose"])
		b.Vaccinations = append(b.Vaccinations, Vaccination{Vaccine: a["vaccine"], Dose: dose, Date: a["date"], Facility: a["facility"], Lot: a["lot"], Source: r.Source})
	}
	slices.SortFunc(b.Vaccinations, func(x, y Vaccination) int {
		if x.Date != y.Date {
			return cmpStr(x.Date, y.Date)
		}
		return cmpStr(x.Vaccine, y.Vaccine)
	})
	visits, _, err := s.records(ctx, KindVisit, pin)
	if err != nil {
		return nil, err
	}
	for _, r := range visits {
		a := attrs(r)
		b.Visits = append(b.Visits, Visit{Date: a["date"], Facility: a["facility"], Type: a["type"], Diagnosis: a["diagnosis"], Summary: a["summary"], Source: r.Source})
	}
	slices.SortFunc(b.Visits, func(x, y Visit) int { return cmpStr(y.Date, x.Date) })
	cs, err := s.st.CheckInsByPIN(ctx, pin, 50)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		b.CheckIns = append(b.CheckIns, CheckIn{ID: c.ID, Facility: c.Facility, At: c.At, Method: c.Method, Insurance: c.Insurance})
	}
	return b, nil
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Coverage counts people by vaccine and number of doses received, over
// every vaccination dataset: what the coverage indicators need.
func (s *Service) Coverage(ctx context.Context) ([]store.VaccineDoses, error) {
	ds, err := s.ds.ByKind(ctx, KindVaccination)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name
	}
	out, err := s.st.VaccinationDoses(ctx, names)
	if out == nil {
		out = []store.VaccineDoses{}
	}
	return out, err
}

// Stats are the check-in counts for the statistics.
type Stats struct {
	// RegisteredFacilities are the active agencies of kind hospital with an
	// active grant for health.checkin.
	RegisteredFacilities int64 `json:"registered_facilities"`
	// ChipFacilities checked at least one patient in with the chip since.
	ChipFacilities int64 `json:"chip_facilities"`
	// ChipShare is ChipFacilities over RegisteredFacilities, 0 to 1.
	ChipShare        float64   `json:"chip_share"`
	Facilities       int64     `json:"facilities" doc:"Facilities with any check-in since."`
	CheckIns         int64     `json:"check_ins"`
	PeopleServed     int64     `json:"people_served" doc:"Distinct people checked in since."`
	ChipPeopleServed int64     `json:"chip_people_served" doc:"Distinct people checked in with the chip since."`
	Since            time.Time `json:"since,omitzero"`
}

// Stats counts check-ins since a time (zero: ever) and the registered
// facilities.
func (s *Service) Stats(ctx context.Context, since time.Time) (*Stats, error) {
	c, err := s.st.CheckInCounts(ctx, since)
	if err != nil {
		return nil, err
	}
	st := &Stats{ChipFacilities: c.ChipFacilities, Facilities: c.Facilities, CheckIns: c.CheckIns,
		PeopleServed: c.PeopleServed, ChipPeopleServed: c.ChipPeopleServed, Since: since}
	if s.ex != nil {
		as, err := s.ex.Agencies(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if a.Kind != FacilityKind || a.Status != exchange.Active {
				continue
			}
			gs, err := s.ex.Grants(ctx, a.ID)
			if err != nil {
				return nil, err
			}
			if exchange.Evaluate(gs, exchange.Request{Agency: a.ID, Purpose: PurposeCheckIn}).Allow {
				st.RegisteredFacilities++
			}
		}
	}
	if st.RegisteredFacilities > 0 {
		st.ChipShare = float64(st.ChipFacilities) / float64(st.RegisteredFacilities)
	}
	return st, nil
}

func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return "chk_" + hex.EncodeToString(b[:])
}

// Errors of check-ins, mapped to HTTP statuses by the handlers.
var (
	ErrForbidden   = errors.New("health: not a registered health facility for check-ins")
	ErrInvalid     = errors.New("health: invalid check-in")
	ErrUnavailable = errors.New("health: the access could not be recorded")
)

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

package health

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/card"
	"github.com/dancu/dancu/internal/card/qr"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/vntext"
)

// CheckInRequest is what a facility's reader sends: the chip data, or the
// QR payload when the chip cannot be read.
type CheckInRequest struct {
	Chip *card.ChipData `json:"chip,omitempty" doc:"The chip's DG1, DG13 (and DG2) and EF.SOD."`
	QR   string         `json:"qr,omitempty" maxLength:"2048" doc:"The QR payload, when the chip is not read."`
	// FacilityCode is the 5-digit code of the facility where the patient
	// is, to say whether it is the card's registered first-contact one.
	FacilityCode string `json:"facility_code,omitempty" pattern:"^[0-9]{5}$"`
	CaseRef      string `json:"case_reference,omitempty" maxLength:"100"`
}

// CheckInAnswer is what the facility may know.
type CheckInAnswer struct {
	Accepted bool `json:"accepted" doc:"Whether the patient was checked in."`
	// Reason says why not: a failed verification reason (data_group_tampered,
	// ds_revoked, ...), qr_mismatch, or the card's status (card_lost,
	// card_revoked, card_replaced, card_expired, no_card).
	Reason    string `json:"reason,omitempty"`
	CheckInID string `json:"check_in_id,omitempty"`
	Method    string `json:"method" enum:"chip,qr"`
	// Verified says the identity was proven by passive authentication of
	// the chip (false for a QR payload, which only identifies the card).
	Verified   bool   `json:"verified"`
	CardStatus string `json:"card_status,omitempty"`
	// Patient holds the registry fields the facility's grant releases.
	Patient map[string]json.RawMessage `json:"patient,omitempty"`
	// Insurance is the card found, when the grant lists the insurance
	// dataset; InsuranceStatus is always given.
	InsuranceStatus string     `json:"insurance_status" enum:"valid,expired,none"`
	Insurance       *Insurance `json:"insurance,omitempty"`
	// FirstContact says whether this facility is the card's registered
	// first-contact facility (when facility_code was given).
	FirstContact *bool `json:"first_contact_facility,omitempty"`
}

// facilityGrant checks that p is a client of an active hospital agency
// with an active grant for check-ins, and returns the decision.
func (s *Service) facilityGrant(ctx context.Context, p auth.Principal) (exchange.Decision, error) {
	if p.Kind != auth.KindClient || p.Agency == "" || s.ex == nil {
		return exchange.Decision{}, ErrForbidden
	}
	a, err := s.ex.Agency(ctx, p.Agency)
	if errors.Is(err, store.ErrNotFound) {
		return exchange.Decision{}, ErrForbidden
	}
	if err != nil {
		return exchange.Decision{}, err
	}
	if a.Kind != FacilityKind || a.Status != exchange.Active {
		return exchange.Decision{}, ErrForbidden
	}
	gs, err := s.ex.Grants(ctx, p.Agency)
	if err != nil {
		return exchange.Decision{}, err
	}
	d := exchange.Evaluate(gs, exchange.Request{Agency: p.Agency, Purpose: PurposeCheckIn})
	if !d.Allow {
		return d, ErrForbidden
	}
	return d, nil
}

// identify finds the patient's PIN and the card's issue date from the
// request, verifying chip data.
func (s *Service) identify(ctx context.Context, req CheckInRequest, ans *CheckInAnswer) (pin, issueDate string, err error) {
	switch {
	case req.Chip != nil && req.QR != "":
		return "", "", invalidf("give chip or qr, not both")
	case req.Chip != nil:
		ans.Method = "chip"
		v, res, err := s.cards.Verify(ctx, *req.Chip)
		if err != nil {
			return "", "", err
		}
		if !v.Valid {
			ans.Reason = v.Reason
			return "", "", nil
		}
		ans.Verified = true
		if res.DG13 == nil {
			return "", "", invalidf("chip: DG13 is required for a check-in")
		}
		return res.DG13.PIN, card.ISODate(res.DG13.IssueDate), nil
	case req.QR != "":
		ans.Method = "qr"
		p, err := qr.Parse(req.QR)
		if err != nil {
			return "", "", err
		}
		// The payload is not signed: it must agree with the registry.
		rec, err := s.reg.Person(ctx, p.PIN, registry.Date{})
		if err != nil {
			var re *registry.Error
			if errors.As(err, &re) && re.Kind == registry.NotFound {
				ans.Reason = "qr_mismatch"
				return "", "", nil
			}
			return "", "", err
		}
		if vntext.Key(rec.Person.FullName) != vntext.Key(p.FullName) || rec.Person.BirthDate.String() != p.BirthDate ||
			string(rec.Person.Sex) != p.Sex {
			ans.Reason = "qr_mismatch"
			return "", "", nil
		}
		return p.PIN, p.IssueDate, nil
	}
	return "", "", invalidf("chip or qr is required")
}

// CheckIn checks a patient in at the facility of principal p.
func (s *Service) CheckIn(ctx context.Context, p auth.Principal, req CheckInRequest, requestID string) (*CheckInAnswer, error) {
	d, err := s.facilityGrant(ctx, p)
	if err != nil {
		return nil, err
	}
	ans := &CheckInAnswer{InsuranceStatus: "none"}
	pin, issueDate, err := s.identify(ctx, req, ans)
	if err != nil || ans.Reason != "" {
		return ans, err
	}
	// The card shown must be the person's card in force.
	cs, err := s.cards.Cards(ctx, pin)
	if err != nil {
		return nil, err
	}
	var shown *card.Card
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i].IssueDate == issueDate {
			shown = &cs[i]
			break
		}
	}
	fields := []string{card.FieldDocuments}
	record := func() error {
		if s.rec == nil {
			return ErrUnavailable
		}
		err := s.rec.Record(ctx, audit.Access{ActorKind: p.Kind, Actor: p.ID, Agency: p.Agency, Purpose: PurposeCheckIn,
			CaseRef: req.CaseRef, PIN: pin, Fields: fields, Action: "read", RequestID: requestID})
		if err != nil {
			s.log.ErrorContext(ctx, "health: access log refused a record", "request_id", requestID, "error", err)
			return ErrUnavailable
		}
		return nil
	}
	if shown == nil {
		ans.Reason, ans.CardStatus = "no_card", ""
		return ans, record()
	}
	ans.CardStatus = shown.Status
	if shown.Status != card.StatusValid {
		ans.Reason = "card_" + shown.Status
		return ans, record()
	}

	ins, insDatasets, err := s.insurance(ctx, pin)
	if err != nil {
		return nil, err
	}
	if len(ins) > 0 {
		ans.InsuranceStatus = "expired"
		if ins[0].Valid {
			ans.InsuranceStatus = "valid"
		}
		// The card's details only where the grant lists an insurance
		// dataset; the status alone otherwise.
		for _, n := range insDatasets {
			if slices.Contains(d.Grant.Datasets, n) {
				in := ins[0]
				ans.Insurance = &in
				fields = append(fields, "dataset:"+n)
				break
			}
		}
		if req.FacilityCode != "" {
			fc := ins[0].Facility == req.FacilityCode
			ans.FirstContact = &fc
		}
	}
	rec, err := s.reg.Person(ctx, pin, registry.Date{})
	if err != nil {
		return nil, err
	}
	if ans.Patient, err = exchange.FilterPerson(rec.Person, d.Fields); err != nil {
		return nil, err
	}
	fields = append(fields, exchange.Released(d)...)
	// Recorded before the answer and before the visit: an access that
	// cannot be accounted for must not happen.
	if err := record(); err != nil {
		return nil, err
	}
	id := newID()
	if err := s.st.PutCheckIn(ctx, store.CheckIn{ID: id, Facility: p.Agency, PIN: pin, At: s.now().UTC(),
		Method: ans.Method, Insurance: ans.InsuranceStatus, Actor: p.ID}); err != nil {
		return nil, err
	}
	ans.Accepted, ans.CheckInID = true, id
	return ans, nil
}

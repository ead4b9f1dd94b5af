package services

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
)

// transition changes a dossier in one transaction: it reads the current
// version (locking it), refuses with StaleError if it is not version (0
// accepts any), lets mutate change it, writes version + 1 and a
// notification of kind to the applicant.
func (s *Service) transition(ctx context.Context, code string, version int64, kind string, mutate func(d *Dossier, now time.Time) error) (*Dossier, error) {
	var out *Dossier
	err := s.st.Update(ctx, func(tx store.Tx) error {
		var err error
		out, err = s.mutateTx(ctx, tx, code, version, kind, mutate)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(KindNotFound, "code", "no such dossier")
	}
	if err != nil {
		return nil, err
	}
	s.text(ctx, out, kind)
	return out, nil
}

func (s *Service) mutateTx(ctx context.Context, tx store.Tx, code string, version int64, kind string, mutate func(d *Dossier, now time.Time) error) (*Dossier, error) {
	row, err := tx.Dossier(ctx, code)
	if err != nil {
		return nil, err
	}
	d, err := decode(row)
	if err != nil {
		return nil, err
	}
	if version != 0 && d.Version != version {
		return nil, &StaleError{Current: d}
	}
	now := s.clock()
	if err := mutate(d, now); err != nil {
		return nil, err
	}
	d.Version++
	next, err := d.row()
	if err != nil {
		return nil, err
	}
	next.IdemKey = row.IdemKey
	if err := tx.PutDossier(ctx, next); err != nil {
		return nil, err
	}
	if err := tx.Notify(ctx, store.NotificationRow{PIN: d.ApplicantPIN, Dossier: d.Code, Kind: kind, CreatedAt: now}); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Dossier) step(now time.Time, status, actor, note string) {
	d.Status = status
	d.History = append(d.History, Step{At: now, Status: status, Actor: actor, Note: note})
	if status == Approved || status == Rejected || status == Withdrawn {
		d.ClosedAt = now
	}
}

func wrongStatus(d *Dossier, action string) error {
	return refuse(KindConflict, "status", "a dossier that is %s cannot be %s", d.Status, action)
}

// checkNote validates free text an officer or a citizen writes.
func checkNote(field, note string, required bool) (string, error) {
	note = strings.TrimSpace(note)
	if required && note == "" {
		return "", refuse(KindInvalid, field, "required")
	}
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > 1000 {
		return "", refuse(KindInvalid, field, "at most 1000 characters")
	}
	return note, nil
}

// Respond answers an officer's request for more information: a note and
// further attachments. The clock restarts, extended by the working days it
// was paused.
func (s *Service) Respond(ctx context.Context, c Citizen, code string, version int64, note string, ups []Upload) (*Dossier, error) {
	d, err := s.Mine(ctx, c, code)
	if err != nil {
		return nil, err
	}
	if note, err = checkNote("note", note, len(ups) == 0); err != nil {
		return nil, err
	}
	p, _, err := s.cat.Procedure(ctx, d.Procedure)
	if err != nil {
		return nil, err
	}
	var out *Dossier
	err = s.st.Update(ctx, func(tx store.Tx) error {
		var atts []store.AttachmentRow
		var err error
		out, err = s.mutateTx(ctx, tx, code, version, InProgress, func(d *Dossier, now time.Time) error {
			if d.Status != InfoRequested {
				return wrongStatus(d, "answered")
			}
			if atts, err = s.attachments(p, d, ups, now, false); err != nil {
				return err
			}
			paused := s.cal.Between(d.PausedAt, now)
			d.DueAt = s.cal.Extend(d.DueAt, paused)
			d.Appointment = d.DueAt.Add(-time.Nanosecond).In(registry.Vietnam).Format(time.DateOnly)
			d.PausedAt, d.InfoRequest = time.Time{}, ""
			d.step(now, InProgress, "citizen", note)
			return nil
		})
		if err != nil {
			return err
		}
		for _, a := range atts {
			if err := tx.PutAttachment(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.text(ctx, out, InProgress)
	return out, nil
}

// Withdraw ends a dossier at the applicant's request while it is open.
func (s *Service) Withdraw(ctx context.Context, c Citizen, code string, version int64) (*Dossier, error) {
	if _, err := s.Mine(ctx, c, code); err != nil {
		return nil, err
	}
	return s.transition(ctx, code, version, Withdrawn, func(d *Dossier, now time.Time) error {
		if !d.Open() {
			return wrongStatus(d, "withdrawn")
		}
		d.step(now, Withdrawn, "citizen", "")
		return nil
	})
}

// authorizeOfficer checks that o may process dossiers of the unit.
func authorizeOfficer(o *staff.Account, u Unit) error {
	if err := staff.Authorize(o, staff.ProcessDossier, []staff.Unit{{Province: u.Province, Commune: u.Commune}}); err != nil {
		return refuse(KindForbidden, "", "the dossier is handled by a unit outside the officer's scope")
	}
	return nil
}

// officerDossier reads a dossier for an officer: checks the scope and
// records in the access log, before anything is returned, that the officer
// saw the applicant's and the subject's data.
func (s *Service) officerDossier(ctx context.Context, o *staff.Account, code, action string) (*Dossier, error) {
	d, err := s.get(ctx, code)
	if err != nil {
		return nil, err
	}
	if err := authorizeOfficer(o, d.Authority); err != nil {
		return nil, err
	}
	var acc []audit.Access
	for _, p := range []string{d.ApplicantPIN, d.SubjectPIN} {
		if p != "" && (len(acc) == 0 || acc[0].PIN != p) {
			acc = append(acc, audit.Access{ActorKind: "staff", Actor: o.ID, PIN: p, Fields: []string{"dossier:" + d.Procedure},
				Action: action, CaseRef: d.Code, Purpose: "public_service"})
		}
	}
	if err := s.rec.Record(ctx, acc...); err != nil {
		return nil, err
	}
	return d, nil
}

// View returns a dossier to an officer of its unit.
func (s *Service) View(ctx context.Context, o *staff.Account, code string) (*Dossier, error) {
	return s.officerDossier(ctx, o, code, "read")
}

// Attachment returns an attachment to an officer of the dossier's unit.
func (s *Service) Attachment(ctx context.Context, o *staff.Account, code, id string) (store.AttachmentRow, error) {
	if _, err := s.officerDossier(ctx, o, code, "read"); err != nil {
		return store.AttachmentRow{}, err
	}
	return s.attachment(ctx, code, id)
}

// Accept takes a submitted dossier into processing.
func (s *Service) Accept(ctx context.Context, o *staff.Account, code string, version int64) (*Dossier, error) {
	if _, err := s.officerDossier(ctx, o, code, "read"); err != nil {
		return nil, err
	}
	return s.transition(ctx, code, version, InProgress, func(d *Dossier, now time.Time) error {
		if d.Status != Submitted {
			return wrongStatus(d, "accepted")
		}
		d.Officer = o.ID
		d.step(now, InProgress, o.ID, "")
		return nil
	})
}

// RequestInfo asks the applicant for more information; the deadline's clock
// stops until they answer.
func (s *Service) RequestInfo(ctx context.Context, o *staff.Account, code string, version int64, request string) (*Dossier, error) {
	request, err := checkNote("request", request, true)
	if err != nil {
		return nil, err
	}
	if _, err := s.officerDossier(ctx, o, code, "read"); err != nil {
		return nil, err
	}
	return s.transition(ctx, code, version, InfoRequested, func(d *Dossier, now time.Time) error {
		if d.Status != Submitted && d.Status != InProgress {
			return wrongStatus(d, "sent back for information")
		}
		d.PausedAt, d.InfoRequest = now, request
		d.step(now, InfoRequested, o.ID, request)
		return nil
	})
}

// Reject closes a dossier with the reason the applicant is told.
func (s *Service) Reject(ctx context.Context, o *staff.Account, code string, version int64, reason string) (*Dossier, error) {
	reason, err := checkNote("reason", reason, true)
	if err != nil {
		return nil, err
	}
	if _, err := s.officerDossier(ctx, o, code, "read"); err != nil {
		return nil, err
	}
	return s.transition(ctx, code, version, Rejected, func(d *Dossier, now time.Time) error {
		if !d.Open() {
			return wrongStatus(d, "rejected")
		}
		d.Reason = reason
		d.step(now, Rejected, o.ID, reason)
		return nil
	})
}

// Decision is what an officer adds when approving: a note, who heads a
// household the subject leaves as its head (a death or a move), and for a
// birth, why the people the registry found on record are not the child.
type Decision struct {
	Note       string
	NewHeadPIN string
	// NotDuplicateReason declares, for a birth registration the registry
	// refused because the child may already be on record, that the
	// officer checked the candidates and they are other people (the
	// event's confirm_not_duplicate, with this as its reason).
	NotDuplicateReason string
}

// Approve decides a dossier in the applicant's favour. For a procedure with
// a life event, the event is applied to the registry in the same
// transaction as the dossier's change, exactly once (the event's id is
// derived from the dossier), so it reaches the agencies' feeds with it. A
// dossier whose person has died, moved or changed household since
// submission is refused with the reason.
func (s *Service) Approve(ctx context.Context, o *staff.Account, code string, version int64, dec Decision) (*Dossier, error) {
	note, err := checkNote("note", dec.Note, false)
	if err != nil {
		return nil, err
	}
	d, err := s.officerDossier(ctx, o, code, "write")
	if err != nil {
		return nil, err
	}
	if version != 0 && d.Version != version {
		return nil, &StaleError{Current: d}
	}
	if d.Status != InProgress {
		return nil, wrongStatus(d, "approved")
	}
	p, _, err := s.cat.Procedure(ctx, d.Procedure)
	if err != nil {
		return nil, err
	}
	mutate := func(d *Dossier, now time.Time) error {
		if d.Status != InProgress {
			return wrongStatus(d, "approved")
		}
		d.Reason = note
		d.step(now, Approved, o.ID, note)
		return nil
	}
	if p.Event == "" {
		return s.transition(ctx, code, d.Version, Approved, mutate)
	}
	ifMatch, err := s.preconditions(ctx, d)
	if err != nil {
		return nil, err
	}
	ev, err := eventFor(p, d, dec, s.reg.Today())
	if err != nil {
		return nil, err
	}
	var out *Dossier
	_, err = s.reg.Submit(ctx, registry.Submission{
		Event: ev, Actor: o.ID, IfMatch: ifMatch, Authorize: eventAuthorizer(o, d.Authority),
		Within: func(ctx context.Context, tx store.Tx, res *registry.Result) error {
			var err error
			out, err = s.mutateTx(ctx, tx, code, d.Version, Approved, func(d *Dossier, now time.Time) error {
				if err := mutate(d, now); err != nil {
					return err
				}
				d.EventID, d.NewPIN = res.EventID, res.PIN
				return nil
			})
			return err
		},
	})
	switch registry.KindOf(err) {
	case 0:
	case registry.Stale:
		return nil, refuse(KindConflict, "", "the person's record changed while the dossier was being approved; open it again")
	case registry.Forbidden:
		return nil, refuse(KindForbidden, "", "the change concerns people outside the officer's units")
	default:
		var re *registry.Error
		errors.As(err, &re)
		if len(re.Duplicates) > 0 {
			return nil, refuse(KindConflict, "not_duplicate_reason", "the child may already be on record (%d people found alike): "+
				"search the registry by the child's name and date of birth; if they are other people, approve again stating why", len(re.Duplicates))
		}
		return nil, refuse(KindConflict, strings.TrimPrefix(re.Field, "data."), "the registry refuses the change: %s", re.Reason)
	}
	if err != nil {
		return nil, err
	}
	s.text(ctx, out, Approved)
	return out, nil
}

// eventAuthorizer is the registry's check of the officer's scope for an
// approval's event: the units the registry places the event in, or the
// unit that handles the dossier (a temporary residence is registered by the
// commune of the temporary residence, which the registry does not place the
// event in).
func eventAuthorizer(o *staff.Account, u Unit) func([]registry.UnitRef) error {
	return func(refs []registry.UnitRef) error {
		targets := []staff.Unit{{Province: u.Province, Commune: u.Commune}}
		for _, r := range refs {
			targets = append(targets, staff.Unit{Province: r.Province, Commune: r.Commune})
		}
		return staff.Authorize(o, staff.SubmitEvent, targets)
	}
}

// preconditions compares the registry with the snapshot taken at
// submission and returns the version of the subject's record that the
// event must find (0 when there is no subject).
func (s *Service) preconditions(ctx context.Context, d *Dossier) (int64, error) {
	sn := d.Snapshot
	rec, err := s.reg.Person(ctx, sn.PIN, registry.Date{})
	if err != nil {
		return 0, err
	}
	p := rec.Person
	switch {
	case p.Status.State != registry.Alive:
		return 0, refuse(KindConflict, "", "the person concerned has since died or been declared missing")
	case snapshotOf(p).Commune != sn.Commune || snapshotOf(p).Address != sn.Address || snapshotOf(p).Province != sn.Province:
		return 0, refuse(KindConflict, "", "the person concerned has since moved: the permanent residence is not the one the dossier was filed with")
	case p.HouseholdID != sn.HouseholdID:
		return 0, refuse(KindConflict, "", "the person concerned has since changed household")
	}
	if sn.TargetHousehold != "" {
		h, err := s.reg.Household(ctx, sn.TargetHousehold)
		if err != nil {
			return 0, err
		}
		if h.Household.Head != sn.TargetHead {
			return 0, refuse(KindConflict, "", "the household to join has since changed (dissolved or a new head)")
		}
	}
	if d.SubjectPIN == "" {
		return 0, nil // a birth: the snapshot is the parent's, not an event subject
	}
	return rec.Version, nil
}

// eventFor builds the life event an approval applies.
func eventFor(p Procedure, d *Dossier, dec Decision, today registry.Date) (registry.Event, error) {
	f := d.Fields
	ev := registry.Event{
		ID: "dossier-" + d.Code, Type: p.Event, Subject: d.SubjectPIN, EffectiveDate: today,
		Reason: fmt.Sprintf("Hồ sơ %s; %s", d.Code, p.LegalBasis),
	}
	var data any
	switch p.Code {
	case "permanent_residence_registration":
		m := map[string]any{}
		if f["household_id"] != "" {
			m["household_id"], m["relationship"] = f["household_id"], f["relationship"]
		} else {
			m["province"], m["commune"], m["address"] = f["province"], f["commune"], f["address"]
		}
		if dec.NewHeadPIN != "" {
			m["left_household"] = map[string]any{"new_head_pin": dec.NewHeadPIN}
		}
		data = m
	case "temporary_residence_registration":
		m := map[string]any{"province": f["province"], "commune": f["commune"], "address": f["address"]}
		if f["valid_to"] != "" {
			m["valid_to"] = f["valid_to"]
		}
		data = m
	case "temporary_absence_declaration":
		m := map[string]any{"destination": f["destination"]}
		if f["to"] != "" {
			m["to"] = f["to"]
		}
		data = m
	case "birth_registration":
		parent, other := "mother_pin", "father_pin"
		if d.Snapshot.PIN != "" && isMale(d.Snapshot.PIN) {
			parent, other = other, parent
		}
		m := map[string]any{
			"full_name": f["child_full_name"], "birth_date": f["child_birth_date"], "sex": f["child_sex"],
			"place_of_birth":     map[string]any{"text": f["place_of_birth"]},
			"registration_place": map[string]any{"province": d.Authority.Province, "commune": d.Authority.Commune},
			"ethnicity":          f["ethnicity"], parent: d.ApplicantPIN, "household_id": d.Snapshot.HouseholdID,
		}
		if f["other_parent_pin"] != "" {
			m[other] = f["other_parent_pin"]
		}
		if r := strings.TrimSpace(dec.NotDuplicateReason); r != "" {
			m["confirm_not_duplicate"], m["not_duplicate_reason"] = true, r
		}
		data = m
	case "death_registration":
		dd, err := registry.ParseDate(f["date_of_death"])
		if err != nil {
			return ev, refuse(KindInvalid, "fields.date_of_death", "not a date")
		}
		ev.EffectiveDate = dd
		m := map[string]any{}
		if dec.NewHeadPIN != "" {
			m["new_head_pin"] = dec.NewHeadPIN
		}
		data = m
	case "id_card_issue", "id_card_reissue":
		data = map[string]any{"kind": "can_cuoc"}
	default:
		return ev, fmt.Errorf("services: no event builder for %s", p.Code)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return ev, err
	}
	ev.Data = raw
	return ev, nil
}

// isMale reads the sex from a PIN's century-and-sex digit (even is male).
func isMale(p string) bool { return len(p) == 12 && (p[3]-'0')%2 == 0 }

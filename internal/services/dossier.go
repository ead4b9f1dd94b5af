package services

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Dossier statuses. A dossier is open until approved, rejected or
// withdrawn.
const (
	Submitted     = "submitted"      // waiting for an officer
	InProgress    = "in_progress"    // accepted by an officer
	InfoRequested = "info_requested" // waiting for the applicant; the clock is paused
	Approved      = "approved"
	Rejected      = "rejected"
	Withdrawn     = "withdrawn"
)

// Statuses lists every status in workflow order.
var Statuses = []string{Submitted, InProgress, InfoRequested, Approved, Rejected, Withdrawn}

// Unit is an administrative unit that handles dossiers (Commune "" for a
// province).
type Unit struct {
	Province string `json:"province"`
	Commune  string `json:"commune,omitempty"`
}

// Snapshot is what the registry said when the dossier was submitted about
// the person it concerns: approval refuses a dossier whose person has since
// died, moved or changed household.
type Snapshot struct {
	PIN         string `json:"pin"`
	State       string `json:"state"`
	Province    string `json:"province,omitempty"`
	Commune     string `json:"commune,omitempty"`
	Address     string `json:"address,omitempty"`
	HouseholdID string `json:"household_id,omitempty"`
	// TargetHousehold and TargetHead: a household the dossier joins, and
	// its head then.
	TargetHousehold string `json:"target_household,omitempty"`
	TargetHead      string `json:"target_head,omitempty"`
}

// AttachmentRef describes an attachment of a dossier (the content is in the
// store, fetched by ID).
type AttachmentRef struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"` // hex
	At          time.Time `json:"at"`
}

// Step is one entry of a dossier's history.
type Step struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	// Actor is "citizen" or the staff account id of the officer.
	Actor string `json:"actor"`
	Note  string `json:"note,omitempty"`
}

// Dossier is an application for a procedure, from submission to decision.
type Dossier struct {
	Code         string            `json:"code"`
	Version      int64             `json:"version"`
	Procedure    string            `json:"procedure"`
	Status       string            `json:"status"`
	ApplicantPIN string            `json:"applicant_pin"`
	AccountID    string            `json:"account_id,omitempty"`
	SubjectPIN   string            `json:"subject_pin,omitempty"`
	Authority    Unit              `json:"authority"`
	Fields       map[string]string `json:"fields"`
	Snapshot     Snapshot          `json:"snapshot"`
	Attachments  []AttachmentRef   `json:"attachments"`
	Fee          int64             `json:"fee"`
	DeadlineDays int               `json:"deadline_days"`
	SubmittedAt  time.Time         `json:"submitted_at"`
	// Appointment is the day the result is due (YYYY-MM-DD, Vietnam);
	// DueAt the instant after which the dossier is overdue.
	Appointment string    `json:"appointment"`
	DueAt       time.Time `json:"due_at"`
	PausedAt    time.Time `json:"paused_at,omitzero"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	// InfoRequest is the officer's open request for more information.
	InfoRequest string `json:"info_request,omitempty"`
	// Reason is why it was rejected, or the approval's note.
	Reason string `json:"reason,omitempty"`
	// EventID and NewPIN record what an approval applied to the registry.
	EventID string `json:"event_id,omitempty"`
	NewPIN  string `json:"new_pin,omitempty"`
	// Officer is the staff account that accepted the dossier.
	Officer string `json:"officer,omitempty"`
	History []Step `json:"history"`
}

// Open reports whether the dossier waits for a decision.
func (d *Dossier) Open() bool { return d.ClosedAt.IsZero() }

// Overdue reports whether the dossier is open, not waiting for the
// applicant, and past its deadline at now.
func (d *Dossier) Overdue(now time.Time) bool {
	return d.Open() && d.Status != InfoRequested && !now.Before(d.DueAt)
}

// row encodes the dossier for the store.
func (d *Dossier) row() (store.DossierRow, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return store.DossierRow{}, err
	}
	return store.DossierRow{
		Code: d.Code, Version: d.Version, Procedure: d.Procedure, ApplicantPIN: d.ApplicantPIN,
		SubjectPIN: d.SubjectPIN, Province: d.Authority.Province, Commune: d.Authority.Commune,
		Status: d.Status, SubmittedAt: d.SubmittedAt, DueAt: d.DueAt, Paused: d.Status == InfoRequested,
		ClosedAt: d.ClosedAt, UpdatedAt: d.lastChange(), Data: data,
	}, nil
}

func (d *Dossier) lastChange() time.Time {
	if n := len(d.History); n > 0 {
		return d.History[n-1].At
	}
	return d.SubmittedAt
}

// decode reads a dossier from its row.
func decode(r store.DossierRow) (*Dossier, error) {
	var d Dossier
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return nil, fmt.Errorf("services: decode dossier %s: %w", r.Code, err)
	}
	d.Version = r.Version
	return &d, nil
}

var codeEncoding = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// newCode returns a dossier code: the day of submission and 8 random
// characters of an alphabet without look-alikes (G-DDMMYY-XXXXXXXX style
// codes are what the national portal prints).
func newCode(at time.Time) string {
	b := make([]byte, 5)
	rand.Read(b)
	return "HS" + at.Format("060102") + "-" + codeEncoding.EncodeToString(b)
}

// ErrorKind classifies a refusal for the HTTP layers.
type ErrorKind int

// The kinds of refusal.
const (
	KindInvalid   ErrorKind = iota + 1 // 422: the request breaks a rule
	KindNotFound                       // 404
	KindForbidden                      // 403
	KindConflict                       // 409: the dossier's state does not allow it
)

// Error is a refusal the caller can act on; Reason never holds personal data.
type Error struct {
	Kind   ErrorKind
	Field  string
	Reason string
}

// Error returns the field and the reason.
func (e *Error) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func refuse(kind ErrorKind, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of a services error, 0 for any other.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, ErrInvalid) {
		return KindInvalid
	}
	var s *StaleError
	if errors.As(err, &s) {
		return KindConflict
	}
	return 0
}

// StaleError says the dossier changed since the caller read it (another
// officer acted first); Current is the dossier as it now stands.
type StaleError struct {
	Current *Dossier
}

// Error says the dossier's new status and version (no personal data).
func (e *StaleError) Error() string {
	return fmt.Sprintf("the dossier changed meanwhile: it is now %s, version %d", e.Current.Status, e.Current.Version)
}

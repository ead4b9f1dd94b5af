package store

import (
	"context"
	"time"
)

// DossierRow is one version of a dossier of an online public service: the
// columns the store queues and counts on, and the services package's
// document. The store does not interpret Data.
type DossierRow struct {
	Code      string // the public dossier code, unique
	Version   int64  // 1 when submitted, then +1 for each change
	Procedure string // procedure code
	// ApplicantPIN is the citizen who submitted it; SubjectPIN the person
	// it is about ("" for a birth, whose subject has no PIN yet).
	ApplicantPIN string
	SubjectPIN   string
	// Province and Commune are the competent authority's unit (Commune ""
	// for a procedure the province handles).
	Province string
	Commune  string
	Status   string
	// IdemKey is the applicant's idempotency key: one dossier per applicant
	// and key. "" for none.
	IdemKey     string
	SubmittedAt time.Time
	// DueAt is the end of the legal deadline; it moves when the clock pauses.
	DueAt time.Time
	// Paused is true while the dossier waits for the applicant: it is never
	// overdue then.
	Paused bool
	// ClosedAt is when the dossier reached a final status; zero while open.
	ClosedAt  time.Time
	UpdatedAt time.Time
	Data      []byte
}

// Open reports whether the dossier still waits for a decision.
func (d DossierRow) Open() bool { return d.ClosedAt.IsZero() }

// AttachmentRow is a file attached to a dossier, kept with its SHA-256.
type AttachmentRow struct {
	Dossier     string
	ID          string // unique within the dossier
	Kind        string // the procedure's attachment kind
	Name        string // file name as uploaded, for display
	ContentType string // detected from the content
	Size        int64
	SHA256      []byte
	CreatedAt   time.Time
	Content     []byte // nil in listings
}

// NotificationRow is a message for a citizen about one of their dossiers.
// It carries a kind and the dossier, not text: the portal words it in the
// reader's language.
type NotificationRow struct {
	ID        int64 // assigned by the store, increasing
	PIN       string
	Dossier   string
	Kind      string
	CreatedAt time.Time
	ReadAt    time.Time // zero while unread
}

// DossierQuery selects dossiers. Empty fields do not filter, but at least
// one of Province and ApplicantPIN must be set. Results are ordered by
// (DueAt, Code) for a queue (OpenOnly) and by (SubmittedAt desc, Code)
// otherwise; both start after the cursor.
type DossierQuery struct {
	Province     string
	Commune      string // with Province: that commune's queue only
	ProvinceOnly bool   // with Province: only dossiers the province itself handles (Commune "")
	ApplicantPIN string
	Procedure    string
	OpenOnly     bool
	OverdueAt    time.Time // if set (with OpenOnly), only dossiers overdue at this time
	AfterTime    time.Time // cursor: DueAt (queues) or SubmittedAt (lists)
	AfterCode    string
	Limit        int // must be > 0
}

// DossierCounts are the open and overdue dossiers of a queue.
type DossierCounts struct {
	Open    int64
	Overdue int64 // open, not paused, past DueAt
	Paused  int64
}

// DossierStat counts a procedure's dossiers in a province.
type DossierStat struct {
	Procedure string
	Province  string
	Submitted int64 // submitted in the period
	Closed    int64 // closed in the period (approved, rejected or withdrawn)
	Decided   int64 // approved or rejected in the period
	OnTime    int64 // decided in the period on or before DueAt
	Open      int64 // open now
	Overdue   int64 // open now, not paused, past DueAt
}

// Dossiers stores the dossiers of online public services, their
// attachments and the notifications sent about them. Changes to an
// existing dossier go through Update (see DossierTx), so that approving one
// and applying its life event to the registry commit together.
type Dossiers interface {
	// CreateDossier stores a new dossier (Version 1) with its attachments
	// and a notification, in one transaction. If the applicant already used
	// d.IdemKey it writes nothing and returns the existing dossier and
	// ErrExists; a taken code is ErrExists with a zero row.
	CreateDossier(ctx context.Context, d DossierRow, atts []AttachmentRow, n *NotificationRow) (DossierRow, error)
	// Dossier returns the current version of a dossier, or ErrNotFound.
	Dossier(ctx context.Context, code string) (DossierRow, error)
	// DossierList returns dossiers matching q in the order q documents.
	DossierList(ctx context.Context, q DossierQuery) ([]DossierRow, error)
	// CountDossiers counts the open dossiers of a queue (q's Province,
	// Commune, ProvinceOnly and Procedure), the overdue ones at now, and
	// the paused ones.
	CountDossiers(ctx context.Context, q DossierQuery, now time.Time) (DossierCounts, error)
	// DossierStats counts dossiers per procedure and province: flows in
	// [from, to) and the open and overdue ones at now. Ordered by
	// (Procedure, Province).
	DossierStats(ctx context.Context, from, to, now time.Time) ([]DossierStat, error)
	// Attachments lists a dossier's attachments without their content, in
	// creation order.
	Attachments(ctx context.Context, dossier string) ([]AttachmentRow, error)
	// Attachment returns one attachment with its content, or ErrNotFound.
	Attachment(ctx context.Context, dossier, id string) (AttachmentRow, error)
	// Notifications returns a citizen's notifications, newest first, with
	// ID below beforeID (0 for the newest).
	Notifications(ctx context.Context, pin string, beforeID int64, limit int) ([]NotificationRow, error)
	// MarkNotificationsRead marks a citizen's notifications up to upToID read.
	MarkNotificationsRead(ctx context.Context, pin string, upToID int64, at time.Time) error
}

// DossierTx is what a registry transaction (Tx) offers for dossiers, so
// that a dossier's change commits with the life event it applies.
type DossierTx interface {
	// Dossier returns the current version of a dossier as the transaction
	// sees it, locking it until the transaction ends.
	Dossier(ctx context.Context, code string) (DossierRow, error)
	// PutDossier writes a new version of an existing dossier: d.Version
	// must be the current version + 1 (ErrConflict otherwise).
	PutDossier(ctx context.Context, d DossierRow) error
	// PutAttachment adds an attachment to a dossier (ErrExists if its id is taken).
	PutAttachment(ctx context.Context, a AttachmentRow) error
	// Notify adds a notification; the store assigns ID and keeps CreatedAt.
	Notify(ctx context.Context, n NotificationRow) error
}

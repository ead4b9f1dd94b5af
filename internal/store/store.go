package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors, checked with errors.Is. Backends wrap them with context that
// never includes a record's personal data.
var (
	// ErrNotFound is returned when a record does not exist (or did not exist at
	// the requested date).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a write expected a version that is no longer
	// the current one: another writer got there first.
	ErrConflict = errors.New("store: version conflict")
	// ErrExists is returned when creating a record whose key is already taken,
	// including a PIN that belonged to a person who has died: keys are never reused.
	ErrExists = errors.New("store: already exists")
	// ErrUnavailable is returned when the storage cannot serve the request
	// now but may later: the disk is full or read-only, an I/O error, the
	// database is shutting down or unreachable. Nothing was written. See
	// Unavailable.
	ErrUnavailable = errors.New("store: unavailable")
)

// Store is everything dancu keeps. Every backend implements it and passes the
// conformance suite in package storetest.
type Store interface {
	Registry
	Settings
	Directory
	AccessLog
	Datasets
	Deliveries
	Leases
	Dossiers
	OIDC
	EID
	Cards
	Health
	Verification
	Duplicates
	StatsSource
	DataKeys
	Documents
	// Ping reports whether the store can serve requests (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the store's resources. It does not lose committed writes.
	Close() error
}

// Settings is a small key-value table for instance-wide values such as the
// hash of the bootstrap admin token.
type Settings interface {
	// Setting returns the value stored under key, or ErrNotFound.
	Setting(ctx context.Context, key string) (string, error)
	// SetSettingIfAbsent stores value under key unless a value is already there,
	// and returns the value that is stored afterwards (so that several processes
	// starting at once agree on one value).
	SetSettingIfAbsent(ctx context.Context, key, value string) (string, error)
	// PutSetting stores value under key, replacing any earlier value.
	PutSetting(ctx context.Context, key, value string) error
}

// Change describes the event that produced a version of a record.
type Change struct {
	EventID   string
	EventType string
	Actor     string // who did it: "admin", a staff account id, "generator"
	Reason    string // the legal basis or stated reason
	// ValidFrom is the ISO date from which this version describes the record
	// (the event's effective date); reads "as of" a date use it.
	ValidFrom  string
	RecordedAt time.Time // when the version was written, UTC
}

// PersonRow is one version of a person: the index columns the store searches
// on, and the registry's document. The store does not interpret Data.
type PersonRow struct {
	PIN         string
	Version     int64  // 1 for the first version, then +1 for each change
	NameKey     string // accent-free match key of the full name
	NameFold    string // diacritic-preserving match form of the full name
	BirthYear   int    // 0 if unknown
	BirthDate   string // ISO 8601, possibly partial: "1985", "1985-03", "1985-03-02"
	Sex         string
	Province    string // of the permanent residence
	Commune     string // of the permanent residence
	State       string // alive, dead, missing
	HouseholdID string
	Data        []byte
}

// PersonVersion is a person version with the change that produced it.
type PersonVersion struct {
	PersonRow
	Change
}

// HouseholdRow is one version of a household.
type HouseholdRow struct {
	ID       string
	Version  int64
	HeadPIN  string
	Province string
	Commune  string
	Data     []byte
}

// HouseholdVersion is a household version with the change that produced it.
type HouseholdVersion struct {
	HouseholdRow
	Change
}

// EventRow is a life event as recorded. ID is the client-supplied idempotency
// key; Seq is assigned by the store in commit order and is unique.
type EventRow struct {
	ID            string
	Seq           int64
	Type          string
	Actor         string
	Reason        string
	EffectiveDate string
	RecordedAt    time.Time
	Subjects      []string // PINs of the people the event changed, first is the main one
	Request       []byte   // the event as submitted (JSON)
	Result        []byte   // what applying it produced (JSON)
}

// OutboxRow is a message for downstream consumers (feeds, webhooks, analytics),
// written in the same transaction as the change it describes. Seq is assigned by
// the store, increasing in commit order.
type OutboxRow struct {
	Seq       int64
	EventID   string
	EventType string
	PIN       string // the person the message is about; consumers keep order per PIN
	Data      []byte
	CreatedAt time.Time
}

// PersonQuery selects current person records. Empty fields do not filter.
// Results are ordered by (NameKey, PIN) when NameKey is set, otherwise by PIN,
// and start after the cursor (AfterKey, AfterPIN).
type PersonQuery struct {
	// NameKey matches a full-name key exactly or as a prefix ending at a word
	// boundary: "nguyen van" matches "nguyen van an" but not "nguyen vanh".
	NameKey string
	// NameFold, if set, additionally requires the diacritic-preserving form to
	// match the same way (a search typed with diacritics).
	NameFold  string
	BirthDate string
	BirthYear int
	Sex       string
	Province  string
	Commune   string
	State     string
	AfterKey  string
	AfterPIN  string
	Limit     int // at most this many rows; must be > 0
}

// EventQuery selects events in Seq order after AfterSeq.
type EventQuery struct {
	AfterSeq int64
	Type     string // "" for all
	Subject  string // PIN; "" for all
	Limit    int
}

// Registry stores versioned people and households, the events that changed them
// and the outbox. Records are only ever added as new versions, never changed in
// place or deleted.
type Registry interface {
	// Person returns the current version of a person, or ErrNotFound.
	Person(ctx context.Context, pin string) (PersonVersion, error)
	// PersonAsOf returns the highest version whose ValidFrom is on or before
	// date (ISO YYYY-MM-DD), or ErrNotFound if the person had no record then.
	PersonAsOf(ctx context.Context, pin, date string) (PersonVersion, error)
	// PersonHistory returns every version of a person, oldest first, or
	// ErrNotFound if there is none.
	PersonHistory(ctx context.Context, pin string) ([]PersonVersion, error)
	// SearchPersons returns current records matching q, in the order q documents.
	SearchPersons(ctx context.Context, q PersonQuery) ([]PersonRow, error)
	// CountPersons returns the number of people on record (every state).
	CountPersons(ctx context.Context) (int64, error)

	// Household returns the current version of a household, or ErrNotFound.
	Household(ctx context.Context, id string) (HouseholdVersion, error)
	// HouseholdHistory returns every version of a household, oldest first.
	HouseholdHistory(ctx context.Context, id string) ([]HouseholdVersion, error)

	// Event returns a recorded event by its id, or ErrNotFound.
	Event(ctx context.Context, id string) (EventRow, error)
	// Events returns events matching q in Seq order.
	Events(ctx context.Context, q EventQuery) ([]EventRow, error)
	// Outbox returns up to limit outbox rows with Seq > afterSeq, in Seq order.
	Outbox(ctx context.Context, afterSeq int64, limit int) ([]OutboxRow, error)

	// Update runs fn in one transaction and commits if it returns nil. Every
	// write fn makes is visible to others all together or not at all. fn may be
	// called more than once (after a serialisation failure or ErrConflict) and
	// must keep no state between calls.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// NewLoader starts a bulk load of new records (the synthetic population, a
	// migration). It bypasses events one by one but writes the same rows.
	NewLoader(ctx context.Context) (Loader, error)
}

// Tx is the view of the registry inside Update. Reads see the transaction's own
// writes. Reads of a person or household lock it against concurrent writers
// until the transaction ends.
type Tx interface {
	Person(ctx context.Context, pin string) (PersonVersion, error)
	Household(ctx context.Context, id string) (HouseholdVersion, error)
	Event(ctx context.Context, id string) (EventRow, error)
	// PersonExists reports whether a PIN has ever been used.
	PersonExists(ctx context.Context, pin string) (bool, error)

	// PutPerson writes a new version. Version must be 1 for a new person
	// (ErrExists if the PIN was ever used) or the current version + 1
	// (ErrConflict otherwise).
	PutPerson(ctx context.Context, v PersonVersion) error
	// PutHousehold writes a new household version under the same rules.
	PutHousehold(ctx context.Context, v HouseholdVersion) error
	// PutEvent records an event and assigns its Seq, returned. ErrExists if the
	// id is taken.
	PutEvent(ctx context.Context, e EventRow) (int64, error)
	// AppendOutbox adds an outbox row; the store assigns Seq and CreatedAt.
	AppendOutbox(ctx context.Context, o OutboxRow) error

	DossierTx
}

// Loader writes many new records fast. Each Load call is one transaction;
// Close finishes the load (building deferred indexes) and must be called even
// after an error. Records loaded are visible once Load returns, but searches
// may be slow until Close.
type Loader interface {
	// Load writes a batch. Persons and households may carry several versions
	// each; the highest version of each becomes the current one. Keys must be
	// new: ErrExists if one was used before.
	Load(ctx context.Context, b Batch) error
	Close(ctx context.Context) error
}

// Batch is one transaction's worth of bulk-loaded records.
type Batch struct {
	Persons    []PersonVersion
	Households []HouseholdVersion
	Events     []EventRow
}

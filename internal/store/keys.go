package store

import (
	"context"
	"time"
)

// DataKeys keeps the data-encryption keys that seal documents at rest
// (package seal), each wrapped by a key-encryption key that never enters
// the database. Every process sharing the store reads the same keys from
// here, so a key one process adds is found by the others when they meet a
// document sealed under it.
type DataKeys interface {
	// DataKeys returns every stored key, ordered by ID.
	DataKeys(ctx context.Context) ([]DataKey, error)
	// AddDataKey stores a new key; ErrExists if its ID is taken (another
	// process added one at the same time: read the keys again).
	AddDataKey(ctx context.Context, k DataKey) error
	// RewrapDataKey replaces the wrapping of key k.ID (its KEKID and
	// Wrapped) if the key is still wrapped under oldKEK: ErrConflict if it
	// was re-wrapped meanwhile, ErrNotFound if there is no such key. The
	// key itself never changes, so documents sealed under it stay readable.
	RewrapDataKey(ctx context.Context, oldKEK string, k DataKey) error
}

// DataKey is one wrapped data-encryption key.
type DataKey struct {
	ID      int64  // from 1, in order of creation; sealed documents name it
	Purpose string // what the key is for (package seal's values)
	KEKID   string // the key-encryption key that wraps it
	Wrapped []byte // the key as wrapped by the key provider
	// CreatedAt is when the key was made, to the second.
	CreatedAt time.Time
}

// DocumentColumn names a column of documents that package sealed seals,
// for the re-seal pass, which reads and rewrites the stored bytes as they
// are (see Documents). Each row's document is bound to the values its
// constant's comment lists (StoredDocument.Key, in that order).
type DocumentColumn string

// The columns of documents.
const (
	DocPersons          DocumentColumn = "person_versions.data"        // pin
	DocHouseholds       DocumentColumn = "household_versions.data"     // id
	DocEventRequests    DocumentColumn = "events.request"              // id
	DocEventResults     DocumentColumn = "events.result"               // id
	DocOutbox           DocumentColumn = "outbox.data"                 // event_id, pin
	DocDatasetRecords   DocumentColumn = "dataset_records.data"        // dataset, key; Index: hash
	DocCardDG1          DocumentColumn = "cards.dg1"                   // event_id
	DocCardDG2          DocumentColumn = "cards.dg2"                   // event_id
	DocCardDG13         DocumentColumn = "cards.dg13"                  // event_id
	DocCardSOD          DocumentColumn = "cards.sod"                   // event_id
	DocDossiers         DocumentColumn = "dossiers.data"               // code
	DocAttachments      DocumentColumn = "dossier_attachments.content" // dossier, id
	DocEIDAccounts      DocumentColumn = "eid_accounts.data"           // id
	DocEIDSessions      DocumentColumn = "eid_sessions.data"           // id
	DocEIDEvents        DocumentColumn = "eid_events.data"             // account_id
	DocEIDTransient     DocumentColumn = "eid_transient.data"          // kind, id
	DocOIDCAuthRequests DocumentColumn = "oidc_auth_requests.data"     // id
	DocOIDCTokens       DocumentColumn = "oidc_tokens.data"            // id
	DocOIDCKeys         DocumentColumn = "oidc_keys.private_jwk"       // id
)

// DocumentColumns lists every DocumentColumn, in a fixed order.
func DocumentColumns() []DocumentColumn {
	return []DocumentColumn{DocPersons, DocHouseholds, DocEventRequests, DocEventResults, DocOutbox,
		DocDatasetRecords, DocCardDG1, DocCardDG2, DocCardDG13, DocCardSOD, DocDossiers, DocAttachments,
		DocEIDAccounts, DocEIDSessions, DocEIDEvents, DocEIDTransient, DocOIDCAuthRequests, DocOIDCTokens, DocOIDCKeys}
}

// Documents reads and rewrites stored documents as bytes, below any
// sealing: the re-seal pass of package sealed pages through a column and
// replaces each document with the same content sealed under the current
// data key, while other writers carry on. Empty and NULL documents are
// never returned nor counted: there is nothing in them to seal.
type Documents interface {
	// StoredDocuments returns up to limit non-empty documents of col whose
	// row comes after the row after (nil: from the first), in the order of
	// the table's primary key, leaving out those that start with skip (nil
	// skips none).
	StoredDocuments(ctx context.Context, col DocumentColumn, after []string, skip []byte, limit int) ([]StoredDocument, error)
	// ReplaceDocuments writes each swap's New over the document of its row
	// if that still holds Old, in one transaction, and returns how many it
	// replaced: a row written meanwhile keeps what its writer wrote. The
	// backend overwrites the space Old took where it can (SQLite:
	// secure_delete), so that no copy of it stays in a free page.
	ReplaceDocuments(ctx context.Context, col DocumentColumn, swaps []DocumentSwap) (int, error)
	// PurgeReplaced drops the copies of replaced documents that the
	// backend's own log still holds (SQLite: it checkpoints the write-ahead
	// log and truncates it). A reader in the middle of a long read can keep
	// part of the log alive: the error says so, and a later call finishes.
	// With rewrite it first rewrites the document tables whole, so that no
	// unused space in them keeps bytes of documents from before (SQLite:
	// VACUUM, which holds the write lock while it runs; PostgreSQL: VACUUM
	// FULL of each table, which locks the table while it runs).
	PurgeReplaced(ctx context.Context, rewrite bool) error
	// CountDocuments counts the non-empty documents of col by the n bytes
	// that follow prefix; those that do not start with prefix are counted
	// under "".
	CountDocuments(ctx context.Context, col DocumentColumn, prefix []byte, n int) (map[string]int64, error)
	// ClearDatasetKeys returns up to limit dataset records whose key is
	// stored as the agency chose it (not starting with BlindKeyMark) after
	// (afterDataset, afterKey), in primary-key order, with Hash and Data
	// as stored: what the re-seal pass still has to blind-index.
	ClearDatasetKeys(ctx context.Context, afterDataset, afterKey string, limit int) ([]DatasetRecord, error)
	// HasClearDatasetKeys reports whether dataset holds a record whose key
	// is stored as the agency chose it: one seek in the primary key, since
	// such keys sort before BlindKeyMark.
	HasClearDatasetKeys(ctx context.Context, dataset string) (bool, error)
	// RekeyDatasetRecords moves each record of moves from its key From to
	// To, with the document New (and the hash NewHash unless that is nil),
	// if its document is still Old, in one transaction, and returns how
	// many it moved. A record whose To is taken already is dropped and
	// counted as moved (an upsert wrote it under To later). The old key's
	// bytes are overwritten where the backend can (SQLite: secure_delete).
	RekeyDatasetRecords(ctx context.Context, moves []DatasetMove) (int, error)
	// DeleteDataKey removes a data key; ErrNotFound if there is none. The
	// caller has made sure that no document is sealed under it.
	DeleteDataKey(ctx context.Context, id int64) error
}

// StoredDocument is one stored document and the row it is in.
type StoredDocument struct {
	// Row is the row's primary key, as text: the cursor of the next page,
	// and what a DocumentSwap names.
	Row []string
	// Key holds the values the document is bound to (see DocumentColumn).
	Key []string
	Doc []byte
	// Index is the row's digest of the document, for the one column that
	// keeps one (dataset records' content hash), else nil.
	Index []byte
}

// BlindKeyMark starts every dataset record key that is a blind index
// rather than the agency's own key; agencies' keys start with a letter or
// digit (package dataset), so the two never meet.
const BlindKeyMark = "~"

// DatasetMove moves one dataset record to another key (see
// Documents.RekeyDatasetRecords).
type DatasetMove struct {
	Dataset, From, To string
	Old, New          []byte
	NewHash           []byte
}

// DocumentSwap replaces the document of Row, if it is still Old, with New,
// and the row's Index with NewIndex unless that is nil.
type DocumentSwap struct {
	Row      []string
	Old, New []byte
	NewIndex []byte
}

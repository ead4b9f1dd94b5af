package store

import (
	"context"
	"time"
)

// Datasets keeps the linked datasets: the records that connected agencies
// hold about people (social insurance, vehicles, passports...), keyed by
// (dataset, record key) and linked to the registry by PIN. The store does not
// interpret a record's document; package dataset owns the schemas and
// computes the content hash that makes uploads idempotent.
type Datasets interface {
	// UpsertDatasetRecords writes a batch in one transaction. A record whose
	// (Dataset, Key) is new is inserted with Version 1; one whose stored Hash
	// differs is replaced, with Version + 1 and a new UpdatedAt; one whose
	// Hash is the same is left exactly as it is, so that a repeated upload
	// changes nothing. The store sets UpdatedAt. (Dataset, Key) must be
	// unique within the batch; the caller splits a batch where a key repeats.
	UpsertDatasetRecords(ctx context.Context, recs []DatasetRecord) (UpsertCounts, error)
	// DatasetRecord returns one record, or ErrNotFound.
	DatasetRecord(ctx context.Context, dataset, key string) (DatasetRecord, error)
	// DatasetRecordsByPIN returns a dataset's records about one person,
	// ordered by Key; none is an empty result, not an error.
	DatasetRecordsByPIN(ctx context.Context, dataset, pin string) ([]DatasetRecord, error)
	// DatasetRecords returns up to limit records of a dataset with Key
	// after afterKey, ordered by Key: a reader of a whole dataset pages
	// through it with the last Key as its cursor. (A sealed store orders
	// by the stored blind index instead, and takes the last record's own
	// Key as the cursor all the same.)
	DatasetRecords(ctx context.Context, dataset, afterKey string, limit int) ([]DatasetRecord, error)
	// ExistingPINs returns those of pins that are on the registry (in any
	// state), in no particular order: one query for a whole batch, so that
	// a bulk upload checks its links without a round trip per line.
	ExistingPINs(ctx context.Context, pins []string) ([]string, error)
	// DatasetCoverage returns, for every dataset holding records, how many
	// records it holds and how many distinct living people (persons in the
	// state "alive") they link, ordered by dataset, and the number of living
	// people on the registry.
	DatasetCoverage(ctx context.Context) (cov []DatasetCoverage, living int64, err error)
}

// DatasetRecord is one agency record about one person.
type DatasetRecord struct {
	Dataset string
	Key     string // the record's key within the dataset, chosen by its agency
	PIN     string
	Source  string // the agency that wrote it
	Version int64  // 1 when first written, +1 for each change of content
	// Hash is the content hash; equal hashes mean an unchanged record. A
	// store may keep a keyed digest of it instead (package sealed does), so
	// a hash read back is only for comparing with other stored ones.
	Hash      []byte
	Data      []byte // the attributes document (JSON)
	UpdatedAt time.Time
	// MoveFrom, on a record given to UpsertDatasetRecords, names another
	// key the same record may still be stored under (package sealed: the
	// agency's key in clear, from before keys were blind-indexed). In the
	// same transaction, a record stored under MoveFrom is first moved to
	// Key with this Data, keeping its version and hash, so that an
	// unchanged record stays unchanged and a changed one gets the next
	// version; if Key is taken already, the record under MoveFrom is
	// dropped (the one under Key was written later). Never read back.
	MoveFrom string
}

// UpsertCounts says what a batch upsert did with each record.
type UpsertCounts struct {
	Inserted, Updated, Unchanged int
}

// DatasetCoverage is how far one dataset reaches into the living population.
type DatasetCoverage struct {
	Dataset      string
	Records      int64
	LinkedLiving int64 // distinct living people with at least one record
}

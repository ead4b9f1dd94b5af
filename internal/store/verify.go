package store

import (
	"context"
	"time"
)

// snapshotKey is the context key of ShareSnapshot.
type snapshotKey struct{}

// SnapshotToken names one run of batched reads that may share a snapshot.
type SnapshotToken struct{ _ byte }

// ShareSnapshot marks ctx as the context of one long run of VerifyRows
// batches (a bulk verification job) whose reads may come from one read
// snapshot of the registry, renewed at least every few seconds (the backend
// says how old it may be), instead of a fresh one per batch. A backend
// whose readers lose their page cache at every commit of another
// connection (SQLite in WAL mode) then keeps it across batches while the
// job writes its checkpoints. A run never shares a snapshot with another
// run: each call returns a new token.
func ShareSnapshot(ctx context.Context) context.Context {
	return context.WithValue(ctx, snapshotKey{}, &SnapshotToken{})
}

// SharedSnapshot returns the token ShareSnapshot put in ctx, or nil.
func SharedSnapshot(ctx context.Context) *SnapshotToken {
	t, _ := ctx.Value(snapshotKey{}).(*SnapshotToken)
	return t
}

// Verification keeps what demographic verification needs besides the
// registry: a batched read of the current records of many PINs, the state of
// bulk verification jobs with their checkpoints, and the per-agency daily
// quota of partial-match requests. Package match owns the meaning of every
// value; the store keeps them.
type Verification interface {
	// VerifyRows returns the current record of each of pins that is on the
	// registry (in any state), in no particular order: one query for a whole
	// batch, so that a bulk job does not pay a round trip per line. Data (the
	// person's document) is filled only when withData is true. Under a
	// ctx marked by ShareSnapshot, a batch may be read from a snapshot a few
	// seconds old.
	VerifyRows(ctx context.Context, pins []string, withData bool) ([]VerifyRow, error)

	// CreateVerifyJob records a new job with Version 1; ErrExists if the id
	// is taken.
	CreateVerifyJob(ctx context.Context, j VerifyJob) error
	// VerifyJob returns a job, or ErrNotFound.
	VerifyJob(ctx context.Context, id string) (VerifyJob, error)
	// VerifyJobs returns an agency's jobs ("" for every agency's), newest
	// first, at most limit.
	VerifyJobs(ctx context.Context, agency string, limit int) ([]VerifyJob, error)
	// PendingVerifyJobs returns the jobs in state "queued" or "running",
	// oldest first: the work a starting process resumes.
	PendingVerifyJobs(ctx context.Context) ([]VerifyJob, error)
	// SaveVerifyJob writes j, whose Version must be the stored version + 1
	// (ErrConflict otherwise, ErrNotFound if there is no such job).
	SaveVerifyJob(ctx context.Context, j VerifyJob) error

	// TakeQuota reserves up to n units of counter key (an agency and a
	// day) without taking it beyond limit, and returns how many it reserved
	// (0 when the limit is reached). Several processes sharing a store
	// share the counter; a process may reserve a block and hand the units
	// out itself.
	TakeQuota(ctx context.Context, key string, n, limit int) (granted int, err error)
}

// VerifyRow is what verification reads of a person: the index columns of
// the current version and, when asked for, its document.
type VerifyRow struct {
	PIN       string
	NameFold  string // the diacritic-preserving match form of the full name
	BirthDate string // ISO 8601, possibly partial, "" if unknown
	Sex       string
	State     string // alive, dead, missing
	Data      []byte
}

// VerifyJob is the state of one bulk verification job. Times are kept to
// the microsecond. Offset and
// ResultBytes form the checkpoint: the input up to Offset is answered by the
// result file up to ResultBytes, and nothing after them is trusted.
type VerifyJob struct {
	ID      string
	Agency  string
	Client  string // the API client that submitted it, or "cli"
	Purpose string
	Format  string // csv or ndjson
	State   string // queued, running, done, failed, cancelled
	Version int64

	InputBytes  int64  // size of the stored input file
	Offset      int64  // input bytes consumed
	Lines       int64  // input lines answered
	ResultBytes int64  // length of the result file that answers them
	Summary     []byte // counts per result (JSON), owned by package match
	Error       string // why a job failed (no personal data)

	// Owner and LeaseUntil name the process working on the job and until
	// when; empty until several processes share jobs under a lease.
	Owner      string
	LeaseUntil time.Time

	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time // zero until the job is done, failed or cancelled
}

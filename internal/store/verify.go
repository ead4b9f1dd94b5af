package store

import (
	"context"
	"time"
)

// Verification keeps what demographic verification needs besides the
// registry: a batched read of the current records of many PINs, the state of
// bulk verification jobs with their checkpoints, the per-job subscription
// counts that find a PIN on too many subscriptions, and the per-agency daily
// quota of partial-match requests. Package match owns the meaning of every
// value; the store keeps them.
type Verification interface {
	// VerifyRows returns the current record of each of pins that is on the
	// registry (in any state), in no particular order: one query for a whole
	// batch, so that a bulk job does not pay a round trip per line. Data (the
	// person's document) is filled only when withData is true.
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
	// (ErrConflict otherwise, ErrNotFound if there is no such job), and in
	// the same transaction sets the subscription count of each of counts
	// for the job. The checkpoint (input offset, result length) and the
	// counts it depends on are therefore durable together or not at all.
	// Counts are absolute values, so writing the same ones again is harmless.
	SaveVerifyJob(ctx context.Context, j VerifyJob, counts []PINCount) error
	// SubscriptionCounts returns the counts stored for a job's PINs, in no
	// particular order; a PIN without a count is left out.
	SubscriptionCounts(ctx context.Context, job string, pins []string) ([]PINCount, error)
	// DeleteSubscriptionCounts removes a finished job's counts.
	DeleteSubscriptionCounts(ctx context.Context, job string) error

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

// PINCount is how many lines of one job named a PIN so far.
type PINCount struct {
	PIN string
	N   int
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

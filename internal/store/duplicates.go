package store

import (
	"context"
	"time"
)

// Duplicates keeps the review queue of duplicate detection: pairs of
// records that may be one person, found by a batch over the registry or
// before a birth registration, waiting for a registrar to merge or dismiss
// them. A pair is keyed by its two PINs in ascending order; package
// linkage owns the evidence document, which the store does not interpret.
type Duplicates interface {
	// PutDuplicateCandidates writes candidate pairs in one transaction. A
	// pair not in the queue is inserted with status open; an open pair
	// takes the new weight, probability, evidence, source and FoundAt; a
	// decided pair (merged or dismissed) is left exactly as it is, so that
	// a later batch never reopens a registrar's decision. Every pair must
	// have PINA < PINB. It returns how many pairs were new.
	PutDuplicateCandidates(ctx context.Context, cs []DuplicateCandidate) (inserted int, err error)
	// DuplicateCandidate returns the pair (pinA, pinB), pinA < pinB, or
	// ErrNotFound.
	DuplicateCandidate(ctx context.Context, pinA, pinB string) (DuplicateCandidate, error)
	// DuplicateCandidates returns the pairs q selects, by weight from the
	// highest, then by PINA and PINB.
	DuplicateCandidates(ctx context.Context, q DuplicateQuery) ([]DuplicateCandidate, error)
	// CountDuplicateCandidates returns the number of pairs with a status
	// ("" for all).
	CountDuplicateCandidates(ctx context.Context, status string) (int64, error)
	// DecideDuplicateCandidate moves an open pair to status (merged or
	// dismissed), recording who decided and when. ErrNotFound if there is
	// no such pair; ErrConflict if it is no longer open (another registrar
	// decided first).
	DecideDuplicateCandidate(ctx context.Context, pinA, pinB, status, actor string, at time.Time) error
}

// The statuses of a candidate pair.
const (
	DuplicateOpen      = "open"
	DuplicateMerged    = "merged"
	DuplicateDismissed = "dismissed"
)

// DuplicateCandidate is one pair in the review queue.
type DuplicateCandidate struct {
	PINA, PINB  string
	Weight      float64 // the Fellegi–Sunter match weight, in bits
	Probability float64 // the posterior probability of one person
	Evidence    []byte  // per-field levels and weights (JSON, package linkage)
	Source      string  // "batch" or "registration"
	Status      string  // open, merged, dismissed
	FoundAt     time.Time
	DecidedBy   string    // empty while open
	DecidedAt   time.Time // zero while open
}

// DuplicateQuery selects pairs. Empty fields do not filter. The cursor
// (AfterWeight, AfterA, AfterB) continues a listing after the last pair
// of a page; it is used when AfterA is not empty.
type DuplicateQuery struct {
	Status      string
	PIN         string // pairs with this PIN on either side
	AfterWeight float64
	AfterA      string
	AfterB      string
	Limit       int // must be > 0
}

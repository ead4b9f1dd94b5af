package store

import (
	"context"
	"time"
)

// AccessLog keeps the append-only access log: every use of a person's data by
// anyone but the person, the hashes of the Merkle tree over it and the signed
// checkpoints. The store does not interpret entries, hashes or checkpoints:
// package audit builds the tree (RFC 6962 hashing) and decides what to sign;
// the store only guarantees that appends are atomic and contiguous.
//
// Indexes start at 0. The tree's stored hashes are numbered as in
// golang.org/x/mod/sumdb/tlog (StoredHashIndex): appending the entries
// [n, n+k) adds exactly the stored hashes [StoredHashCount(n),
// StoredHashCount(n+k)), a contiguous range, so a backend can pack them in
// blocks and a proof for a log of any size reads only O(log n) of them.
type AccessLog interface {
	// AppendAccess appends a batch in one transaction: the entries, which
	// must be numbered First, First+1, ... with First equal to the current
	// size, and the stored hashes they add, which must start at the current
	// stored-hash count. It returns ErrConflict, writing nothing, if First
	// is not the current size (another writer appended meanwhile). Entries
	// and hashes are visible all together or not at all.
	AppendAccess(ctx context.Context, b AccessBatch) error
	// AccessLogSize returns the number of entries appended, as recorded with
	// the last append (not by counting rows, so that a deleted row shows).
	AccessLogSize(ctx context.Context) (int64, error)
	// AccessEntries returns the entries with from <= Index < to in index
	// order. Missing rows are simply absent: callers that need every index
	// check for gaps.
	AccessEntries(ctx context.Context, from, to int64) ([]AccessEntry, error)
	// AccessLeaves returns the data of the entries from, from+1, ... up to
	// to (excluded), concatenated in index order: only what re-hashing a
	// range needs, read as a few values per call rather than a row per
	// entry, for the checkpoint signer, which re-hashes every entry since
	// the last checkpoint before it signs. It stops before the first index
	// that has no row, so fewer leaves than to-from means that entry
	// from+Len() is missing. The read is one snapshot.
	AccessLeaves(ctx context.Context, from, to int64) (AccessLeaves, error)
	// PersonAccesses returns the entries about one person (by pseudonym),
	// newest first, with Index < q.Before when q.Before > 0. The answer is
	// complete whatever the state of the person index: entries the index
	// does not cover yet are found by scanning them (see IndexAccesses).
	PersonAccesses(ctx context.Context, q AccessQuery) ([]AccessEntry, error)
	// IndexAccesses adds the next entries, up to max of them in index
	// order, to the person index in one transaction, and returns how far
	// the index reaches afterwards: every entry below that index is in it.
	// The person index is derived data, kept out of AppendAccess so that an
	// append writes only sequential rows: indexing thousands of entries at
	// once in pseudonym order dirties each index page once per batch
	// instead of once per entry. Several callers may index at once; each
	// entry is indexed exactly once.
	IndexAccesses(ctx context.Context, max int) (int64, error)
	// MissingFromAccessIndex returns the first entry within the person
	// index's reach that the index lacks, or -1 if there is none. The index
	// is derived data in a table of its own: audit.Verify checks it, so
	// that deleting an index row cannot hide an access from a listing.
	MissingFromAccessIndex(ctx context.Context) (int64, error)
	// AccessHashes returns the stored hashes with the given stored-hash
	// indexes, in the order asked. It returns ErrNotFound if any of them
	// was never stored.
	AccessHashes(ctx context.Context, indexes []int64) ([][32]byte, error)

	// PutCheckpoint stores a signed checkpoint. It returns ErrExists if a
	// checkpoint of that size is stored already, and ErrConflict if Size is
	// smaller than the largest stored one: checkpoints only grow.
	PutCheckpoint(ctx context.Context, c Checkpoint) error
	// LatestCheckpoint returns the checkpoint of the largest size, or
	// ErrNotFound if none was signed yet.
	LatestCheckpoint(ctx context.Context) (Checkpoint, error)
	// Checkpoints returns up to limit checkpoints with Size > afterSize, in
	// size order.
	Checkpoints(ctx context.Context, afterSize int64, limit int) ([]Checkpoint, error)
}

// AccessBatch is what one append writes.
type AccessBatch struct {
	First   int64         // index of the first entry: the log size before the append
	Entries []AccessEntry // numbered First, First+1, ...
	// HashStart is the stored-hash index of Hashes[0]: the stored-hash count
	// before the append.
	HashStart int64
	Hashes    [][32]byte
}

// AccessEntry is one stored access-log entry.
type AccessEntry struct {
	Index int64
	// Person is the keyed pseudonym of the person the entry is about (an
	// HMAC of the PIN); the store never sees the PIN.
	Person []byte
	// Data is the entry as it is hashed into the tree (the Merkle leaf).
	Data []byte
}

// AccessLeaves is the data of a contiguous range of entries, as
// AccessLog.AccessLeaves returns it.
type AccessLeaves struct {
	// Data holds the entries' data one after another.
	Data []byte
	// Ends[i] is where the i-th entry's data ends in Data; it begins where
	// the previous one ends (at 0 for the first).
	Ends []int
}

// Len returns the number of entries.
func (l AccessLeaves) Len() int { return len(l.Ends) }

// Leaf returns the i-th entry's data, 0 <= i < Len().
func (l AccessLeaves) Leaf(i int) []byte {
	start := 0
	if i > 0 {
		start = l.Ends[i-1]
	}
	return l.Data[start:l.Ends[i]:l.Ends[i]]
}

// AccessQuery selects one person's entries, newest first.
type AccessQuery struct {
	Person []byte
	Before int64 // only entries with Index < Before; 0 for no bound
	Limit  int   // at most this many; must be > 0
}

// Checkpoint is a signed statement of the tree's size and root hash.
type Checkpoint struct {
	Size     int64
	Root     [32]byte
	Note     []byte // the signed note, as served
	SignedAt time.Time
}

package audit

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dancu/dancu/internal/store"
)

// ErrInconsistent means the tree the store holds does not extend the last
// signed checkpoint, or its stored hashes do not match its entries: the log
// was tampered with, and no checkpoint is signed.
var ErrInconsistent = errors.New("audit: tree is inconsistent with the last checkpoint")

// ErrNoCheckpoint is returned when no checkpoint has been signed yet.
var ErrNoCheckpoint = errors.New("audit: no checkpoint signed yet")

// ErrRange is returned for a proof asked outside the tree.
var ErrRange = errors.New("audit: index or size outside the tree")

// SignedCheckpoint is a checkpoint with its signed note.
type SignedCheckpoint struct {
	Checkpoint
	Note []byte
}

// Checkpoint signs a checkpoint of the current tree if it grew since the
// last one, and returns the latest signed checkpoint. Before signing it
// recomputes the leaf hashes of the entries added since the last checkpoint
// and checks them against the stored ones, and checks a consistency proof
// from the last checkpoint to the new root: a tree that fails either is
// never signed (ErrInconsistent).
func (l *Log) Checkpoint(ctx context.Context) (SignedCheckpoint, error) {
	l.signMu.Lock()
	defer l.signMu.Unlock()
	var prev Checkpoint
	var prevNote []byte
	stored, err := l.st.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		prev = Checkpoint{Origin: l.origin, Size: 0, Root: emptyRoot()}
	case err != nil:
		return SignedCheckpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
	default:
		if prev, err = l.keys.openStored(stored); err != nil {
			return SignedCheckpoint{}, fmt.Errorf("%w: %v", ErrInconsistent, err)
		}
		prevNote = stored.Note
	}
	size, err := l.st.AccessLogSize(ctx)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
	}
	if size < prev.Size {
		return SignedCheckpoint{}, fmt.Errorf("%w: the log has %d entries, the checkpoint %d", ErrInconsistent, size, prev.Size)
	}
	if size == prev.Size {
		if prevNote == nil {
			return SignedCheckpoint{}, ErrNoCheckpoint
		}
		return SignedCheckpoint{Checkpoint: prev, Note: prevNote}, nil
	}
	r := l.storeHashes(ctx)
	if err := checkLeaves(ctx, l.st, r, prev.Size, size); err != nil {
		return SignedCheckpoint{}, err
	}
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
	}
	if prev.Size > 0 {
		p, err := tlog.ProveTree(size, prev.Size, r)
		if err != nil {
			return SignedCheckpoint{}, fmt.Errorf("audit: checkpoint: %w", err)
		}
		if err := tlog.CheckTree(p, size, root, prev.Size, prev.Root); err != nil {
			return SignedCheckpoint{}, fmt.Errorf("%w: consistency proof from size %d to %d fails", ErrInconsistent, prev.Size, size)
		}
	}
	cp := Checkpoint{Origin: l.origin, Size: size, Root: root}
	signed, err := l.keys.signCheckpoint(cp)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	err = l.st.PutCheckpoint(ctx, store.Checkpoint{Size: size, Root: root, Note: signed, SignedAt: l.opts.Now()})
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("audit: store checkpoint: %w", err)
	}
	return SignedCheckpoint{Checkpoint: cp, Note: signed}, nil
}

// checkLeaves recomputes the leaf hash of every entry in [from, to) and
// compares it with the stored level-0 hash, naming the first bad index. It
// reads only the entries' data, a chunk at a time as one value
// (store.AccessLeaves): reading a row per entry cost more than hashing.
func checkLeaves(ctx context.Context, st store.AccessLog, r tlog.HashReader, from, to int64) error {
	const chunk = 8192
	idx := make([]int64, 0, chunk)
	for lo := from; lo < to; lo += chunk {
		hi := min(lo+chunk, to)
		leaves, err := st.AccessLeaves(ctx, lo, hi)
		if err != nil {
			return fmt.Errorf("audit: read entries: %w", err)
		}
		idx = idx[:0]
		for i := lo; i < hi; i++ {
			idx = append(idx, tlog.StoredHashIndex(0, i))
		}
		hs, err := r.ReadHashes(idx)
		if err != nil {
			return fmt.Errorf("audit: read hashes: %w", err)
		}
		for k := range int(hi - lo) {
			if k >= leaves.Len() {
				return &BadEntryError{Index: lo + int64(k), Reason: "missing"}
			}
			if tlog.RecordHash(leaves.Leaf(k)) != hs[k] {
				return &BadEntryError{Index: lo + int64(k), Reason: "does not match its stored hash"}
			}
		}
	}
	return nil
}

// BadEntryError names the first entry of the log that fails a check.
type BadEntryError struct {
	Index  int64
	Reason string
}

func (e *BadEntryError) Error() string {
	return fmt.Sprintf("audit: entry %d %s", e.Index, e.Reason)
}

// Is makes a BadEntryError match ErrInconsistent.
func (e *BadEntryError) Is(target error) bool { return target == ErrInconsistent }

// emptyRoot is the RFC 6962 hash of the empty tree, SHA-256 of nothing.
func emptyRoot() tlog.Hash {
	h, _ := tlog.TreeHash(0, nil)
	return h
}

// LatestCheckpoint returns the last signed checkpoint, or ErrNoCheckpoint.
func (l *Log) LatestCheckpoint(ctx context.Context) (SignedCheckpoint, error) {
	return latestCheckpoint(ctx, l.st, l.keys)
}

func latestCheckpoint(ctx context.Context, st store.AccessLog, k *keys) (SignedCheckpoint, error) {
	c, err := st.LatestCheckpoint(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return SignedCheckpoint{}, ErrNoCheckpoint
	}
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("audit: latest checkpoint: %w", err)
	}
	cp, err := k.openStored(c)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	return SignedCheckpoint{Checkpoint: cp, Note: c.Note}, nil
}

// InclusionProof returns the RFC 6962 audit path of entry index in the tree
// of the given size, which must not exceed the size of a signed checkpoint
// (a proof against an unsigned size proves nothing to anyone).
func (l *Log) InclusionProof(ctx context.Context, index, size int64) ([]tlog.Hash, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, ErrRange
	}
	p, err := tlog.ProveRecord(size, index, l.storeHashes(ctx))
	if err != nil {
		return nil, fmt.Errorf("audit: inclusion proof: %w", err)
	}
	return p, nil
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees
// of sizes from and to, 0 < from <= to <= the latest signed size.
func (l *Log) ConsistencyProof(ctx context.Context, from, to int64) ([]tlog.Hash, error) {
	if err := l.checkSize(ctx, to); err != nil {
		return nil, err
	}
	if from < 1 || from > to {
		return nil, ErrRange
	}
	p, err := tlog.ProveTree(to, from, l.storeHashes(ctx))
	if err != nil {
		return nil, fmt.Errorf("audit: consistency proof: %w", err)
	}
	return p, nil
}

func (l *Log) checkSize(ctx context.Context, size int64) error {
	cp, err := l.st.LatestCheckpoint(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoCheckpoint
	}
	if err != nil {
		return fmt.Errorf("audit: proof: %w", err)
	}
	if size < 1 || size > cp.Size {
		return ErrRange
	}
	return nil
}

// LeafHash returns the RFC 6962 leaf hash of an entry's data.
func LeafHash(data []byte) tlog.Hash { return tlog.RecordHash(data) }

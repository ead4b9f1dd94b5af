package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Report is what Verify checked.
type Report struct {
	Size        int64     // entries in the log
	Root        tlog.Hash // root of the whole log as recomputed
	Checkpoints int       // signed checkpoints checked
}

// Verify recomputes the whole tree from the stored entries, independently
// of the stored hashes, and checks every stored hash, the recorded size and
// every signed checkpoint against it. A changed, deleted or reordered entry
// fails with a *BadEntryError naming the first bad index; a checkpoint whose
// signature or root does not match fails naming its size. It reads the log
// once, in index order, holding O(log n) hashes in memory.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	return Verify(ctx, l.st)
}

// Verify checks the log in st as (*Log).Verify does, without starting a
// writer: for `dancu audit verify`, which may run beside a serving process.
func Verify(ctx context.Context, st Store) (Report, error) {
	k, ok, err := readKeys(ctx, st)
	if err != nil {
		return Report{}, err
	}
	size, err := st.AccessLogSize(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	rep := Report{Size: size, Root: emptyRoot()}
	if !ok {
		if size > 0 {
			return rep, errors.New("audit: verify: the log has entries but no signing key")
		}
		return rep, nil
	}
	// computed holds the recomputed hashes the next entries and the root
	// need: the frontier, pruned after each entry.
	computed := map[int64]tlog.Hash{}
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h, ok := computed[x]
			if !ok {
				return nil, fmt.Errorf("audit: verify: hash %d not computed", x)
			}
			out[i] = h
		}
		return out, nil
	})
	cps, err := st.Checkpoints(ctx, 0, 1000)
	if err != nil {
		return rep, fmt.Errorf("audit: verify: %w", err)
	}
	var lastCP int64
	// checkCheckpoints checks the checkpoints of size n, the size the
	// recomputed tree has reached.
	checkCheckpoints := func(n int64) error {
		for {
			if len(cps) == 0 {
				more, err := st.Checkpoints(ctx, lastCP, 1000)
				if err != nil {
					return fmt.Errorf("audit: verify: %w", err)
				}
				if len(more) == 0 {
					return nil
				}
				cps = more
			}
			c := cps[0]
			if c.Size > n {
				return nil
			}
			cp, err := k.openStored(c)
			if err != nil {
				return fmt.Errorf("audit: verify: checkpoint of size %d: %w", c.Size, err)
			}
			root, err := tlog.TreeHash(n, r)
			if err != nil {
				return err
			}
			if cp.Root != root {
				return fmt.Errorf("%w: checkpoint of size %d does not match the entries", ErrInconsistent, c.Size)
			}
			rep.Checkpoints++
			lastCP = c.Size
			cps = cps[1:]
		}
	}
	if err := checkCheckpoints(0); err != nil {
		return rep, err
	}
	const chunk = 4096
	var next int64
	for lo := int64(0); lo < size; lo += chunk {
		hi := min(lo+chunk, size)
		es, err := st.AccessEntries(ctx, lo, hi)
		if err != nil {
			return rep, fmt.Errorf("audit: verify: %w", err)
		}
		stored, err := st.AccessHashes(ctx, hashRange(tlog.StoredHashCount(lo), tlog.StoredHashCount(hi)))
		if err != nil {
			return rep, fmt.Errorf("audit: verify: stored hashes of entries %d to %d: %w", lo, hi-1, err)
		}
		base := tlog.StoredHashCount(lo)
		for _, e := range es {
			if e.Index != next {
				return rep, &BadEntryError{Index: next, Reason: "is missing"}
			}
			_, person, err := DecodeLeaf(e.Data)
			if err != nil {
				return rep, &BadEntryError{Index: next, Reason: "is malformed"}
			}
			if !bytes.Equal(person, e.Person) {
				return rep, &BadEntryError{Index: next, Reason: "is filed under another person"}
			}
			hs, err := tlog.StoredHashesForRecordHash(next, tlog.RecordHash(e.Data), r)
			if err != nil {
				return rep, err
			}
			start := tlog.StoredHashCount(next)
			for i, h := range hs {
				if stored[start-base+int64(i)] != h {
					return rep, &BadEntryError{Index: next, Reason: "does not match the stored tree"}
				}
				computed[start+int64(i)] = h
			}
			next++
			// Keep only what later entries and the root need.
			keep := frontierIndexes(next)
			if len(computed) > 2*len(keep)+64 {
				pruned := make(map[int64]tlog.Hash, len(keep))
				for _, x := range keep {
					pruned[x] = computed[x]
				}
				computed = pruned
			}
			if err := checkCheckpoints(next); err != nil {
				return rep, err
			}
		}
		if next != hi {
			return rep, &BadEntryError{Index: next, Reason: "is missing"}
		}
	}
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return rep, err
	}
	rep.Root = root
	// A checkpoint larger than the log means entries were cut off the end.
	if more, err := st.Checkpoints(ctx, lastCP, 1); err != nil {
		return rep, fmt.Errorf("audit: verify: %w", err)
	} else if len(more) > 0 {
		return rep, &BadEntryError{Index: size, Reason: fmt.Sprintf("is missing: a checkpoint covers %d entries", more[0].Size)}
	}
	// The person index is derived data: a row deleted from it would hide
	// an entry from the person's listing.
	if idx, err := st.MissingFromAccessIndex(ctx); err != nil {
		return rep, fmt.Errorf("audit: verify: %w", err)
	} else if idx >= 0 {
		return rep, &BadEntryError{Index: idx, Reason: "is missing from the person index"}
	}
	// Rows beyond the recorded size are entries the size does not account for.
	if extra, err := st.AccessEntries(ctx, size, size+1<<40); err != nil {
		return rep, fmt.Errorf("audit: verify: %w", err)
	} else if len(extra) > 0 {
		return rep, &BadEntryError{Index: extra[0].Index, Reason: "is beyond the recorded size of the log"}
	}
	return rep, nil
}

func hashRange(from, to int64) []int64 {
	idx := make([]int64, 0, to-from)
	for i := from; i < to; i++ {
		idx = append(idx, i)
	}
	return idx
}

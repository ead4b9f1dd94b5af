package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/dancu/dancu/internal/store"
)

// View says whose eyes a listing is for.
type View int

const (
	// OfficerView shows every entry; sealed ones are marked (officers and
	// auditors see them).
	OfficerView View = iota
	// CitizenView hides entries whose seal has not expired, as the person
	// sees their own listing.
	CitizenView
)

// TrackedAccess is one entry of a person's listing, with what a person
// needs to check it without trusting the server: the leaf as hashed, and
// its inclusion proof against the checkpoint the listing names.
type TrackedAccess struct {
	Index  int64
	Access Access // PIN empty: the log never stored it
	Leaf   []byte
	// Sealed is true while the entry's seal runs (SealedUntil after today).
	Sealed bool
	// Proof is the audit path against the listing's checkpoint; nil when
	// the entry is newer than that checkpoint (the next one covers it).
	Proof []tlog.Hash
}

// Tracking is one page of a person's listing.
type Tracking struct {
	Checkpoint *SignedCheckpoint // nil before the first checkpoint
	Entries    []TrackedAccess   // newest first
	// NextBefore, if not 0, asks for the next (older) page.
	NextBefore int64
}

// Accesses lists who accessed a person's data, newest first, up to limit
// entries with index < before (0: from the newest). Each entry comes with its
// inclusion proof against the latest signed checkpoint. The citizen view
// leaves out entries under a seal that has not expired; a page may then be
// shorter than limit though older entries remain.
func (l *Log) Accesses(ctx context.Context, pin string, before int64, limit int, view View) (Tracking, error) {
	if limit <= 0 {
		return Tracking{}, errors.New("audit: limit must be positive")
	}
	var t Tracking
	cp, err := l.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, ErrNoCheckpoint):
	case err != nil:
		return Tracking{}, err
	default:
		t.Checkpoint = &cp
	}
	es, err := l.st.PersonAccesses(ctx, store.AccessQuery{Person: l.Pseudonym(pin), Before: before, Limit: limit})
	if err != nil {
		return Tracking{}, fmt.Errorf("audit: accesses: %w", err)
	}
	if len(es) == limit {
		t.NextBefore = es[len(es)-1].Index
	}
	today := l.opts.Now().UTC().Format(time.DateOnly)
	r := l.storeHashes(ctx)
	for _, e := range es {
		a, _, err := DecodeLeaf(e.Data)
		if err != nil {
			return Tracking{}, fmt.Errorf("audit: accesses: entry %d: %w", e.Index, err)
		}
		ta := TrackedAccess{Index: e.Index, Access: a, Leaf: e.Data, Sealed: a.SealedUntil != "" && a.SealedUntil > today}
		if ta.Sealed && view == CitizenView {
			continue
		}
		if t.Checkpoint != nil && e.Index < t.Checkpoint.Size {
			p, err := tlog.ProveRecord(t.Checkpoint.Size, e.Index, r)
			if err != nil {
				return Tracking{}, fmt.Errorf("audit: accesses: proof of entry %d: %w", e.Index, err)
			}
			ta.Proof = p
		}
		t.Entries = append(t.Entries, ta)
	}
	return t, nil
}

package sealed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
)

// The re-seal pass and the retirement of data keys. Documents written
// before encryption was turned on stay in clear, and documents sealed
// under an older data key stay under it, until something rewrites them;
// Reseal rewrites them all, page by page, while the store serves, so that
// a data key can be retired (RetireDataKey) and strict mode turned on.

// place returns what the documents of col are bound to, from a stored
// row's Key (see store.DocumentColumn): the same table name and key parts
// as the methods that seal them on their way in.
func place(col store.DocumentColumn, key []string) (string, []string, error) {
	switch col {
	case store.DocPersons:
		return tPerson, key, nil
	case store.DocHouseholds:
		return tHousehold, key, nil
	case store.DocEventRequests:
		return tEventReq, key, nil
	case store.DocEventResults:
		return tEventRes, key, nil
	case store.DocOutbox:
		return tOutbox, key, nil
	case store.DocDatasetRecords:
		return tDataset, key, nil
	case store.DocCardDG1:
		return tCard, append(key, "dg1"), nil
	case store.DocCardDG2:
		return tCard, append(key, "dg2"), nil
	case store.DocCardDG13:
		return tCard, append(key, "dg13"), nil
	case store.DocCardSOD:
		return tCard, append(key, "sod"), nil
	case store.DocDossiers:
		return tDossier, key, nil
	case store.DocAttachments:
		return tAttachment, key, nil
	case store.DocEIDAccounts:
		return tEIDAccount, key, nil
	case store.DocEIDSessions:
		return tEIDSession, key, nil
	case store.DocEIDEvents:
		return tEIDEvent, key, nil
	case store.DocEIDTransient:
		return tEIDTrans, key, nil
	case store.DocOIDCAuthRequests:
		return tOIDCReq, key, nil
	case store.DocOIDCTokens:
		return tOIDCToken, key, nil
	case store.DocOIDCKeys:
		return tOIDCKey, key, nil
	}
	return "", nil, fmt.Errorf("sealed: no document column %q", col)
}

// Usage is how the stored documents of one column are sealed.
type Usage struct {
	Column store.DocumentColumn
	// Clear counts the documents stored in clear.
	Clear int64
	// ByKey counts the sealed documents by the data key that seals them.
	ByKey map[int64]int64
}

// Total is how many non-empty documents the column holds.
func (u Usage) Total() int64 {
	n := u.Clear
	for _, k := range u.ByKey {
		n += k
	}
	return n
}

// Usage counts, column by column, the documents in clear and those under
// each data key. It reads every document's first bytes, so it costs a scan
// of each table: an operator's command, not something to poll.
func (s *Store) Usage(ctx context.Context) ([]Usage, error) {
	var out []Usage
	for _, col := range store.DocumentColumns() {
		counts, err := s.Store.CountDocuments(ctx, col, seal.Magic(), seal.KeyIDLen)
		if err != nil {
			return nil, err
		}
		u := Usage{Column: col, ByKey: map[int64]int64{}}
		for tag, n := range counts {
			if id, ok := seal.ParseKeyID([]byte(tag)); ok {
				u.ByKey[id] += n
			} else {
				u.Clear += n
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// ResealOptions tunes a re-seal pass.
type ResealOptions struct {
	// Batch is how many documents one transaction rewrites (default 500):
	// small enough that serving writers wait little for the store.
	Batch int
	// Pause is a rest between batches, to leave the machine to serving.
	Pause time.Duration
	// Progress, if set, is told after each batch.
	Progress func(ResealProgress)
	// Rewrite has the backend rewrite its document tables whole at the
	// end (store.Documents.PurgeReplaced), so that no unused space keeps
	// bytes of the documents from before. It blocks writers while it runs.
	Rewrite bool
}

// ResealProgress is where a pass stands.
type ResealProgress struct {
	Column store.DocumentColumn
	// Done of Todo documents of Column are behind the pass. Todo is 0
	// where the pass does not count ahead: the dataset records it moves
	// from their key in clear to its blind index (Column
	// "dataset_records.key").
	Done, Todo int64
	// Resealed counts the documents rewritten in the whole pass so far.
	Resealed int64
}

// ResealResult is what a pass did.
type ResealResult struct {
	// Key is the data key everything was sealed under.
	Key int64
	// Resealed counts the documents rewritten.
	Resealed int64
	// Rekeyed counts the dataset records (of Resealed) moved from their
	// key in clear to its blind index.
	Rekeyed int64
	// Raced counts the documents another writer changed between the pass
	// reading and rewriting them: the writer's version stays, and a later
	// round of the pass looks at it again.
	Raced int64
	// Left counts the documents still in clear or under another key at
	// the end (written meanwhile by a process that had not yet moved to
	// the newest key): run the pass again.
	Left int64
}

// resealRounds bounds how often a pass goes over the columns again for
// documents that writers changed under it.
const resealRounds = 3

// Reseal rewrites every document stored in clear or under a data key other
// than the newest one, so that it is sealed under the newest. It runs while
// other processes serve: each batch replaces a document only if it still
// holds what the pass read, so a concurrent write is never undone. Stopped
// at any point (a crash, ^C), it loses nothing, and running it again
// carries on: what it sealed already is skipped.
func (s *Store) Reseal(ctx context.Context, opt ResealOptions) (ResealResult, error) {
	if opt.Batch <= 0 {
		opt.Batch = 500
	}
	if err := s.kr.Refresh(ctx); err != nil {
		return ResealResult{}, err
	}
	res := ResealResult{Key: s.kr.ActiveKey()}
	current := seal.KeyPrefix(res.Key)
	for round := 0; round < resealRounds; round++ {
		// Dataset records with keys in clear first: moving them seals
		// their documents under the newest key too.
		raced, err := s.rekeyDatasets(ctx, opt, &res)
		if err != nil {
			return res, err
		}
		res.Raced += raced
		usage, err := s.Usage(ctx)
		if err != nil {
			return res, err
		}
		res.Left = raced
		for _, u := range usage {
			todo := u.Total() - u.ByKey[res.Key]
			if todo == 0 {
				continue
			}
			raced, err := s.resealColumn(ctx, u.Column, current, todo, opt, &res)
			if err != nil {
				return res, err
			}
			res.Raced += raced
			res.Left += raced
		}
		if res.Left == 0 {
			break
		}
	}
	if res.Left > 0 {
		// Count what is really left: a raced document was usually written
		// sealed under the newest key by its writer.
		usage, err := s.Usage(ctx)
		if err != nil {
			return res, err
		}
		res.Left = 0
		for _, u := range usage {
			res.Left += u.Total() - u.ByKey[res.Key]
		}
		clear, err := s.Store.ClearDatasetKeys(ctx, "", "", 1000)
		if err != nil {
			return res, err
		}
		res.Left += int64(len(clear))
	}
	// The old documents' bytes may still be in the backend's log.
	return res, s.Store.PurgeReplaced(ctx, opt.Rewrite)
}

// resealColumn runs the pass over one column and returns how many
// documents writers changed under it.
func (s *Store) resealColumn(ctx context.Context, col store.DocumentColumn, current []byte, todo int64, opt ResealOptions, res *ResealResult) (int64, error) {
	var after []string
	var done, raced int64
	for {
		docs, err := s.Store.StoredDocuments(ctx, col, after, current, opt.Batch)
		if err != nil {
			return raced, err
		}
		if len(docs) == 0 {
			return raced, nil
		}
		swaps := make([]store.DocumentSwap, len(docs))
		for i, d := range docs {
			table, key, err := place(col, d.Key)
			if err != nil {
				return raced, err
			}
			aad := aad(table, key...)
			// Opened with the keyring itself: strict mode does not apply to
			// the pass that ends clear documents.
			plain, err := s.kr.Open(ctx, d.Doc, aad)
			if err != nil {
				// Never the row's key: it may be a PIN.
				return raced, fmt.Errorf("sealed: reseal %s: a document does not open: %w", col, err)
			}
			resealed, err := s.kr.Seal(ctx, plain, aad)
			if err != nil {
				return raced, fmt.Errorf("sealed: reseal %s: %w", col, err)
			}
			swaps[i] = store.DocumentSwap{Row: d.Row, Old: d.Doc, New: resealed}
			if col == store.DocDatasetRecords && len(d.Index) > 0 && !seal.IsSealed(d.Doc) {
				// Written before sealing, so its content hash is the bare
				// digest: it becomes the blind index UpsertDatasetRecords
				// compares with.
				swaps[i].NewIndex = s.kr.Index(iDatasetHash, d.Index)
			}
		}
		n, err := s.Store.ReplaceDocuments(ctx, col, swaps)
		if err != nil {
			return raced, err
		}
		done += int64(len(docs))
		raced += int64(len(docs) - n)
		res.Resealed += int64(n)
		if opt.Progress != nil {
			opt.Progress(ResealProgress{Column: col, Done: min(done, todo), Todo: todo, Resealed: res.Resealed})
		}
		after = docs[len(docs)-1].Row
		if opt.Pause > 0 {
			select {
			case <-ctx.Done():
				return raced, ctx.Err()
			case <-time.After(opt.Pause):
			}
		}
	}
}

// ErrKeyInUse is returned by RetireDataKey for a data key that documents
// are still sealed under, or that processes may still seal new writes
// with.
var ErrKeyInUse = errors.New("data key still in use")

// RetireDataKey deletes data key id from the store once nothing needs it:
// no stored document is sealed under it, and a newer data key has sealed
// new writes for long enough (RetireGrace) that every running process has
// moved to it. Backups taken before keep their
// own copy of the key.
func (s *Store) RetireDataKey(ctx context.Context, id int64) error {
	keys, err := s.Store.DataKeys(ctx)
	if err != nil {
		return err
	}
	var target *store.DataKey
	var newer []store.DataKey
	for i, k := range keys {
		if k.Purpose != seal.PurposeData {
			continue
		}
		if k.ID == id {
			target = &keys[i]
		} else if k.ID > id {
			newer = append(newer, k)
		}
	}
	if target == nil {
		return fmt.Errorf("sealed: retire data key %d: %w", id, store.ErrNotFound)
	}
	if len(newer) == 0 {
		return fmt.Errorf("sealed: retire data key %d: %w: it is the newest and seals new writes (add one with dancu keys rotate --new-data-key, then reseal)", id, ErrKeyInUse)
	}
	usage, err := s.Usage(ctx)
	if err != nil {
		return err
	}
	var n int64
	for _, u := range usage {
		n += u.ByKey[id]
	}
	if n > 0 {
		return fmt.Errorf("sealed: retire data key %d: %w: %d documents are sealed under it (run dancu keys reseal)", id, ErrKeyInUse, n)
	}
	if since := time.Since(newer[0].CreatedAt); since < s.retireGrace {
		return fmt.Errorf("sealed: retire data key %d: %w: data key %d was added %s ago, and running processes may seal with key %d for up to %s after that; wait, run reseal again, then retire",
			id, ErrKeyInUse, newer[0].ID, since.Truncate(time.Second), id, s.retireGrace)
	}
	return s.Store.DeleteDataKey(ctx, id)
}

package sealed

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
)

// Dataset record keys are chosen by agencies and may be a subscriber's
// phone number or an insurance card number, so they are not stored as they
// are: the row's key is a keyed blind index of (dataset, key), and the key
// itself travels sealed inside the document. Lookups by key compute the
// index; upserts of the same key land on the same row, so a repeated push
// still changes nothing. Rows written before (keys in clear) are moved by
// the re-seal pass, or by the first upsert of their key.

// iDatasetKey is the blind-index domain of dataset record keys.
const iDatasetKey = "dataset_records.key"

// blindKeyBytes is how much of the HMAC a stored key keeps: 192 bits, far
// beyond any chance of two keys meeting, in 33 characters.
const blindKeyBytes = 24

// clearKeysRecheck is how often a store that has seen records with keys in
// clear looks again whether any is left.
const clearKeysRecheck = 30 * time.Second

// clearKeys remembers, per dataset, whether the backend may still hold
// records with keys in clear. Once a dataset has none, none comes back,
// since every write blind-indexes its key; until then upserts move the
// records they meet (store.DatasetRecord.MoveFrom) and lookups fall back
// to the clear key, and the store looks again every clearKeysRecheck.
type clearKeys struct {
	byDataset sync.Map // dataset -> *clearState
}

type clearState struct {
	none    atomic.Bool
	checked atomic.Int64 // unix nanoseconds of the last look
}

// BlindKey returns the key a record of dataset with the agency's key is
// stored under.
func (s *Store) BlindKey(dataset, key string) string {
	mac := s.kr.Index(iDatasetKey, aad(dataset, key))
	return store.BlindKeyMark + base64.RawURLEncoding.EncodeToString(mac[:blindKeyBytes])
}

func isBlind(stored string) bool { return strings.HasPrefix(stored, store.BlindKeyMark) }

// mayHoldClearKeys reports whether records of dataset with keys in clear
// may be left: one seek in the primary key, at most every
// clearKeysRecheck, and never again once there are none.
func (s *Store) mayHoldClearKeys(ctx context.Context, dataset string) (bool, error) {
	v, _ := s.clear.byDataset.LoadOrStore(dataset, &clearState{})
	st := v.(*clearState)
	if st.none.Load() {
		return false, nil
	}
	if last := st.checked.Load(); last != 0 && time.Since(time.Unix(0, last)) < clearKeysRecheck {
		return true, nil
	}
	left, err := s.Store.HasClearDatasetKeys(ctx, dataset)
	if err != nil {
		return true, err
	}
	st.checked.Store(time.Now().UnixNano())
	if !left {
		st.none.Store(true)
	}
	return left, nil
}

// withKey puts the agency's key in front of the document: a length, then
// the key, then the document as it was.
func withKey(key string, doc []byte) []byte {
	out := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(key)+len(doc)), uint64(len(key)))
	return append(append(out, key...), doc...)
}

var errKeyEnvelope = errors.New("a record's key does not match its blind index")

// splitKey takes the agency's key out of an opened document.
func splitKey(plain []byte) (string, []byte, error) {
	n, w := binary.Uvarint(plain)
	if w <= 0 || n > uint64(len(plain)-w) {
		return "", nil, errKeyEnvelope
	}
	return string(plain[w : w+int(n)]), plain[w+int(n):], nil
}

// sealDataset turns a record as the caller knows it into the row stored:
// key blind-indexed, document sealed with the key inside, content hash
// keyed.
func (s *Store) sealDataset(ctx context.Context, r store.DatasetRecord, moveClear bool) (store.DatasetRecord, error) {
	stored := s.BlindKey(r.Dataset, r.Key)
	if len(r.Hash) > 0 {
		r.Hash = s.kr.Index(iDatasetHash, r.Hash)
	}
	var err error
	if r.Data, err = s.seal(ctx, withKey(r.Key, r.Data), tDataset, r.Dataset, stored); err != nil {
		return r, err
	}
	r.MoveFrom = ""
	if moveClear {
		r.MoveFrom = r.Key
	}
	r.Key = stored
	return r, nil
}

// openDataset turns a stored row back into the record: its key out of the
// sealed document, checked against the row's blind index.
func (s *Store) openDataset(ctx context.Context, r *store.DatasetRecord) error {
	if !isBlind(r.Key) {
		// Written before keys were blind-indexed.
		if s.strict {
			return fmt.Errorf("sealed: %s: %w", tDataset, ErrClear)
		}
		var err error
		r.Data, err = s.open(ctx, r.Data, tDataset, r.Dataset, r.Key)
		return err
	}
	plain, err := s.open(ctx, r.Data, tDataset, r.Dataset, r.Key)
	if err != nil {
		return err
	}
	key, doc, err := splitKey(plain)
	if err == nil && s.BlindKey(r.Dataset, key) != r.Key {
		err = errKeyEnvelope
	}
	if err != nil {
		return fmt.Errorf("sealed: %s: %w", tDataset, err)
	}
	r.Key, r.Data = key, doc
	return nil
}

// UpsertDatasetRecords implements store.Datasets.
func (s *Store) UpsertDatasetRecords(ctx context.Context, recs []store.DatasetRecord) (store.UpsertCounts, error) {
	out := make([]store.DatasetRecord, len(recs))
	for i, r := range recs {
		move, err := s.mayHoldClearKeys(ctx, r.Dataset)
		if err != nil {
			return store.UpsertCounts{}, err
		}
		if out[i], err = s.sealDataset(ctx, r, move); err != nil {
			return store.UpsertCounts{}, err
		}
	}
	return s.Store.UpsertDatasetRecords(ctx, out)
}

// DatasetRecord implements store.Datasets.
func (s *Store) DatasetRecord(ctx context.Context, dataset, key string) (store.DatasetRecord, error) {
	r, err := s.Store.DatasetRecord(ctx, dataset, s.BlindKey(dataset, key))
	// In strict mode too, so that a record still under its key in clear
	// is refused (ErrClear) rather than said not to exist.
	if errors.Is(err, store.ErrNotFound) {
		if left, cerr := s.mayHoldClearKeys(ctx, dataset); cerr != nil {
			return r, cerr
		} else if left {
			r, err = s.Store.DatasetRecord(ctx, dataset, key)
		}
	}
	if err != nil {
		return store.DatasetRecord{}, err
	}
	if err := s.openDataset(ctx, &r); err != nil {
		return store.DatasetRecord{}, err
	}
	return r, nil
}

// DatasetRecordsByPIN implements store.Datasets. The backend orders the
// rows by blind index; the records come back ordered by their own keys.
func (s *Store) DatasetRecordsByPIN(ctx context.Context, dataset, pin string) ([]store.DatasetRecord, error) {
	rs, err := s.Store.DatasetRecordsByPIN(ctx, dataset, pin)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if err := s.openDataset(ctx, &rs[i]); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(rs, func(a, b store.DatasetRecord) int { return strings.Compare(a.Key, b.Key) })
	return rs, nil
}

// DatasetRecords implements store.Datasets. Pages come in the order of
// the stored keys (blind indexes, after any keys still in clear), and
// afterKey, the last record's own key, is turned into its stored key.
func (s *Store) DatasetRecords(ctx context.Context, dataset, afterKey string, limit int) ([]store.DatasetRecord, error) {
	cursor := afterKey
	if afterKey != "" {
		cursor = s.BlindKey(dataset, afterKey)
		left, err := s.mayHoldClearKeys(ctx, dataset)
		if err != nil {
			return nil, err
		}
		if left {
			// The last record may have been one still under its clear key.
			if _, err := s.Store.DatasetRecord(ctx, dataset, cursor); errors.Is(err, store.ErrNotFound) {
				cursor = afterKey
			} else if err != nil {
				return nil, err
			}
		}
	}
	rs, err := s.Store.DatasetRecords(ctx, dataset, cursor, limit)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if err := s.openDataset(ctx, &rs[i]); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// rekeyDatasets moves every record still under its key in clear to its
// blind index, with the document sealed under the newest data key and the
// key inside it; a record an upsert changed meanwhile is left to the next
// round (the upsert moved it already). It returns how many were raced.
func (s *Store) rekeyDatasets(ctx context.Context, opt ResealOptions, res *ResealResult) (int64, error) {
	const col = store.DocumentColumn("dataset_records.key")
	var afterDS, afterKey string
	var done, raced int64
	for {
		recs, err := s.Store.ClearDatasetKeys(ctx, afterDS, afterKey, opt.Batch)
		if err != nil || len(recs) == 0 {
			return raced, err
		}
		moves := make([]store.DatasetMove, len(recs))
		for i, r := range recs {
			// Opened with the keyring itself: strict mode does not apply to
			// the pass that ends clear keys.
			plain, err := s.kr.Open(ctx, r.Data, aad(tDataset, r.Dataset, r.Key))
			if err != nil {
				return raced, fmt.Errorf("sealed: blind-index dataset keys: a document does not open: %w", err)
			}
			m := store.DatasetMove{Dataset: r.Dataset, From: r.Key, To: s.BlindKey(r.Dataset, r.Key), Old: r.Data}
			if m.New, err = s.seal(ctx, withKey(r.Key, plain), tDataset, r.Dataset, m.To); err != nil {
				return raced, err
			}
			if !seal.IsSealed(r.Data) && len(r.Hash) > 0 {
				// Written before sealing: its content hash is the bare digest.
				m.NewHash = s.kr.Index(iDatasetHash, r.Hash)
			}
			moves[i] = m
		}
		n, err := s.Store.RekeyDatasetRecords(ctx, moves)
		if err != nil {
			return raced, err
		}
		done += int64(len(recs))
		raced += int64(len(recs) - n)
		res.Rekeyed += int64(n)
		res.Resealed += int64(n)
		if opt.Progress != nil {
			opt.Progress(ResealProgress{Column: col, Done: done, Resealed: res.Resealed})
		}
		last := recs[len(recs)-1]
		afterDS, afterKey = last.Dataset, last.Key
		if opt.Pause > 0 {
			select {
			case <-ctx.Done():
				return raced, ctx.Err()
			case <-time.After(opt.Pause):
			}
		}
	}
}

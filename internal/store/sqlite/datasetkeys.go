package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dancu/dancu/internal/store"
)

// Dataset record keys move out of clear: the re-seal pass of package
// sealed pages through the records still under their agency's key and
// moves each to its blind index.

const (
	qClearDatasetKeys = `SELECT ` + dsCols + ` FROM dataset_records
		WHERE (dataset, key) > (?, ?) AND substr(key, 1, 1) <> '` + store.BlindKeyMark + `'
		ORDER BY dataset, key LIMIT ?`
	// Agencies' keys start with a letter or digit, so they all sort
	// before the mark: a seek in the primary key finds one or none.
	qHasClearDatasetKeys = `SELECT 1 FROM dataset_records WHERE dataset = ? AND key < '` + store.BlindKeyMark + `' LIMIT 1`
	// A record already under its new key was written there later: the
	// one under the old key is dropped.
	qMoveDropStale = `DELETE FROM dataset_records WHERE dataset = ?1 AND key = ?2
		AND EXISTS (SELECT 1 FROM dataset_records WHERE dataset = ?1 AND key = ?3)`
	qMoveRekey = `UPDATE dataset_records SET key = ?3, data = ?4, hash = coalesce(?5, hash)
		WHERE dataset = ?1 AND key = ?2 AND data = ?6`
	// The upsert's move takes the new document whatever the old one was:
	// the upsert that follows decides by the hash.
	qMoveUpsert = `UPDATE dataset_records SET key = ?3, data = ?4 WHERE dataset = ?1 AND key = ?2`
)

// HasClearDatasetKeys implements store.Documents.
func (s *Store) HasClearDatasetKeys(ctx context.Context, dataset string) (bool, error) {
	rows, err := queryAll(ctx, s, "clear dataset keys", func(sc scanner) (int, error) {
		var one int
		return one, sc.Scan(&one)
	}, qHasClearDatasetKeys, dataset)
	return len(rows) > 0, err
}

// ClearDatasetKeys implements store.Documents.
func (s *Store) ClearDatasetKeys(ctx context.Context, afterDataset, afterKey string, limit int) ([]store.DatasetRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	return queryAll(ctx, s, "clear dataset keys", scanDatasetRecord, qClearDatasetKeys, afterDataset, afterKey, limit)
}

// RekeyDatasetRecords implements store.Documents on the writer, with
// secure_delete on so that the old keys' index cells are zeroed.
func (s *Store) RekeyDatasetRecords(ctx context.Context, moves []store.DatasetMove) (int, error) {
	var n int
	err := retry(ctx, func() error {
		n = 0
		return s.secureWrite(ctx, func(tx *sql.Tx) error {
			for _, m := range moves {
				res, err := tx.ExecContext(ctx, qMoveDropStale, m.Dataset, m.From, m.To)
				if err != nil {
					return err
				}
				if k, err := res.RowsAffected(); err != nil {
					return err
				} else if k > 0 {
					n++
					continue
				}
				var hash any
				if m.NewHash != nil {
					hash = m.NewHash
				}
				res, err = tx.ExecContext(ctx, qMoveRekey, m.Dataset, m.From, m.To, m.New, hash, m.Old)
				if err != nil {
					return err
				}
				k, err := res.RowsAffected()
				if err != nil {
					return err
				}
				n += int(k)
			}
			return nil
		})
	}, isBusy)
	if err != nil {
		return 0, fmt.Errorf("sqlite: rekey dataset records: %w", err)
	}
	return n, nil
}

// moveInUpsert moves the records of a batch that are still stored under
// their MoveFrom key, in the upsert's transaction.
func moveInUpsert(ctx context.Context, tx *sql.Tx, recs []store.DatasetRecord) error {
	for i := range recs {
		r := &recs[i]
		if r.MoveFrom == "" || r.MoveFrom == r.Key {
			continue
		}
		if _, err := tx.ExecContext(ctx, qMoveDropStale, r.Dataset, r.MoveFrom, r.Key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, qMoveUpsert, r.Dataset, r.MoveFrom, r.Key, r.Data); err != nil {
			return err
		}
	}
	return nil
}

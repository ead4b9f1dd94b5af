package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// Dataset record keys move out of clear: the re-seal pass of package
// sealed pages through the records still under their agency's key and
// moves each to its blind index.

const (
	qClearDatasetKeys = `SELECT ` + dsCols + ` FROM dataset_records
		WHERE (dataset, key) > ($1, $2) AND left(key, 1) <> '` + store.BlindKeyMark + `'
		ORDER BY dataset, key LIMIT $3`
	// A record already under its new key was written there later: the
	// one under the old key is dropped.
	qMoveDropStale = `DELETE FROM dataset_records d WHERE d.dataset = $1 AND d.key = $2
		AND EXISTS (SELECT 1 FROM dataset_records e WHERE e.dataset = $1 AND e.key = $3)`
	qMoveRekey = `UPDATE dataset_records SET key = $3, data = $4, hash = coalesce($5::bytea, hash)
		WHERE dataset = $1 AND key = $2 AND data = $6`
)

// HasClearDatasetKeys implements store.Documents: agencies' keys start
// with a letter or digit, so they all sort before the mark (the column's
// collation is "C") and a seek in the primary key finds one or none.
func (s *Store) HasClearDatasetKeys(ctx context.Context, dataset string) (bool, error) {
	var yes bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM dataset_records WHERE dataset = $1 AND key < '`+store.BlindKeyMark+`')`, dataset).Scan(&yes)
	return yes, wrapErr("clear dataset keys", err)
}

// ClearDatasetKeys implements store.Documents.
func (s *Store) ClearDatasetKeys(ctx context.Context, afterDataset, afterKey string, limit int) ([]store.DatasetRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, qClearDatasetKeys, afterDataset, afterKey, limit)
	if err != nil {
		return nil, wrapErr("clear dataset keys", err)
	}
	rs, err := scanDatasetRecords(rows)
	return rs, wrapErr("clear dataset keys", err)
}

// RekeyDatasetRecords implements store.Documents, as one pipelined batch.
// The old row versions stay in the table's files until VACUUM reuses
// their space (keys reseal --rewrite: VACUUM FULL).
func (s *Store) RekeyDatasetRecords(ctx context.Context, moves []store.DatasetMove) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n = 0
		var b pgx.Batch
		for _, m := range moves {
			var hash any // NULL keeps the stored hash
			if m.NewHash != nil {
				hash = m.NewHash
			}
			b.Queue(qMoveDropStale, m.Dataset, m.From, m.To)
			b.Queue(qMoveRekey, m.Dataset, m.From, m.To, m.New, hash, m.Old)
		}
		res := tx.SendBatch(ctx, &b)
		for range moves {
			dropped, err := res.Exec()
			if err != nil {
				res.Close()
				return err
			}
			moved, err := res.Exec()
			if err != nil {
				res.Close()
				return err
			}
			// A dropped record leaves nothing for the UPDATE to move.
			n += int(dropped.RowsAffected() + moved.RowsAffected())
		}
		return res.Close()
	})
	if err != nil {
		return 0, wrapErr("rekey dataset records", err)
	}
	return n, nil
}

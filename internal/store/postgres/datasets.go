package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

const dsCols = `dataset, key, pin, source, version, hash, data, updated_at`

// stageCols are the columns COPY fills in the per-transaction stage table.
var stageCols = []string{"dataset", "key", "pin", "source", "hash", "data", "move_from"}

// moveFromStage moves staged records still stored under their move_from
// key (store.DatasetRecord.MoveFrom) to their key, before the upsert; one
// already under its key was written there later, so the other is dropped.
const moveFromStage = `WITH dropped AS (
	DELETE FROM dataset_records d USING dataset_stage s
	WHERE s.move_from IS NOT NULL AND d.dataset = s.dataset AND d.key = s.move_from
		AND EXISTS (SELECT 1 FROM dataset_records e WHERE e.dataset = s.dataset AND e.key = s.key)
	RETURNING d.dataset, d.key)
UPDATE dataset_records d SET key = s.key, data = s.data FROM dataset_stage s
WHERE s.move_from IS NOT NULL AND d.dataset = s.dataset AND d.key = s.move_from
	AND NOT EXISTS (SELECT 1 FROM dropped x WHERE x.dataset = d.dataset AND x.key = d.key)`

// upsertFromStage moves the staged batch into dataset_records. Rows go in
// key order so that two processes upserting overlapping batches lock rows in
// the same order and cannot deadlock. An unchanged record fails the WHERE of
// DO UPDATE, so it is neither rewritten (no dead tuple, no WAL) nor returned.
const upsertFromStage = `WITH up AS (
	INSERT INTO dataset_records (dataset, key, pin, source, version, hash, updated_at, data)
	SELECT dataset, key, pin, source, 1, hash, $1, data FROM dataset_stage ORDER BY dataset, key
	ON CONFLICT (dataset, key) DO UPDATE SET pin = excluded.pin, source = excluded.source,
		version = dataset_records.version + 1, hash = excluded.hash,
		updated_at = excluded.updated_at, data = excluded.data
	WHERE dataset_records.hash <> excluded.hash
	RETURNING version)
SELECT count(*) FILTER (WHERE version = 1), count(*) FILTER (WHERE version > 1) FROM up`

func scanDatasetRecords(rows pgx.Rows) ([]store.DatasetRecord, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DatasetRecord, error) {
		var r store.DatasetRecord
		err := row.Scan(&r.Dataset, &r.Key, &r.PIN, &r.Source, &r.Version, &r.Hash, &r.Data, &r.UpdatedAt)
		r.UpdatedAt = r.UpdatedAt.UTC()
		return r, err
	})
}

// UpsertDatasetRecords implements store.Datasets: COPY into a temporary
// table that lives for the transaction, then one INSERT ... ON CONFLICT.
func (s *Store) UpsertDatasetRecords(ctx context.Context, recs []store.DatasetRecord) (store.UpsertCounts, error) {
	var c store.UpsertCounts
	if len(recs) == 0 {
		return c, nil
	}
	moves := false
	for i := range recs {
		if recs[i].Dataset == "" || recs[i].Key == "" || len(recs[i].Hash) == 0 {
			return c, errors.New("postgres: upsert dataset records: dataset, key and hash are required")
		}
		moves = moves || recs[i].MoveFrom != ""
	}
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return c, wrapErr("upsert dataset records: begin", err)
	}
	defer ptx.Rollback(context.WithoutCancel(ctx))
	if _, err := ptx.Exec(ctx, `CREATE TEMPORARY TABLE dataset_stage (
		dataset text COLLATE "C", key text COLLATE "C", pin text COLLATE "C", source text COLLATE "C",
		hash bytea, data bytea, move_from text COLLATE "C") ON COMMIT DROP`); err != nil {
		return c, wrapErr("upsert dataset records: stage", err)
	}
	_, err = ptx.CopyFrom(ctx, pgx.Identifier{"dataset_stage"}, stageCols, pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
		r := &recs[i]
		var from any
		if r.MoveFrom != "" && r.MoveFrom != r.Key {
			from = r.MoveFrom
		}
		return []any{r.Dataset, r.Key, r.PIN, r.Source, r.Hash, r.Data, from}, nil
	}))
	if err != nil {
		return c, wrapErr("upsert dataset records: copy", err)
	}
	if moves {
		if _, err := ptx.Exec(ctx, moveFromStage); err != nil {
			return c, wrapErr("upsert dataset records: move", err)
		}
	}
	var ins, upd int64
	if err := ptx.QueryRow(ctx, upsertFromStage, time.Now().UTC()).Scan(&ins, &upd); err != nil {
		return c, wrapErr("upsert dataset records", err)
	}
	if err := ptx.Commit(ctx); err != nil {
		return c, wrapErr("upsert dataset records: commit", err)
	}
	c.Inserted, c.Updated = int(ins), int(upd)
	c.Unchanged = len(recs) - c.Inserted - c.Updated
	return c, nil
}

// DatasetRecord implements store.Datasets.
func (s *Store) DatasetRecord(ctx context.Context, dataset, key string) (store.DatasetRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+dsCols+` FROM dataset_records WHERE dataset = $1 AND key = $2`, dataset, key)
	if err != nil {
		return store.DatasetRecord{}, wrapErr("dataset record", err)
	}
	rs, err := scanDatasetRecords(rows)
	if err != nil {
		return store.DatasetRecord{}, wrapErr("dataset record", err)
	}
	if len(rs) == 0 {
		return store.DatasetRecord{}, sentinel("dataset record", store.ErrNotFound)
	}
	return rs[0], nil
}

// DatasetRecordsByPIN implements store.Datasets.
func (s *Store) DatasetRecordsByPIN(ctx context.Context, dataset, pin string) ([]store.DatasetRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+dsCols+` FROM dataset_records
		WHERE dataset = $1 AND pin = $2 ORDER BY key`, dataset, pin)
	if err != nil {
		return nil, wrapErr("dataset records", err)
	}
	rs, err := scanDatasetRecords(rows)
	return rs, wrapErr("dataset records", err)
}

// ExistingPINs implements store.Datasets with one query for the batch.
func (s *Store) ExistingPINs(ctx context.Context, pins []string) ([]string, error) {
	if len(pins) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT pin FROM persons WHERE pin = ANY($1::text[])`, pins)
	if err != nil {
		return nil, wrapErr("existing pins", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, wrapErr("existing pins", err)
}

// DatasetCoverage implements store.Datasets.
func (s *Store) DatasetCoverage(ctx context.Context) ([]store.DatasetCoverage, int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.dataset, count(*),
			count(DISTINCT d.pin) FILTER (WHERE p.state = 'alive')
		FROM dataset_records d LEFT JOIN persons p ON p.pin = d.pin
		GROUP BY d.dataset ORDER BY d.dataset`)
	if err != nil {
		return nil, 0, wrapErr("dataset coverage", err)
	}
	cov, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DatasetCoverage, error) {
		var c store.DatasetCoverage
		return c, row.Scan(&c.Dataset, &c.Records, &c.LinkedLiving)
	})
	if err != nil {
		return nil, 0, wrapErr("dataset coverage", err)
	}
	var living int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM persons WHERE state = 'alive'`).Scan(&living); err != nil {
		return nil, 0, wrapErr("dataset coverage", err)
	}
	return cov, living, nil
}

// DatasetRecords implements store.Datasets.
func (s *Store) DatasetRecords(ctx context.Context, dataset, afterKey string, limit int) ([]store.DatasetRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+dsCols+` FROM dataset_records
		WHERE dataset = $1 AND key > $2 ORDER BY key LIMIT $3`, dataset, afterKey, limit)
	if err != nil {
		return nil, wrapErr("dataset records", err)
	}
	rs, err := scanDatasetRecords(rows)
	return rs, wrapErr("dataset records", err)
}

package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// upsertRows is how many records one multi-row INSERT carries: every
// statement the pure-Go driver runs has a fixed cost that a row alone would
// pay, and 128 rows of 7 parameters stay far below SQLite's limit of 32,766.
const upsertRows = 128

const (
	dsCols        = `dataset, key, pin, source, version, hash, data, updated_at`
	qDatasetRec   = `SELECT ` + dsCols + ` FROM dataset_records WHERE dataset = ? AND key = ?`
	qDatasetByPIN = `SELECT ` + dsCols + ` FROM dataset_records WHERE dataset = ? AND pin = ? ORDER BY key`
	qExistingPINs = `SELECT pin FROM persons WHERE pin IN (SELECT value FROM json_each(?))`
	// An unchanged record matches the WHERE of DO UPDATE on nothing, so it
	// is neither written nor returned: only inserts (version 1) and changes
	// (version > 1) come back.
	upsertHead = `INSERT INTO dataset_records (dataset, key, pin, source, version, hash, updated_at, data) VALUES `
	upsertTail = ` ON CONFLICT (dataset, key) DO UPDATE SET pin = excluded.pin, source = excluded.source,
		version = dataset_records.version + 1, hash = excluded.hash, updated_at = excluded.updated_at, data = excluded.data
		WHERE dataset_records.hash <> excluded.hash
		RETURNING version`
)

func upsertSQL(rows int) string {
	var b strings.Builder
	b.WriteString(upsertHead)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, 1, ?, ?, ?)")
	}
	b.WriteString(upsertTail)
	return b.String()
}

// fullUpsert is the statement for a whole chunk, built once.
var fullUpsert = upsertSQL(upsertRows)

func scanDatasetRecord(sc scanner) (store.DatasetRecord, error) {
	var r store.DatasetRecord
	var at int64
	err := sc.Scan(&r.Dataset, &r.Key, &r.PIN, &r.Source, &r.Version, &r.Hash, &r.Data, &at)
	r.UpdatedAt = time.Unix(0, at).UTC()
	return r, err
}

// UpsertDatasetRecords implements store.Datasets. The batch goes through the
// single writer in one transaction, as multi-row statements.
func (s *Store) UpsertDatasetRecords(ctx context.Context, recs []store.DatasetRecord) (store.UpsertCounts, error) {
	var c store.UpsertCounts
	if len(recs) == 0 {
		return c, nil
	}
	for i := range recs {
		if recs[i].Dataset == "" || recs[i].Key == "" || len(recs[i].Hash) == 0 {
			return c, errors.New("sqlite: upsert dataset records: dataset, key and hash are required")
		}
	}
	now := time.Now().UnixNano()
	// In key order, each statement's rows land next to each other in the
	// primary-key B-tree instead of on pages scattered over it. A batch's
	// keys are distinct, so the order changes nothing else.
	sorted := make([]*store.DatasetRecord, len(recs))
	for i := range recs {
		sorted[i] = &recs[i]
	}
	slices.SortFunc(sorted, func(a, b *store.DatasetRecord) int {
		return cmp.Or(strings.Compare(a.Dataset, b.Dataset), strings.Compare(a.Key, b.Key))
	})
	args := make([]any, 0, upsertRows*7)
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		c = store.UpsertCounts{}
		if err := moveInUpsert(ctx, tx, recs); err != nil {
			return err
		}
		var full *sql.Stmt
		defer func() {
			if full != nil {
				full.Close()
			}
		}()
		for start := 0; start < len(sorted); start += upsertRows {
			chunk := sorted[start:min(start+upsertRows, len(sorted))]
			args = args[:0]
			for _, r := range chunk {
				args = append(args, r.Dataset, r.Key, r.PIN, r.Source, r.Hash, now, r.Data)
			}
			var rows *sql.Rows
			var err error
			if len(chunk) == upsertRows {
				if full == nil {
					if full, err = tx.PrepareContext(ctx, fullUpsert); err != nil {
						return err
					}
				}
				rows, err = full.QueryContext(ctx, args...)
			} else {
				rows, err = tx.QueryContext(ctx, upsertSQL(len(chunk)), args...)
			}
			if err != nil {
				return err
			}
			written := 0
			for rows.Next() {
				var v int64
				if err := rows.Scan(&v); err != nil {
					rows.Close()
					return err
				}
				written++
				if v == 1 {
					c.Inserted++
				} else {
					c.Updated++
				}
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return err
			}
			c.Unchanged += len(chunk) - written
		}
		return nil
	})
	if err != nil {
		return store.UpsertCounts{}, fmt.Errorf("sqlite: upsert dataset records: %w", err)
	}
	return c, nil
}

// DatasetRecord implements store.Datasets.
func (s *Store) DatasetRecord(ctx context.Context, dataset, key string) (store.DatasetRecord, error) {
	return queryOne(ctx, s, "dataset record", scanDatasetRecord, qDatasetRec, dataset, key)
}

// DatasetRecordsByPIN implements store.Datasets.
func (s *Store) DatasetRecordsByPIN(ctx context.Context, dataset, pin string) ([]store.DatasetRecord, error) {
	return queryAll(ctx, s, "dataset records", scanDatasetRecord, qDatasetByPIN, dataset, pin)
}

// ExistingPINs implements store.Datasets with one query on the read pool:
// the PINs travel as one JSON array, so the statement text is the same for
// every batch and stays prepared, and each PIN costs one search of the
// persons PIN index.
func (s *Store) ExistingPINs(ctx context.Context, pins []string) ([]string, error) {
	if len(pins) == 0 {
		return nil, nil
	}
	arr, err := json.Marshal(pins)
	if err != nil {
		return nil, fmt.Errorf("sqlite: existing pins: %w", err)
	}
	return queryAll(ctx, s, "existing pins", func(sc scanner) (string, error) {
		var p string
		return p, sc.Scan(&p)
	}, qExistingPINs, string(arr))
}

// DatasetCoverage implements store.Datasets. The distinct count walks the
// (dataset, pin) index in order and looks each PIN up in persons.
func (s *Store) DatasetCoverage(ctx context.Context) ([]store.DatasetCoverage, int64, error) {
	counts, err := queryAll(ctx, s, "dataset coverage", func(sc scanner) (store.DatasetCoverage, error) {
		var c store.DatasetCoverage
		return c, sc.Scan(&c.Dataset, &c.Records)
	}, `SELECT dataset, count(*) FROM dataset_records GROUP BY dataset ORDER BY dataset`)
	if err != nil {
		return nil, 0, err
	}
	linked, err := queryAll(ctx, s, "dataset coverage", func(sc scanner) (store.DatasetCoverage, error) {
		var c store.DatasetCoverage
		return c, sc.Scan(&c.Dataset, &c.LinkedLiving)
	}, `SELECT d.dataset, count(DISTINCT d.pin) FROM dataset_records d JOIN persons p ON p.pin = d.pin
		WHERE p.state = 'alive' GROUP BY d.dataset`)
	if err != nil {
		return nil, 0, err
	}
	byName := map[string]int64{}
	for _, l := range linked {
		byName[l.Dataset] = l.LinkedLiving
	}
	for i := range counts {
		counts[i].LinkedLiving = byName[counts[i].Dataset]
	}
	living, err := queryOne(ctx, s, "living persons", func(sc scanner) (int64, error) {
		var n int64
		return n, sc.Scan(&n)
	}, `SELECT count(*) FROM persons WHERE state = 'alive'`)
	if err != nil {
		return nil, 0, err
	}
	return counts, living, nil
}

// DatasetRecords implements store.Datasets.
func (s *Store) DatasetRecords(ctx context.Context, dataset, afterKey string, limit int) ([]store.DatasetRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	return queryAll(ctx, s, "dataset records", scanDatasetRecord,
		`SELECT `+dsCols+` FROM dataset_records WHERE dataset = ? AND key > ? ORDER BY key LIMIT ?`, dataset, afterKey, limit)
}

package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dancu/dancu/internal/store"
)

// The row value (pin, version) > (?, ?) walks the person_versions_pin index
// in order; the type filter is checked on each row, so a page costs its
// limit plus the versions of other types skipped over.
const qPersonChanges = `SELECT pin, version, birth_year, birth_date, sex, province, commune, state,
	household_id, event_id, event_type, valid_from
	FROM person_versions
	WHERE (pin, version) > (?, ?) AND event_type IN (SELECT value FROM json_each(?))
	ORDER BY pin, version LIMIT ?`

// PersonChanges returns person versions of the given event types after the
// cursor, without documents.
func (s *Store) PersonChanges(ctx context.Context, types []string, afterPIN string, afterVersion int64, limit int) ([]store.PersonVersion, error) {
	if limit <= 0 || len(types) == 0 {
		return nil, nil
	}
	tj, err := json.Marshal(types)
	if err != nil {
		return nil, fmt.Errorf("sqlite: person changes: %w", err)
	}
	return queryAll(ctx, s, "person changes", func(sc scanner) (store.PersonVersion, error) {
		var v store.PersonVersion
		err := sc.Scan(&v.PIN, &v.Version, &v.BirthYear, &v.BirthDate, &v.Sex, &v.Province, &v.Commune,
			&v.State, &v.HouseholdID, &v.EventID, &v.EventType, &v.ValidFrom)
		return v, err
	}, qPersonChanges, afterPIN, afterVersion, string(tj), limit)
}

const qDatasetLinks = `SELECT dataset, key, pin FROM dataset_records
	WHERE (dataset, key) > (?, ?) ORDER BY dataset, key LIMIT ?`

// DatasetLinks returns (dataset, key, PIN) triples after the cursor.
func (s *Store) DatasetLinks(ctx context.Context, afterDataset, afterKey string, limit int) ([]store.DatasetRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	return queryAll(ctx, s, "dataset links", func(sc scanner) (store.DatasetRecord, error) {
		var r store.DatasetRecord
		err := sc.Scan(&r.Dataset, &r.Key, &r.PIN)
		return r, err
	}, qDatasetLinks, afterDataset, afterKey, limit)
}

// OutboxHead returns the highest outbox seq, 0 for an empty outbox.
func (s *Store) OutboxHead(ctx context.Context) (int64, error) {
	rows, err := queryAll(ctx, s, "outbox head", func(sc scanner) (int64, error) {
		var n int64
		return n, sc.Scan(&n)
	}, `SELECT coalesce(max(seq), 0) FROM outbox`)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return rows[0], nil
}

const qEIDAccountsAfter = `SELECT ` + eidAccountCols + ` FROM eid_accounts WHERE id > ? ORDER BY id LIMIT ?`

// EIDAccountsAfter returns the accounts after afterID, in ID order.
func (s *Store) EIDAccountsAfter(ctx context.Context, afterID string, limit int) ([]store.EIDAccount, error) {
	if limit <= 0 {
		return nil, nil
	}
	return queryAll(ctx, s, "eid accounts", scanEIDAccount, qEIDAccountsAfter, afterID, limit)
}

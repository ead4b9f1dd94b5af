package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// PersonChanges returns person versions of the given event types after the
// cursor, without documents, walking the (pin, version) primary key.
func (s *Store) PersonChanges(ctx context.Context, types []string, afterPIN string, afterVersion int64, limit int) ([]store.PersonVersion, error) {
	if limit <= 0 || len(types) == 0 {
		return nil, nil
	}
	return all(ctx, s.pool, "person changes", func(r pgx.Row) (store.PersonVersion, error) {
		var v store.PersonVersion
		err := r.Scan(&v.PIN, &v.Version, &v.BirthYear, &v.BirthDate, &v.Sex, &v.Province, &v.Commune,
			&v.State, &v.HouseholdID, &v.EventID, &v.EventType, &v.ValidFrom)
		return v, err
	}, `SELECT pin, version, birth_year, birth_date, sex, province, commune, state,
		household_id, event_id, event_type, valid_from
		FROM person_versions
		WHERE (pin, version) > ($1, $2) AND event_type = ANY($3)
		ORDER BY pin, version LIMIT $4`, afterPIN, afterVersion, types, limit)
}

// DatasetLinks returns (dataset, key, PIN) triples after the cursor.
func (s *Store) DatasetLinks(ctx context.Context, afterDataset, afterKey string, limit int) ([]store.DatasetRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	return all(ctx, s.pool, "dataset links", func(r pgx.Row) (store.DatasetRecord, error) {
		var d store.DatasetRecord
		err := r.Scan(&d.Dataset, &d.Key, &d.PIN)
		return d, err
	}, `SELECT dataset, key, pin FROM dataset_records
		WHERE (dataset, key) > ($1, $2) ORDER BY dataset, key LIMIT $3`, afterDataset, afterKey, limit)
}

// OutboxHead returns the highest outbox seq, 0 for an empty outbox.
func (s *Store) OutboxHead(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM outbox`).Scan(&n)
	return n, wrapErr("outbox head", err)
}

// EIDAccountsAfter returns the accounts after afterID, in ID order.
func (s *Store) EIDAccountsAfter(ctx context.Context, afterID string, limit int) ([]store.EIDAccount, error) {
	if limit <= 0 {
		return nil, nil
	}
	return all(ctx, s.pool, "eid accounts", scanEIDAccount,
		`SELECT `+eidAccountCols+` FROM eid_accounts WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
}

package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

const (
	verifyJobCols = `id, agency, client, purpose, format, state, version, input_bytes, offset_bytes,
		lines, result_bytes, summary, error, owner, lease_until, created_at, updated_at, finished_at`
	sqlVerifyRows = `SELECT pin, name_fold, birth_date, sex, state FROM persons WHERE pin = ANY($1::text[])`
	// The current version's document: persons names the version, and the
	// (pin, version) key of person_versions finds it.
	sqlVerifyRowsData = `SELECT p.pin, p.name_fold, p.birth_date, p.sex, p.state, v.data
		FROM persons p JOIN person_versions v ON v.pin = p.pin AND v.version = p.version
		WHERE p.pin = ANY($1::text[])`
)

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func scanVerifyJob(row pgx.Row) (store.VerifyJob, error) {
	var j store.VerifyJob
	var lease, finished *time.Time
	err := row.Scan(&j.ID, &j.Agency, &j.Client, &j.Purpose, &j.Format, &j.State, &j.Version, &j.InputBytes,
		&j.Offset, &j.Lines, &j.ResultBytes, &j.Summary, &j.Error, &j.Owner, &lease, &j.CreatedAt, &j.UpdatedAt, &finished)
	if lease != nil {
		j.LeaseUntil = lease.UTC()
	}
	if finished != nil {
		j.FinishedAt = finished.UTC()
	}
	j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	return j, err
}

// VerifyRows implements store.Verification with one query for the batch.
func (s *Store) VerifyRows(ctx context.Context, pins []string, withData bool) ([]store.VerifyRow, error) {
	if len(pins) == 0 {
		return nil, nil
	}
	q := sqlVerifyRows
	if withData {
		q = sqlVerifyRowsData
	}
	return all(ctx, s.pool, "verify rows", func(row pgx.Row) (store.VerifyRow, error) {
		var r store.VerifyRow
		if withData {
			return r, row.Scan(&r.PIN, &r.NameFold, &r.BirthDate, &r.Sex, &r.State, &r.Data)
		}
		return r, row.Scan(&r.PIN, &r.NameFold, &r.BirthDate, &r.Sex, &r.State)
	}, q, pins)
}

// CreateVerifyJob implements store.Verification.
func (s *Store) CreateVerifyJob(ctx context.Context, j store.VerifyJob) error {
	if j.Summary == nil {
		j.Summary = []byte{}
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO verify_jobs (`+verifyJobCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (id) DO NOTHING`,
		j.ID, j.Agency, j.Client, j.Purpose, j.Format, j.State, j.InputBytes, j.Offset, j.Lines, j.ResultBytes,
		j.Summary, j.Error, j.Owner, optTime(j.LeaseUntil), j.CreatedAt, j.UpdatedAt, optTime(j.FinishedAt))
	if err != nil {
		return wrapErr("create verify job", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("create verify job", store.ErrExists)
	}
	return nil
}

// VerifyJob implements store.Verification.
func (s *Store) VerifyJob(ctx context.Context, id string) (store.VerifyJob, error) {
	return one(ctx, s.pool, "verify job", scanVerifyJob, `SELECT `+verifyJobCols+` FROM verify_jobs WHERE id = $1`, id)
}

// VerifyJobs implements store.Verification.
func (s *Store) VerifyJobs(ctx context.Context, agency string, limit int) ([]store.VerifyJob, error) {
	return all(ctx, s.pool, "verify jobs", scanVerifyJob, `SELECT `+verifyJobCols+` FROM verify_jobs
		WHERE ($1 = '' OR agency = $1) ORDER BY created_at DESC, id DESC LIMIT $2`, agency, limit)
}

// PendingVerifyJobs implements store.Verification.
func (s *Store) PendingVerifyJobs(ctx context.Context) ([]store.VerifyJob, error) {
	return all(ctx, s.pool, "pending verify jobs", scanVerifyJob, `SELECT `+verifyJobCols+` FROM verify_jobs
		WHERE state IN ('queued', 'running') ORDER BY created_at, id`)
}

// SaveVerifyJob implements store.Verification: the job's row is updated
// only at the expected version; when nothing was updated, a second read
// tells a stale version from a missing job.
func (s *Store) SaveVerifyJob(ctx context.Context, j store.VerifyJob) error {
	if j.Summary == nil {
		j.Summary = []byte{}
	}
	tag, err := s.pool.Exec(ctx, `UPDATE verify_jobs SET agency = $1, client = $2, purpose = $3, format = $4,
		state = $5, version = $6, input_bytes = $7, offset_bytes = $8, lines = $9, result_bytes = $10,
		summary = $11, error = $12, owner = $13, lease_until = $14, updated_at = $15, finished_at = $16
		WHERE id = $17 AND version = $18`,
		j.Agency, j.Client, j.Purpose, j.Format, j.State, j.Version, j.InputBytes, j.Offset, j.Lines,
		j.ResultBytes, j.Summary, j.Error, j.Owner, optTime(j.LeaseUntil), j.UpdatedAt, optTime(j.FinishedAt),
		j.ID, j.Version-1)
	if err != nil {
		return wrapErr("save verify job", err)
	}
	if tag.RowsAffected() == 0 {
		var v int64
		err := s.pool.QueryRow(ctx, `SELECT version FROM verify_jobs WHERE id = $1`, j.ID).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			return sentinel("save verify job", store.ErrNotFound)
		}
		if err != nil {
			return wrapErr("save verify job", err)
		}
		return sentinel("save verify job", store.ErrConflict)
	}
	return nil
}

// TakeQuota implements store.Verification: the counter's row is made to
// exist, then read under a row lock and moved on in one transaction.
func (s *Store) TakeQuota(ctx context.Context, key string, n, limit int) (int, error) {
	var granted int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		granted = 0
		if _, err := tx.Exec(ctx, `INSERT INTO verify_quota (key, used) VALUES ($1, 0) ON CONFLICT (key) DO NOTHING`, key); err != nil {
			return err
		}
		var used int
		if err := tx.QueryRow(ctx, `SELECT used FROM verify_quota WHERE key = $1 FOR UPDATE`, key).Scan(&used); err != nil {
			return err
		}
		granted = max(0, min(n, limit-used))
		if granted == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE verify_quota SET used = $2 WHERE key = $1`, key, used+granted)
		return err
	})
	if err != nil {
		return 0, wrapErr("take quota", err)
	}
	return granted, nil
}

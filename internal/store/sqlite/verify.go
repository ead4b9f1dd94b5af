package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

const (
	qVerifyRows = `SELECT pin, name_fold, birth_date, sex, state FROM persons
		WHERE pin IN (SELECT value FROM json_each(?))`
	qVerifyRowsData = `SELECT p.pin, p.name_fold, p.birth_date, p.sex, p.state, v.data
		FROM persons p CROSS JOIN person_versions v ON v.vid = p.cur
		WHERE p.pin IN (SELECT value FROM json_each(?))`
	// One PIN (a demographic verification) is a plain key lookup.
	qVerifyRow     = `SELECT pin, name_fold, birth_date, sex, state FROM persons WHERE pin = ?`
	qVerifyRowData = `SELECT p.pin, p.name_fold, p.birth_date, p.sex, p.state, v.data
		FROM persons p CROSS JOIN person_versions v ON v.vid = p.cur WHERE p.pin = ?`

	verifyJobCols = `id, agency, client, purpose, format, state, version, input_bytes, offset_bytes,
		lines, result_bytes, summary, error, owner, lease_until, created_at, updated_at, finished_at`
	qVerifyJob   = `SELECT ` + verifyJobCols + ` FROM verify_jobs WHERE id = ?`
	qVerifyJobs  = `SELECT ` + verifyJobCols + ` FROM verify_jobs WHERE (? = '' OR agency = ?) ORDER BY created_at DESC, id DESC LIMIT ?`
	qPendingJobs = `SELECT ` + verifyJobCols + ` FROM verify_jobs WHERE state IN ('queued', 'running') ORDER BY created_at, id`
	qInsertJob   = `INSERT INTO verify_jobs (` + verifyJobCols + `) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateJob   = `UPDATE verify_jobs SET agency = ?, client = ?, purpose = ?, format = ?, state = ?, version = ?,
		input_bytes = ?, offset_bytes = ?, lines = ?, result_bytes = ?, summary = ?, error = ?, owner = ?,
		lease_until = ?, updated_at = ?, finished_at = ? WHERE id = ? AND version = ?`
	qJobVersion = `SELECT version FROM verify_jobs WHERE id = ?`
	qCounts     = `SELECT pin, n FROM verify_counts WHERE job = ? AND pin IN (SELECT value FROM json_each(?))`
	qSetCounts  = `INSERT INTO verify_counts (job, pin, n) SELECT ?, key, value FROM json_each(?) WHERE true
		ON CONFLICT (job, pin) DO UPDATE SET n = excluded.n`
	qDeleteCounts = `DELETE FROM verify_counts WHERE job = ?`
	qSetQuota     = `INSERT INTO verify_quota (key, used) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET used = excluded.used`
	qQuota = `SELECT used FROM verify_quota WHERE key = ?`
)

func jobNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func jobTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func scanVerifyJob(sc scanner) (store.VerifyJob, error) {
	var j store.VerifyJob
	var lease, created, updated, finished int64
	err := sc.Scan(&j.ID, &j.Agency, &j.Client, &j.Purpose, &j.Format, &j.State, &j.Version, &j.InputBytes,
		&j.Offset, &j.Lines, &j.ResultBytes, &j.Summary, &j.Error, &j.Owner, &lease, &created, &updated, &finished)
	j.LeaseUntil, j.CreatedAt, j.UpdatedAt, j.FinishedAt = jobTime(lease), jobTime(created), jobTime(updated), jobTime(finished)
	return j, err
}

// VerifyRows implements store.Verification with one query on the read pool:
// the PINs travel as one JSON array, so the statement stays prepared and
// each PIN costs one search of the persons PIN index (and, with data, one
// more of person_versions by rowid).
func (s *Store) VerifyRows(ctx context.Context, pins []string, withData bool) ([]store.VerifyRow, error) {
	if len(pins) == 0 {
		return nil, nil
	}
	q, arg := qVerifyRows, ""
	if withData {
		q = qVerifyRowsData
	}
	if len(pins) == 1 {
		q, arg = qVerifyRow, pins[0]
		if withData {
			q = qVerifyRowData
		}
	} else {
		arr, err := json.Marshal(pins)
		if err != nil {
			return nil, fmt.Errorf("sqlite: verify rows: %w", err)
		}
		arg = string(arr)
	}
	return queryAll(ctx, s, "verify rows", func(sc scanner) (store.VerifyRow, error) {
		var r store.VerifyRow
		if withData {
			return r, sc.Scan(&r.PIN, &r.NameFold, &r.BirthDate, &r.Sex, &r.State, &r.Data)
		}
		return r, sc.Scan(&r.PIN, &r.NameFold, &r.BirthDate, &r.Sex, &r.State)
	}, q, arg)
}

// CreateVerifyJob implements store.Verification.
func (s *Store) CreateVerifyJob(ctx context.Context, j store.VerifyJob) error {
	if j.Summary == nil {
		j.Summary = []byte{}
	}
	return inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		var v int64
		err := tx.QueryRowContext(ctx, qJobVersion, j.ID).Scan(&v)
		if err == nil {
			return fmt.Errorf("sqlite: create verify job: %w", store.ErrExists)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: create verify job: %w", err)
		}
		_, err = tx.ExecContext(ctx, qInsertJob, j.ID, j.Agency, j.Client, j.Purpose, j.Format, j.State,
			j.InputBytes, j.Offset, j.Lines, j.ResultBytes, j.Summary, j.Error, j.Owner, jobNanos(j.LeaseUntil),
			jobNanos(j.CreatedAt), jobNanos(j.UpdatedAt), jobNanos(j.FinishedAt))
		if err != nil {
			return fmt.Errorf("sqlite: create verify job: %w", err)
		}
		return nil
	})
}

// VerifyJob implements store.Verification.
func (s *Store) VerifyJob(ctx context.Context, id string) (store.VerifyJob, error) {
	return queryOne(ctx, s, "verify job", scanVerifyJob, qVerifyJob, id)
}

// VerifyJobs implements store.Verification.
func (s *Store) VerifyJobs(ctx context.Context, agency string, limit int) ([]store.VerifyJob, error) {
	return queryAll(ctx, s, "verify jobs", scanVerifyJob, qVerifyJobs, agency, agency, limit)
}

// PendingVerifyJobs implements store.Verification.
func (s *Store) PendingVerifyJobs(ctx context.Context) ([]store.VerifyJob, error) {
	return queryAll(ctx, s, "pending verify jobs", scanVerifyJob, qPendingJobs)
}

// SaveVerifyJob implements store.Verification: the counts go as one JSON
// object in one statement, and the job's row is updated only at the
// expected version, all in one write transaction.
func (s *Store) SaveVerifyJob(ctx context.Context, j store.VerifyJob, counts []store.PINCount) error {
	if j.Summary == nil {
		j.Summary = []byte{}
	}
	var obj []byte
	if len(counts) > 0 {
		m := make(map[string]int, len(counts))
		for _, c := range counts {
			m[c.PIN] = c.N
		}
		var err error
		if obj, err = json.Marshal(m); err != nil {
			return fmt.Errorf("sqlite: save verify job: %w", err)
		}
	}
	return inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, qUpdateJob, j.Agency, j.Client, j.Purpose, j.Format, j.State, j.Version,
			j.InputBytes, j.Offset, j.Lines, j.ResultBytes, j.Summary, j.Error, j.Owner, jobNanos(j.LeaseUntil),
			jobNanos(j.UpdatedAt), jobNanos(j.FinishedAt), j.ID, j.Version-1)
		if err != nil {
			return fmt.Errorf("sqlite: save verify job: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: save verify job: %w", err)
		} else if n == 0 {
			var v int64
			err := tx.QueryRowContext(ctx, qJobVersion, j.ID).Scan(&v)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sqlite: save verify job: %w", store.ErrNotFound)
			}
			return fmt.Errorf("sqlite: save verify job: %w", store.ErrConflict)
		}
		if obj != nil {
			if _, err := tx.ExecContext(ctx, qSetCounts, j.ID, string(obj)); err != nil {
				return fmt.Errorf("sqlite: save verify job counts: %w", err)
			}
		}
		return nil
	})
}

// SubscriptionCounts implements store.Verification.
func (s *Store) SubscriptionCounts(ctx context.Context, job string, pins []string) ([]store.PINCount, error) {
	if len(pins) == 0 {
		return nil, nil
	}
	arr, err := json.Marshal(pins)
	if err != nil {
		return nil, fmt.Errorf("sqlite: subscription counts: %w", err)
	}
	return queryAll(ctx, s, "subscription counts", func(sc scanner) (store.PINCount, error) {
		var c store.PINCount
		return c, sc.Scan(&c.PIN, &c.N)
	}, qCounts, job, string(arr))
}

// DeleteSubscriptionCounts implements store.Verification.
func (s *Store) DeleteSubscriptionCounts(ctx context.Context, job string) error {
	return inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, qDeleteCounts, job)
		if err != nil {
			return fmt.Errorf("sqlite: delete subscription counts: %w", err)
		}
		return nil
	})
}

// TakeQuota implements store.Verification: a read and a write in one
// write transaction, which the single writer serialises.
func (s *Store) TakeQuota(ctx context.Context, key string, n, limit int) (int, error) {
	var granted int
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		granted = 0
		var used int
		err := tx.QueryRowContext(ctx, qQuota, key).Scan(&used)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		granted = max(0, min(n, limit-used))
		if granted == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, qSetQuota, key, used+granted)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: take quota: %w", err)
	}
	return granted, nil
}

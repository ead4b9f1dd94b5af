package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/store"
)

const (
	// Without the document, each PIN is one search of the covering index
	// persons_verify, named because the planner prefers the UNIQUE index of
	// PINs, after which every row needs a second search in the table's
	// pages, spread over the whole file. While a bulk load has dropped the
	// index (loader.go), the same reads go without it (verifyUnindexed).
	qVerifyRows = `SELECT pin, name_fold, birth_date, sex, state FROM persons INDEXED BY persons_verify
		WHERE pin IN (SELECT value FROM json_each(?))`
	qVerifyRowsData = `SELECT p.pin, p.name_fold, p.birth_date, p.sex, p.state, v.data
		FROM persons p CROSS JOIN person_versions v ON v.vid = p.cur
		WHERE p.pin IN (SELECT value FROM json_each(?))`
	// One PIN (a demographic verification) is a plain key lookup.
	qVerifyRow     = `SELECT pin, name_fold, birth_date, sex, state FROM persons INDEXED BY persons_verify WHERE pin = ?`
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
	qSetQuota   = `INSERT INTO verify_quota (key, used) VALUES (?, ?)
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
// each PIN costs one search of the covering index persons_verify (and,
// with data, one more of person_versions by rowid). Batches of a run marked
// with store.ShareSnapshot are read in one read transaction kept open for
// up to snapshotMaxAge (see batchSnapshot).
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
	scan := func(sc scanner) (store.VerifyRow, error) {
		var r store.VerifyRow
		if withData {
			return r, sc.Scan(&r.PIN, &r.NameFold, &r.BirthDate, &r.Sex, &r.State, &r.Data)
		}
		return r, sc.Scan(&r.PIN, &r.NameFold, &r.BirthDate, &r.Sex, &r.State)
	}
	read := func(q string) ([]store.VerifyRow, error) {
		if tok := store.SharedSnapshot(ctx); tok != nil && len(pins) > 1 {
			return s.snap.query(ctx, tok, scan, q, arg)
		}
		return queryAll(ctx, s, "verify rows", scan, q, arg)
	}
	rows, err := read(q)
	if err != nil && strings.Contains(err.Error(), "no such index: persons_verify") {
		return read(verifyUnindexed.Replace(q))
	}
	return rows, err
}

// verifyUnindexed turns a verification read into one that names no index.
var verifyUnindexed = strings.NewReplacer(" INDEXED BY persons_verify", "")

// snapshotMaxAge is how long the batches of one bulk job may read from one
// snapshot: a person's change recorded meanwhile is seen at most this late.
// In WAL mode a read transaction that starts after another connection's
// commit empties its connection's whole page cache, one free (a system call
// in modernc's allocator, for a page-sized block) per cached page; with the
// job committing a checkpoint per batch, every batch's lookups started cold
// and the emptying alone took 38% of a job's CPU on a loaded machine.
const snapshotMaxAge = 3 * time.Second

// snapshotIdle is how soon an unused snapshot is given up, so that an
// idle read transaction does not hold back the WAL's checkpoints.
const snapshotIdle = time.Second

// snapshotCacheKiB is the page cache of the snapshot's connection. Random
// lookups miss the cache at the leaves whatever its size; what must stay
// are the covering index's interior pages (about 4 MiB at 10,000,000
// people), and a small cache is cheap to empty at each new snapshot.
const snapshotCacheKiB = 6 << 10

// batchSnapshot is the read transaction that the batches of one run
// (a store.SnapshotToken) share, on a connection of its own so that its
// page cache has its own size and the read pool is not held.
type batchSnapshot struct {
	db    *sql.DB
	mu    sync.Mutex
	tx    *sql.Tx
	tok   *store.SnapshotToken
	since time.Time
	idle  *time.Timer
}

// open prepares the snapshot's connection; it connects on first use.
func (b *batchSnapshot) open(path string, cfg config) error {
	cfg.readCacheKiB = snapshotCacheKiB
	db, err := sql.Open("sqlite", dsn(path, cfg, true))
	if err != nil {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(time.Minute)
	b.db = db
	return nil
}

// close ends the snapshot and closes its connection.
func (b *batchSnapshot) close() error {
	b.end()
	if b.db == nil {
		return nil
	}
	return b.db.Close()
}

// query runs q in the snapshot of tok, opening a new one when there is
// none for tok or it is older than snapshotMaxAge.
func (b *batchSnapshot) query(ctx context.Context, tok *store.SnapshotToken,
	scan func(scanner) (store.VerifyRow, error), q string, args ...any) ([]store.VerifyRow, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tx != nil && (b.tok != tok || time.Since(b.since) > snapshotMaxAge) {
		b.endLocked()
	}
	if b.tx == nil {
		// Not tied to ctx: a cancelled batch must not end the transaction
		// under a later one; endLocked and the idle timer end it.
		tx, err := b.db.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, fmt.Errorf("sqlite: verify rows: %w", err)
		}
		b.tx, b.tok, b.since = tx, tok, time.Now()
	}
	if b.idle == nil {
		b.idle = time.AfterFunc(snapshotIdle, b.end)
	} else {
		b.idle.Reset(snapshotIdle)
	}
	out, err := b.collect(ctx, scan, q, args...)
	if err != nil {
		b.endLocked() // a failed statement may leave the transaction unusable
		return nil, fmt.Errorf("sqlite: verify rows: %w", err)
	}
	return out, nil
}

func (b *batchSnapshot) collect(ctx context.Context, scan func(scanner) (store.VerifyRow, error), q string, args ...any) ([]store.VerifyRow, error) {
	rows, err := b.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.VerifyRow
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// end gives the snapshot up (the idle timer, Close).
func (b *batchSnapshot) end() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.endLocked()
}

func (b *batchSnapshot) endLocked() {
	if b.tx != nil {
		_ = b.tx.Rollback() // a read-only transaction: nothing to lose
		b.tx, b.tok = nil, nil
	}
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

// SaveVerifyJob implements store.Verification: the job's row is updated
// only at the expected version.
func (s *Store) SaveVerifyJob(ctx context.Context, j store.VerifyJob) error {
	if j.Summary == nil {
		j.Summary = []byte{}
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

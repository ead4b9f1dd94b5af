package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/store"
)

const (
	dossierCols = `code, version, procedure, applicant_pin, subject_pin, province, commune, status,
		idem_key, submitted_at, due_at, paused, closed_at, updated_at, data`
	qDossier      = `SELECT ` + dossierCols + ` FROM dossiers WHERE code = ?`
	qDossierByKey = `SELECT ` + dossierCols + ` FROM dossiers WHERE applicant_pin = ? AND idem_key = ?`
	insDossier    = `INSERT INTO dossiers (` + dossierCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updDossier    = `UPDATE dossiers SET version = ?, procedure = ?, applicant_pin = ?, subject_pin = ?,
		province = ?, commune = ?, status = ?, idem_key = ?, submitted_at = ?, due_at = ?, paused = ?,
		closed_at = ?, updated_at = ?, data = ? WHERE code = ? AND version = ?`
	insAttachment = `INSERT INTO dossier_attachments (dossier, id, kind, name, content_type, size, sha256, created_at, content)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insNotification = `INSERT INTO notifications (pin, dossier, kind, created_at, read_at) VALUES (?, ?, ?, ?, 0)`
)

func scanDossier(sc scanner) (store.DossierRow, error) {
	var d store.DossierRow
	var sub, due, closed, upd int64
	var paused int
	err := sc.Scan(&d.Code, &d.Version, &d.Procedure, &d.ApplicantPIN, &d.SubjectPIN, &d.Province,
		&d.Commune, &d.Status, &d.IdemKey, &sub, &due, &paused, &closed, &upd, &d.Data)
	d.SubmittedAt, d.DueAt, d.UpdatedAt = time.Unix(0, sub).UTC(), time.Unix(0, due).UTC(), time.Unix(0, upd).UTC()
	if closed != 0 {
		d.ClosedAt = time.Unix(0, closed).UTC()
	}
	d.Paused = paused != 0
	return d, err
}

// dossierArgs returns the columns of d in dossierCols order.
func dossierArgs(d store.DossierRow) ([]any, error) {
	var ts [4]int64
	for i, t := range []time.Time{d.SubmittedAt, d.DueAt, d.ClosedAt, d.UpdatedAt} {
		n, err := nanos(t)
		if err != nil {
			return nil, err
		}
		ts[i] = n
	}
	paused := 0
	if d.Paused {
		paused = 1
	}
	data := d.Data
	if data == nil {
		data = []byte{}
	}
	return []any{d.Code, d.Version, d.Procedure, d.ApplicantPIN, d.SubjectPIN, d.Province, d.Commune,
		d.Status, d.IdemKey, ts[0], ts[1], paused, ts[2], ts[3], data}, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func putAttachment(ctx context.Context, ex execer, a store.AttachmentRow) error {
	at, err := nanos(a.CreatedAt)
	if err != nil {
		return err
	}
	content := a.Content
	if content == nil {
		content = []byte{}
	}
	_, err = ex.ExecContext(ctx, insAttachment, a.Dossier, a.ID, a.Kind, a.Name, a.ContentType, a.Size, a.SHA256, at, content)
	if isUniqueViolation(err) {
		return store.ErrExists
	}
	return err
}

func notify(ctx context.Context, ex execer, n store.NotificationRow) error {
	at, err := nanos(n.CreatedAt)
	if err != nil {
		return err
	}
	_, err = ex.ExecContext(ctx, insNotification, n.PIN, n.Dossier, n.Kind, at)
	return err
}

// CreateDossier implements store.Dossiers. Concurrent calls are committed
// together (group commit): the first caller to find no commit in progress
// writes every dossier waiting at that moment in one transaction, each under
// a savepoint so that one retried submission does not undo the others, and
// goes on until none waits. SQLite has one writer, and the cost of a commit
// is mostly its own; sharing it is what lets the single writer keep up with
// many citizens submitting at once.
func (s *Store) CreateDossier(ctx context.Context, d store.DossierRow, atts []store.AttachmentRow, n *store.NotificationRow) (store.DossierRow, error) {
	const what = "create dossier"
	if d.Version != 1 {
		return store.DossierRow{}, fmt.Errorf("sqlite: %s: version must be 1", what)
	}
	args, err := dossierArgs(d)
	if err != nil {
		return store.DossierRow{}, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	req := &dossierReq{d: d, args: args, atts: atts, n: n, done: make(chan struct{})}
	b := &s.dossiers
	b.mu.Lock()
	b.pending = append(b.pending, req)
	if b.leading {
		b.mu.Unlock()
		<-req.done
	} else {
		b.leading = true
		for {
			batch := b.pending
			if len(batch) > maxDossierBatch {
				batch = batch[:maxDossierBatch]
			}
			b.pending = b.pending[len(batch):]
			b.mu.Unlock()
			s.commitDossiers(context.WithoutCancel(ctx), batch)
			b.mu.Lock()
			if len(b.pending) == 0 {
				b.leading = false
				b.mu.Unlock()
				break
			}
		}
	}
	if errors.Is(req.err, store.ErrExists) {
		return req.existing, fmt.Errorf("sqlite: %s: %w", what, store.ErrExists)
	}
	if req.err != nil {
		return store.DossierRow{}, fmt.Errorf("sqlite: %s: %w", what, req.err)
	}
	return d, nil
}

// maxDossierBatch bounds one group commit, so that a burst does not make
// one transaction (and its callers' wait) long.
const maxDossierBatch = 256

// dossierBatcher holds the new dossiers waiting for a commit.
type dossierBatcher struct {
	mu      sync.Mutex
	pending []*dossierReq
	leading bool // a caller is committing batches
}

// dossierReq is one CreateDossier call waiting for its commit.
type dossierReq struct {
	d        store.DossierRow
	args     []any
	atts     []store.AttachmentRow
	n        *store.NotificationRow
	existing store.DossierRow
	err      error
	done     chan struct{}
}

// commitDossiers writes a batch in one transaction and answers every
// request of it. If the transaction fails as a whole, each request is tried
// again in a transaction of its own, so that one bad request fails alone.
func (s *Store) commitDossiers(ctx context.Context, batch []*dossierReq) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		for _, r := range batch {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT dossier"); err != nil {
				return err
			}
			r.existing, r.err = insertDossier(ctx, tx, r)
			if r.err != nil && !errors.Is(r.err, store.ErrExists) {
				return r.err
			}
			release := "RELEASE dossier"
			if r.err != nil {
				release = "ROLLBACK TO dossier; RELEASE dossier"
			}
			if _, err := tx.ExecContext(ctx, release); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		if err != nil {
			batch[0].err = err
		}
		return
	}
	for _, r := range batch {
		r.err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
			var err error
			r.existing, err = insertDossier(ctx, tx, r)
			return err
		})
	}
}

// insertDossier writes one new dossier with its attachments and
// notification, or returns the applicant's dossier of the same key and
// ErrExists.
func insertDossier(ctx context.Context, tx *sql.Tx, r *dossierReq) (store.DossierRow, error) {
	if r.d.IdemKey != "" {
		prev, err := scanDossier(tx.QueryRowContext(ctx, qDossierByKey, r.d.ApplicantPIN, r.d.IdemKey))
		if err == nil {
			return prev, store.ErrExists
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return store.DossierRow{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, insDossier, r.args...); err != nil {
		if isUniqueViolation(err) {
			return store.DossierRow{}, store.ErrExists
		}
		return store.DossierRow{}, err
	}
	for _, a := range r.atts {
		if err := putAttachment(ctx, tx, a); err != nil {
			return store.DossierRow{}, err
		}
	}
	if r.n != nil {
		return store.DossierRow{}, notify(ctx, tx, *r.n)
	}
	return store.DossierRow{}, nil
}

// Dossier implements store.Dossiers.
func (s *Store) Dossier(ctx context.Context, code string) (store.DossierRow, error) {
	return queryOne(ctx, s, "dossier", scanDossier, qDossier, code)
}

// DossierList implements store.Dossiers.
func (s *Store) DossierList(ctx context.Context, q store.DossierQuery) ([]store.DossierRow, error) {
	where, args, err := dossierWhere(q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: dossier list: %w", err)
	}
	var order string
	if q.OpenOnly {
		if !q.AfterTime.IsZero() || q.AfterCode != "" {
			where = append(where, "(due_at, code) > (?, ?)")
			args = append(args, q.AfterTime.UnixNano(), q.AfterCode)
		}
		order = "due_at, code"
	} else {
		if !q.AfterTime.IsZero() || q.AfterCode != "" {
			where = append(where, "(submitted_at, code) < (?, ?)")
			args = append(args, q.AfterTime.UnixNano(), q.AfterCode)
		}
		order = "submitted_at DESC, code DESC"
	}
	args = append(args, q.Limit)
	return queryAll(ctx, s, "dossier list", scanDossier,
		`SELECT `+dossierCols+` FROM dossiers WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` LIMIT ?`, args...)
}

// dossierWhere builds the filter of q shared by lists and counts.
func dossierWhere(q store.DossierQuery) ([]string, []any, error) {
	if q.Province == "" && q.ApplicantPIN == "" {
		return nil, nil, errors.New("a province or an applicant is required")
	}
	if q.Limit <= 0 {
		q.Limit = 1
	}
	var where []string
	var args []any
	if q.Province != "" {
		where = append(where, "province = ?")
		args = append(args, q.Province)
		switch {
		case q.Commune != "":
			where = append(where, "commune = ?")
			args = append(args, q.Commune)
		case q.ProvinceOnly:
			where = append(where, "commune = ''")
		}
	}
	if q.ApplicantPIN != "" {
		where = append(where, "applicant_pin = ?")
		args = append(args, q.ApplicantPIN)
	}
	if q.Procedure != "" {
		where = append(where, "procedure = ?")
		args = append(args, q.Procedure)
	}
	if q.OpenOnly {
		where = append(where, "closed_at = 0")
		if !q.OverdueAt.IsZero() {
			where = append(where, "paused = 0 AND due_at < ?")
			args = append(args, q.OverdueAt.UnixNano())
		}
	}
	return where, args, nil
}

// CountDossiers implements store.Dossiers. Three counts over ranges of the
// dossiers_queue_counts index, which SQLite answers from the index alone.
func (s *Store) CountDossiers(ctx context.Context, q store.DossierQuery, now time.Time) (store.DossierCounts, error) {
	q.OpenOnly, q.OverdueAt, q.ApplicantPIN = true, time.Time{}, ""
	where, args, err := dossierWhere(q)
	if err != nil {
		return store.DossierCounts{}, fmt.Errorf("sqlite: count dossiers: %w", err)
	}
	w := strings.Join(where, " AND ")
	all := append(append(append(append([]any{}, args...), args...), now.UnixNano()), args...)
	return queryOne(ctx, s, "count dossiers", func(sc scanner) (store.DossierCounts, error) {
		var c store.DossierCounts
		return c, sc.Scan(&c.Open, &c.Overdue, &c.Paused)
	}, `SELECT (SELECT count(*) FROM dossiers WHERE `+w+`),
		(SELECT count(*) FROM dossiers WHERE `+w+` AND paused = 0 AND due_at < ?),
		(SELECT count(*) FROM dossiers WHERE `+w+` AND paused = 1)`, all...)
}

// DossierStats implements store.Dossiers.
func (s *Store) DossierStats(ctx context.Context, from, to, now time.Time) ([]store.DossierStat, error) {
	f, t, n := from.UnixNano(), to.UnixNano(), now.UnixNano()
	return queryAll(ctx, s, "dossier stats", func(sc scanner) (store.DossierStat, error) {
		var st store.DossierStat
		return st, sc.Scan(&st.Procedure, &st.Province, &st.Submitted, &st.Closed, &st.Decided, &st.OnTime, &st.Open, &st.Overdue)
	}, `SELECT procedure, province,
		sum(submitted_at >= ?1 AND submitted_at < ?2),
		sum(closed_at >= ?1 AND closed_at < ?2 AND closed_at <> 0),
		sum(closed_at >= ?1 AND closed_at < ?2 AND closed_at <> 0 AND status IN ('approved', 'rejected')),
		sum(closed_at >= ?1 AND closed_at < ?2 AND closed_at <> 0 AND status IN ('approved', 'rejected') AND closed_at <= due_at),
		sum(closed_at = 0),
		sum(closed_at = 0 AND paused = 0 AND due_at < ?3)
		FROM dossiers
		WHERE (submitted_at >= ?1 AND submitted_at < ?2) OR (closed_at >= ?1 AND closed_at < ?2) OR closed_at = 0
		GROUP BY procedure, province ORDER BY procedure, province`, f, t, n)
}

const attachmentCols = `dossier, id, kind, name, content_type, size, sha256, created_at`

func scanAttachment(withContent bool) func(sc scanner) (store.AttachmentRow, error) {
	return func(sc scanner) (store.AttachmentRow, error) {
		var a store.AttachmentRow
		var at int64
		dst := []any{&a.Dossier, &a.ID, &a.Kind, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &at}
		if withContent {
			dst = append(dst, &a.Content)
		}
		err := sc.Scan(dst...)
		a.CreatedAt = time.Unix(0, at).UTC()
		return a, err
	}
}

// Attachments implements store.Dossiers.
func (s *Store) Attachments(ctx context.Context, dossier string) ([]store.AttachmentRow, error) {
	return queryAll(ctx, s, "attachments", scanAttachment(false),
		`SELECT `+attachmentCols+` FROM dossier_attachments WHERE dossier = ? ORDER BY created_at, id`, dossier)
}

// Attachment implements store.Dossiers.
func (s *Store) Attachment(ctx context.Context, dossier, id string) (store.AttachmentRow, error) {
	return queryOne(ctx, s, "attachment", scanAttachment(true),
		`SELECT `+attachmentCols+`, content FROM dossier_attachments WHERE dossier = ? AND id = ?`, dossier, id)
}

// Notifications implements store.Dossiers.
func (s *Store) Notifications(ctx context.Context, pin string, beforeID int64, limit int) ([]store.NotificationRow, error) {
	if beforeID <= 0 {
		beforeID = 1<<63 - 1
	}
	return queryAll(ctx, s, "notifications", func(sc scanner) (store.NotificationRow, error) {
		var n store.NotificationRow
		var at, read int64
		err := sc.Scan(&n.ID, &n.PIN, &n.Dossier, &n.Kind, &at, &read)
		n.CreatedAt = time.Unix(0, at).UTC()
		if read != 0 {
			n.ReadAt = time.Unix(0, read).UTC()
		}
		return n, err
	}, `SELECT id, pin, dossier, kind, created_at, read_at FROM notifications
		WHERE pin = ? AND id < ? ORDER BY id DESC LIMIT ?`, pin, beforeID, limit)
}

// MarkNotificationsRead implements store.Dossiers.
func (s *Store) MarkNotificationsRead(ctx context.Context, pin string, upToID int64, at time.Time) error {
	n, err := nanos(at)
	if err != nil {
		return fmt.Errorf("sqlite: mark notifications read: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = ? WHERE pin = ? AND id <= ? AND read_at = 0`, n, pin, upToID)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: mark notifications read: %w", err)
	}
	return nil
}

// Dossier implements store.DossierTx. The transaction holds SQLite's write
// lock, so the row stays as read until it ends.
func (t *txView) Dossier(ctx context.Context, code string) (store.DossierRow, error) {
	d, err := scanDossier(t.tx.QueryRowContext(ctx, qDossier, code))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("sqlite: tx dossier: %w", store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("sqlite: tx dossier: %w", err)
	}
	return d, nil
}

// PutDossier implements store.DossierTx.
func (t *txView) PutDossier(ctx context.Context, d store.DossierRow) error {
	const what = "put dossier"
	args, err := dossierArgs(d)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	// SET takes every column but the code; WHERE the code and the version
	// replaced.
	res, err := t.tx.ExecContext(ctx, updDossier, append(args[1:], d.Code, d.Version-1)...)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("sqlite: %s: version %d does not follow the current one: %w", what, d.Version, store.ErrConflict)
	}
	return nil
}

// PutAttachment implements store.DossierTx.
func (t *txView) PutAttachment(ctx context.Context, a store.AttachmentRow) error {
	if err := putAttachment(ctx, t.tx, a); err != nil {
		return fmt.Errorf("sqlite: put attachment: %w", err)
	}
	return nil
}

// Notify implements store.DossierTx.
func (t *txView) Notify(ctx context.Context, n store.NotificationRow) error {
	if err := notify(ctx, t.tx, n); err != nil {
		return fmt.Errorf("sqlite: notify: %w", err)
	}
	return nil
}

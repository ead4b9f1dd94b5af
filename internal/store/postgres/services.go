package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

const (
	pgDossierCols = `code, version, procedure, applicant_pin, subject_pin, province, commune, status,
		idem_key, submitted_at, due_at, paused, closed_at, updated_at, data`
	pgInsDossier = `INSERT INTO dossiers (` + pgDossierCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	pgUpdDossier = `UPDATE dossiers SET version = $2, procedure = $3, applicant_pin = $4, subject_pin = $5,
		province = $6, commune = $7, status = $8, idem_key = $9, submitted_at = $10, due_at = $11, paused = $12,
		closed_at = $13, updated_at = $14, data = $15 WHERE code = $1 AND version = $16`
	pgInsAttachment = `INSERT INTO dossier_attachments (dossier, id, kind, name, content_type, size, sha256, created_at, content)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	pgNotify = `INSERT INTO notifications (pin, dossier, kind, created_at) VALUES ($1, $2, $3, $4)`
)

func scanDossierRow(row pgx.Row) (store.DossierRow, error) {
	var d store.DossierRow
	var closed *time.Time
	err := row.Scan(&d.Code, &d.Version, &d.Procedure, &d.ApplicantPIN, &d.SubjectPIN, &d.Province,
		&d.Commune, &d.Status, &d.IdemKey, &d.SubmittedAt, &d.DueAt, &d.Paused, &closed, &d.UpdatedAt, &d.Data)
	d.SubmittedAt, d.DueAt, d.UpdatedAt = d.SubmittedAt.UTC(), d.DueAt.UTC(), d.UpdatedAt.UTC()
	if closed != nil {
		d.ClosedAt = closed.UTC()
	}
	return d, err
}

func pgDossierArgs(d store.DossierRow) []any {
	var closed *time.Time
	if !d.ClosedAt.IsZero() {
		c := d.ClosedAt.UTC()
		closed = &c
	}
	data := d.Data
	if data == nil {
		data = []byte{}
	}
	return []any{d.Code, d.Version, d.Procedure, d.ApplicantPIN, d.SubjectPIN, d.Province, d.Commune,
		d.Status, d.IdemKey, d.SubmittedAt.UTC(), d.DueAt.UTC(), d.Paused, closed, d.UpdatedAt.UTC(), data}
}

func pgPutAttachment(ctx context.Context, q querier, a store.AttachmentRow) error {
	content := a.Content
	if content == nil {
		content = []byte{}
	}
	_, err := q.Exec(ctx, pgInsAttachment, a.Dossier, a.ID, a.Kind, a.Name, a.ContentType, a.Size, a.SHA256, a.CreatedAt.UTC(), content)
	if sqlState(err) == codeUniqueViolation {
		return store.ErrExists
	}
	return err
}

// CreateDossier implements store.Dossiers. The unique index on (applicant,
// key) decides between two submissions racing with one key; the loser finds
// the winner's dossier.
func (s *Store) CreateDossier(ctx context.Context, d store.DossierRow, atts []store.AttachmentRow, n *store.NotificationRow) (store.DossierRow, error) {
	const op = "create dossier"
	if d.Version != 1 {
		return store.DossierRow{}, fmt.Errorf("postgres: %s: version must be 1", op)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, pgInsDossier, pgDossierArgs(d)...); err != nil {
			if sqlState(err) == codeUniqueViolation {
				return store.ErrExists
			}
			return err
		}
		for _, a := range atts {
			if err := pgPutAttachment(ctx, tx, a); err != nil {
				return err
			}
		}
		if n != nil {
			if _, err := tx.Exec(ctx, pgNotify, n.PIN, n.Dossier, n.Kind, n.CreatedAt.UTC()); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrExists) {
		var prev store.DossierRow
		if d.IdemKey != "" {
			prev, err = one(ctx, s.pool, op, scanDossierRow,
				`SELECT `+pgDossierCols+` FROM dossiers WHERE applicant_pin = $1 AND idem_key = $2`, d.ApplicantPIN, d.IdemKey)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return store.DossierRow{}, err
			}
		}
		return prev, sentinel(op, store.ErrExists)
	}
	if err != nil {
		return store.DossierRow{}, wrapErr(op, err)
	}
	return d, nil
}

// Dossier implements store.Dossiers.
func (s *Store) Dossier(ctx context.Context, code string) (store.DossierRow, error) {
	return one(ctx, s.pool, "dossier", scanDossierRow, `SELECT `+pgDossierCols+` FROM dossiers WHERE code = $1`, code)
}

// pgDossierWhere builds the filter of q shared by lists and counts; args
// are numbered from len(args)+1.
func pgDossierWhere(q store.DossierQuery, args []any) ([]string, []any, error) {
	if q.Province == "" && q.ApplicantPIN == "" {
		return nil, nil, errors.New("a province or an applicant is required")
	}
	var where []string
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if q.Province != "" {
		add("province = ?", q.Province)
		switch {
		case q.Commune != "":
			add("commune = ?", q.Commune)
		case q.ProvinceOnly:
			where = append(where, "commune = ''")
		}
	}
	if q.ApplicantPIN != "" {
		add("applicant_pin = ?", q.ApplicantPIN)
	}
	if q.Procedure != "" {
		add("procedure = ?", q.Procedure)
	}
	if q.OpenOnly {
		where = append(where, "closed_at IS NULL")
		if !q.OverdueAt.IsZero() {
			add("NOT paused AND due_at < ?", q.OverdueAt.UTC())
		}
	}
	return where, args, nil
}

// DossierList implements store.Dossiers.
func (s *Store) DossierList(ctx context.Context, q store.DossierQuery) ([]store.DossierRow, error) {
	where, args, err := pgDossierWhere(q, nil)
	if err != nil {
		return nil, wrapErr("dossier list", err)
	}
	cursor := !q.AfterTime.IsZero() || q.AfterCode != ""
	var order string
	if q.OpenOnly {
		if cursor {
			args = append(args, q.AfterTime.UTC(), q.AfterCode)
			where = append(where, fmt.Sprintf("(due_at, code) > ($%d, $%d)", len(args)-1, len(args)))
		}
		order = "due_at, code"
	} else {
		if cursor {
			args = append(args, q.AfterTime.UTC(), q.AfterCode)
			where = append(where, fmt.Sprintf("(submitted_at, code) < ($%d, $%d)", len(args)-1, len(args)))
		}
		order = "submitted_at DESC, code DESC"
	}
	args = append(args, q.Limit)
	return all(ctx, s.pool, "dossier list", scanDossierRow, fmt.Sprintf(`SELECT `+pgDossierCols+
		` FROM dossiers WHERE %s ORDER BY %s LIMIT $%d`, strings.Join(where, " AND "), order, len(args)), args...)
}

// CountDossiers implements store.Dossiers: three counts over ranges of the
// dossiers_queue_counts index.
func (s *Store) CountDossiers(ctx context.Context, q store.DossierQuery, now time.Time) (store.DossierCounts, error) {
	q.OpenOnly, q.OverdueAt, q.ApplicantPIN = true, time.Time{}, ""
	where, args, err := pgDossierWhere(q, []any{now.UTC()})
	if err != nil {
		return store.DossierCounts{}, wrapErr("count dossiers", err)
	}
	w := strings.Join(where, " AND ")
	return one(ctx, s.pool, "count dossiers", func(row pgx.Row) (store.DossierCounts, error) {
		var c store.DossierCounts
		return c, row.Scan(&c.Open, &c.Overdue, &c.Paused)
	}, `SELECT (SELECT count(*) FROM dossiers WHERE `+w+`),
		(SELECT count(*) FROM dossiers WHERE `+w+` AND NOT paused AND due_at < $1),
		(SELECT count(*) FROM dossiers WHERE `+w+` AND paused)`, args...)
}

// DossierStats implements store.Dossiers.
func (s *Store) DossierStats(ctx context.Context, from, to, now time.Time) ([]store.DossierStat, error) {
	return all(ctx, s.pool, "dossier stats", func(row pgx.Row) (store.DossierStat, error) {
		var st store.DossierStat
		return st, row.Scan(&st.Procedure, &st.Province, &st.Submitted, &st.Closed, &st.Decided, &st.OnTime, &st.Open, &st.Overdue)
	}, `SELECT procedure, province,
		count(*) FILTER (WHERE submitted_at >= $1 AND submitted_at < $2),
		count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2),
		count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2 AND status IN ('approved', 'rejected')),
		count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2 AND status IN ('approved', 'rejected') AND closed_at <= due_at),
		count(*) FILTER (WHERE closed_at IS NULL),
		count(*) FILTER (WHERE closed_at IS NULL AND NOT paused AND due_at < $3)
		FROM dossiers
		WHERE (submitted_at >= $1 AND submitted_at < $2) OR (closed_at >= $1 AND closed_at < $2) OR closed_at IS NULL
		GROUP BY procedure, province ORDER BY procedure, province`, from.UTC(), to.UTC(), now.UTC())
}

const pgAttachmentCols = `dossier, id, kind, name, content_type, size, sha256, created_at`

func scanAttachmentRow(withContent bool) func(row pgx.Row) (store.AttachmentRow, error) {
	return func(row pgx.Row) (store.AttachmentRow, error) {
		var a store.AttachmentRow
		dst := []any{&a.Dossier, &a.ID, &a.Kind, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.CreatedAt}
		if withContent {
			dst = append(dst, &a.Content)
		}
		err := row.Scan(dst...)
		a.CreatedAt = a.CreatedAt.UTC()
		return a, err
	}
}

// Attachments implements store.Dossiers.
func (s *Store) Attachments(ctx context.Context, dossier string) ([]store.AttachmentRow, error) {
	return all(ctx, s.pool, "attachments", scanAttachmentRow(false),
		`SELECT `+pgAttachmentCols+` FROM dossier_attachments WHERE dossier = $1 ORDER BY created_at, id`, dossier)
}

// Attachment implements store.Dossiers.
func (s *Store) Attachment(ctx context.Context, dossier, id string) (store.AttachmentRow, error) {
	return one(ctx, s.pool, "attachment", scanAttachmentRow(true),
		`SELECT `+pgAttachmentCols+`, content FROM dossier_attachments WHERE dossier = $1 AND id = $2`, dossier, id)
}

// Notifications implements store.Dossiers.
func (s *Store) Notifications(ctx context.Context, pin string, beforeID int64, limit int) ([]store.NotificationRow, error) {
	if beforeID <= 0 {
		beforeID = 1<<63 - 1
	}
	return all(ctx, s.pool, "notifications", func(row pgx.Row) (store.NotificationRow, error) {
		var n store.NotificationRow
		var read *time.Time
		err := row.Scan(&n.ID, &n.PIN, &n.Dossier, &n.Kind, &n.CreatedAt, &read)
		n.CreatedAt = n.CreatedAt.UTC()
		if read != nil {
			n.ReadAt = read.UTC()
		}
		return n, err
	}, `SELECT id, pin, dossier, kind, created_at, read_at FROM notifications
		WHERE pin = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, pin, beforeID, limit)
}

// MarkNotificationsRead implements store.Dossiers.
func (s *Store) MarkNotificationsRead(ctx context.Context, pin string, upToID int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE notifications SET read_at = $1 WHERE pin = $2 AND id <= $3 AND read_at IS NULL`,
		at.UTC(), pin, upToID)
	return wrapErr("mark notifications read", err)
}

// Dossier implements store.DossierTx: the row is locked until the
// transaction ends, so two officers deciding at once are serialised.
func (t *tx) Dossier(ctx context.Context, code string) (store.DossierRow, error) {
	return one(ctx, t.tx, "tx dossier", scanDossierRow, `SELECT `+pgDossierCols+` FROM dossiers WHERE code = $1 FOR UPDATE`, code)
}

// PutDossier implements store.DossierTx.
func (t *tx) PutDossier(ctx context.Context, d store.DossierRow) error {
	tag, err := t.tx.Exec(ctx, pgUpdDossier, append(pgDossierArgs(d), d.Version-1)...)
	if err != nil {
		return wrapErr("put dossier", err)
	}
	if tag.RowsAffected() != 1 {
		return sentinel("put dossier", store.ErrConflict)
	}
	return nil
}

// PutAttachment implements store.DossierTx.
func (t *tx) PutAttachment(ctx context.Context, a store.AttachmentRow) error {
	if err := pgPutAttachment(ctx, t.tx, a); err != nil {
		if errors.Is(err, store.ErrExists) {
			return sentinel("put attachment", err)
		}
		return wrapErr("put attachment", err)
	}
	return nil
}

// Notify implements store.DossierTx.
func (t *tx) Notify(ctx context.Context, n store.NotificationRow) error {
	_, err := t.tx.Exec(ctx, pgNotify, n.PIN, n.Dossier, n.Kind, n.CreatedAt.UTC())
	return wrapErr("notify", err)
}

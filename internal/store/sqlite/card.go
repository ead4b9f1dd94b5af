package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/dancu/dancu/internal/store"
)

const cardCols = `pin, seq, event_id, kind, issue_date, expiry, authority, status, status_reason, status_actor,
	chip, dg1, dg2, dg13, sod, ds_serial, version, created_at, updated_at`

// InsertCards implements store.Cards.
func (s *Store) InsertCards(ctx context.Context, cards []store.CardRow) (int, error) {
	if len(cards) == 0 {
		return 0, nil
	}
	for _, c := range cards {
		if c.PIN == "" || c.EventID == "" || c.Status == "" {
			return 0, errors.New("sqlite: insert cards: pin, event id and status are required")
		}
	}
	var n int
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		n = 0
		ins, err := tx.PrepareContext(ctx, `INSERT INTO cards (`+cardCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (event_id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		repl, err := tx.PrepareContext(ctx, `UPDATE cards SET status = 'replaced', version = version + 1, updated_at = ?
			WHERE pin = ? AND seq < ? AND status = 'valid'`)
		if err != nil {
			return err
		}
		defer repl.Close()
		now := time.Now().UnixNano()
		for _, c := range cards {
			res, err := ins.ExecContext(ctx, c.PIN, c.Seq, c.EventID, c.Kind, c.IssueDate, c.Expiry, c.Authority, c.Status,
				c.Chip, c.DG1, c.DG2, c.DG13, c.SOD, c.DSSerial, now, now)
			if err != nil {
				if isUniqueViolation(err) {
					return store.ErrExists
				}
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			n++
			if _, err := repl.ExecContext(ctx, now, c.PIN, c.Seq); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// CardsByPIN implements store.Cards.
func (s *Store) CardsByPIN(ctx context.Context, pin string) ([]store.CardRow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+cardCols+` FROM cards WHERE pin = ? ORDER BY seq`, pin)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.CardRow
	for rows.Next() {
		var c store.CardRow
		var created, updated int64
		if err := rows.Scan(&c.PIN, &c.Seq, &c.EventID, &c.Kind, &c.IssueDate, &c.Expiry, &c.Authority, &c.Status,
			&c.StatusReason, &c.StatusActor, &c.Chip, &c.DG1, &c.DG2, &c.DG13, &c.SOD, &c.DSSerial, &c.Version,
			&created, &updated); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetCardStatus implements store.Cards.
func (s *Store) SetCardStatus(ctx context.Context, pin string, seq, version int64, ch store.CardStatusChange) error {
	return inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cards SET status = ?, status_reason = ?, status_actor = ?,
			version = version + 1, updated_at = ? WHERE pin = ? AND seq = ? AND version = ?`,
			ch.Status, ch.Reason, ch.Actor, time.Now().UnixNano(), pin, seq, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var v int64
		err = tx.QueryRowContext(ctx, `SELECT version FROM cards WHERE pin = ? AND seq = ?`, pin, seq).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return store.ErrConflict
	})
}

// CardStatusCounts implements store.Cards.
func (s *Store) CardStatusCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, count(*) FROM cards GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

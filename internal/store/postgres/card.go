package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

const cardCols = `pin, seq, event_id, kind, issue_date, expiry, authority, status, status_reason, status_actor,
	chip, dg1, dg2, dg13, sod, ds_serial, version, created_at, updated_at`

// InsertCards implements store.Cards. Cards go in (pin, seq) order so that
// two processes inserting overlapping batches lock rows in the same order.
func (s *Store) InsertCards(ctx context.Context, cards []store.CardRow) (int, error) {
	if len(cards) == 0 {
		return 0, nil
	}
	for _, c := range cards {
		if c.PIN == "" || c.EventID == "" || c.Status == "" {
			return 0, errors.New("postgres: insert cards: pin, event id and status are required")
		}
	}
	n := 0
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		now := time.Now().UTC()
		b := &pgx.Batch{}
		for _, c := range cards {
			// The earlier cards are replaced only if this one was new: the
			// UPDATE joins the INSERT's RETURNING.
			b.Queue(`WITH ins AS (
				INSERT INTO cards (`+cardCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', '', $9, $10, $11, $12, $13, $14, 1, $15, $15)
				ON CONFLICT (event_id) DO NOTHING RETURNING pin, seq),
			upd AS (
				UPDATE cards SET status = 'replaced', version = cards.version + 1, updated_at = $15
				FROM ins WHERE cards.pin = ins.pin AND cards.seq < ins.seq AND cards.status = 'valid')
			SELECT count(*) FROM ins`,
				c.PIN, c.Seq, c.EventID, c.Kind, c.IssueDate, c.Expiry, c.Authority, c.Status,
				c.Chip, c.DG1, c.DG2, c.DG13, c.SOD, c.DSSerial, now)
		}
		br := tx.SendBatch(ctx, b)
		for range cards {
			var k int
			if err := br.QueryRow().Scan(&k); err != nil {
				br.Close()
				return err
			}
			n += k
		}
		return br.Close()
	})
	if err != nil {
		n = 0
		var de *dbError
		if werr := wrapErr("insert cards", err); errors.As(werr, &de) && de.pg.Code == codeUniqueViolation {
			return 0, store.ErrExists
		}
		return 0, wrapErr("insert cards", err)
	}
	return n, nil
}

// CardsByPIN implements store.Cards.
func (s *Store) CardsByPIN(ctx context.Context, pin string) ([]store.CardRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+cardCols+` FROM cards WHERE pin = $1 ORDER BY seq`, pin)
	if err != nil {
		return nil, wrapErr("cards by pin", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.CardRow, error) {
		var c store.CardRow
		err := row.Scan(&c.PIN, &c.Seq, &c.EventID, &c.Kind, &c.IssueDate, &c.Expiry, &c.Authority, &c.Status,
			&c.StatusReason, &c.StatusActor, &c.Chip, &c.DG1, &c.DG2, &c.DG13, &c.SOD, &c.DSSerial, &c.Version,
			&c.CreatedAt, &c.UpdatedAt)
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		return c, err
	})
	return out, wrapErr("cards by pin", err)
}

// SetCardStatus implements store.Cards.
func (s *Store) SetCardStatus(ctx context.Context, pin string, seq, version int64, ch store.CardStatusChange) error {
	tag, err := s.pool.Exec(ctx, `UPDATE cards SET status = $1, status_reason = $2, status_actor = $3,
		version = version + 1, updated_at = $4 WHERE pin = $5 AND seq = $6 AND version = $7`,
		ch.Status, ch.Reason, ch.Actor, time.Now().UTC(), pin, seq, version)
	if err != nil {
		return wrapErr("set card status", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var v int64
	err = s.pool.QueryRow(ctx, `SELECT version FROM cards WHERE pin = $1 AND seq = $2`, pin, seq).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return wrapErr("set card status", err)
	}
	return store.ErrConflict
}

// CardStatusCounts implements store.Cards.
func (s *Store) CardStatusCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM cards GROUP BY status`)
	if err != nil {
		return nil, wrapErr("card status counts", err)
	}
	out := map[string]int64{}
	var st string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error { out[st] = n; return nil })
	return out, wrapErr("card status counts", err)
}

package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// Delivery state is written by one relay per consumer (see package feed),
// so these statements need no locking beyond their own rows: the cursor's
// upsert keeps the greater seq, and pending rows are keyed by seq.

func scanPendingRow(row pgx.Row) (store.PendingDelivery, error) {
	var p store.PendingDelivery
	err := row.Scan(&p.Seq, &p.PIN, &p.Attempts, &p.FirstAt, &p.NextAt, &p.LastError)
	p.FirstAt, p.NextAt = p.FirstAt.UTC(), p.NextAt.UTC()
	return p, err
}

func scanDeadRow(row pgx.Row) (store.DeadLetter, error) {
	var d store.DeadLetter
	err := row.Scan(&d.Seq, &d.PIN, &d.Attempts, &d.FirstAt, &d.DeadAt, &d.LastError)
	d.FirstAt, d.DeadAt = d.FirstAt.UTC(), d.DeadAt.UTC()
	return d, err
}

// pgTime stores the zero time as the Unix epoch: the columns are NOT NULL
// and a pending message always has times once it has been tried.
func pgTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

// DeliveryCursor implements store.Deliveries.
func (s *Store) DeliveryCursor(ctx context.Context, consumer string) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT seq FROM delivery_cursors WHERE consumer = $1`, consumer).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return seq, wrapErr("delivery cursor", err)
}

// AdvanceDelivery implements store.Deliveries.
func (s *Store) AdvanceDelivery(ctx context.Context, consumer string, seq int64, pending []store.PendingDelivery) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, p := range pending {
			b.Queue(`INSERT INTO delivery_pending (consumer, seq, pin, attempts, first_at, next_at, last_error)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (consumer, seq) DO NOTHING`,
				consumer, p.Seq, p.PIN, p.Attempts, pgTime(p.FirstAt), pgTime(p.NextAt), p.LastError)
		}
		b.Queue(`INSERT INTO delivery_cursors (consumer, seq) VALUES ($1, $2)
			ON CONFLICT (consumer) DO UPDATE SET seq = greatest(delivery_cursors.seq, excluded.seq)`, consumer, seq)
		return tx.SendBatch(ctx, b).Close()
	})
	return wrapErr("advance delivery", err)
}

// PendingDeliveries implements store.Deliveries.
func (s *Store) PendingDeliveries(ctx context.Context, consumer string, afterSeq int64, limit int) ([]store.PendingDelivery, error) {
	return all(ctx, s.pool, "pending deliveries", scanPendingRow,
		`SELECT seq, pin, attempts, first_at, next_at, last_error FROM delivery_pending
		WHERE consumer = $1 AND seq > $2 ORDER BY seq LIMIT $3`, consumer, afterSeq, limit)
}

// RetryDelivery implements store.Deliveries.
func (s *Store) RetryDelivery(ctx context.Context, consumer string, p store.PendingDelivery) error {
	tag, err := s.pool.Exec(ctx, `UPDATE delivery_pending SET attempts = $1, first_at = $2, next_at = $3, last_error = $4
		WHERE consumer = $5 AND seq = $6`, p.Attempts, pgTime(p.FirstAt), pgTime(p.NextAt), p.LastError, consumer, p.Seq)
	if err != nil {
		return wrapErr("retry delivery", err)
	}
	if tag.RowsAffected() == 0 {
		return sentinel("retry delivery", store.ErrNotFound)
	}
	return nil
}

// FinishDelivery implements store.Deliveries.
func (s *Store) FinishDelivery(ctx context.Context, consumer string, seq int64, dead bool, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if dead {
			_, err := tx.Exec(ctx, `INSERT INTO delivery_dead (consumer, seq, pin, attempts, first_at, dead_at, last_error)
				SELECT consumer, seq, pin, attempts, first_at, $1, last_error FROM delivery_pending
				WHERE consumer = $2 AND seq = $3
				ON CONFLICT (consumer, seq) DO UPDATE SET attempts = excluded.attempts,
					dead_at = excluded.dead_at, last_error = excluded.last_error`, pgTime(at), consumer, seq)
			if err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM delivery_pending WHERE consumer = $1 AND seq = $2`, consumer, seq)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return sentinel("finish delivery", err)
	}
	return wrapErr("finish delivery", err)
}

// DeadLetters implements store.Deliveries.
func (s *Store) DeadLetters(ctx context.Context, consumer string, afterSeq int64, limit int) ([]store.DeadLetter, error) {
	return all(ctx, s.pool, "dead letters", scanDeadRow,
		`SELECT seq, pin, attempts, first_at, dead_at, last_error FROM delivery_dead
		WHERE consumer = $1 AND seq > $2 ORDER BY seq LIMIT $3`, consumer, afterSeq, limit)
}

// RedeliverDeadLetter implements store.Deliveries.
func (s *Store) RedeliverDeadLetter(ctx context.Context, consumer string, seq int64, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `WITH moved AS (DELETE FROM delivery_dead WHERE consumer = $1 AND seq = $2 RETURNING consumer, seq, pin)
			INSERT INTO delivery_pending (consumer, seq, pin, attempts, first_at, next_at, last_error)
			SELECT consumer, seq, pin, 0, $3, $3, '' FROM moved
			ON CONFLICT (consumer, seq) DO NOTHING`, consumer, seq, pgTime(at))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return sentinel("redeliver", err)
	}
	return wrapErr("redeliver", err)
}

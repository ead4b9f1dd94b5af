package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Delivery state is small and written once per batch of messages or per
// retry, so every write is one short transaction on the single writer.
const (
	qDeliveryCursor = `SELECT seq FROM delivery_cursors WHERE consumer = ?`
	qPendingAfter   = `SELECT seq, pin, attempts, first_at, next_at, last_error FROM delivery_pending
		WHERE consumer = ? AND seq > ? ORDER BY seq LIMIT ?`
	qDeadAfter = `SELECT seq, pin, attempts, first_at, dead_at, last_error FROM delivery_dead
		WHERE consumer = ? AND seq > ? ORDER BY seq LIMIT ?`
)

func scanPending(sc scanner) (store.PendingDelivery, error) {
	var p store.PendingDelivery
	var first, next int64
	err := sc.Scan(&p.Seq, &p.PIN, &p.Attempts, &first, &next, &p.LastError)
	p.FirstAt, p.NextAt = time.Unix(0, first).UTC(), time.Unix(0, next).UTC()
	return p, err
}

func scanDead(sc scanner) (store.DeadLetter, error) {
	var d store.DeadLetter
	var first, dead int64
	err := sc.Scan(&d.Seq, &d.PIN, &d.Attempts, &first, &dead, &d.LastError)
	d.FirstAt, d.DeadAt = time.Unix(0, first).UTC(), time.Unix(0, dead).UTC()
	return d, err
}

// nanos converts a time for storage; the zero time is stored as 0 rather
// than NULL, since these columns always hold a time.
func nanos(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, errTimeRange
	}
	return t.UnixNano(), nil
}

// DeliveryCursor implements store.Deliveries.
func (s *Store) DeliveryCursor(ctx context.Context, consumer string) (int64, error) {
	seq, err := queryOne(ctx, s, "delivery cursor", func(sc scanner) (int64, error) {
		var n int64
		return n, sc.Scan(&n)
	}, qDeliveryCursor, consumer)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return seq, err
}

// AdvanceDelivery implements store.Deliveries.
func (s *Store) AdvanceDelivery(ctx context.Context, consumer string, seq int64, pending []store.PendingDelivery) error {
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		if len(pending) > 0 {
			ins, err := tx.PrepareContext(ctx, `INSERT INTO delivery_pending
				(consumer, seq, pin, attempts, first_at, next_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (consumer, seq) DO NOTHING`)
			if err != nil {
				return err
			}
			defer ins.Close()
			for _, p := range pending {
				first, err := nanos(p.FirstAt)
				if err != nil {
					return err
				}
				next, err := nanos(p.NextAt)
				if err != nil {
					return err
				}
				if _, err := ins.ExecContext(ctx, consumer, p.Seq, p.PIN, p.Attempts, first, next, p.LastError); err != nil {
					return err
				}
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO delivery_cursors (consumer, seq) VALUES (?, ?)
			ON CONFLICT (consumer) DO UPDATE SET seq = max(seq, excluded.seq)`, consumer, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: advance delivery: %w", err)
	}
	return nil
}

// PendingDeliveries implements store.Deliveries.
func (s *Store) PendingDeliveries(ctx context.Context, consumer string, afterSeq int64, limit int) ([]store.PendingDelivery, error) {
	return queryAll(ctx, s, "pending deliveries", scanPending, qPendingAfter, consumer, afterSeq, limit)
}

// RetryDelivery implements store.Deliveries.
func (s *Store) RetryDelivery(ctx context.Context, consumer string, p store.PendingDelivery) error {
	next, err := nanos(p.NextAt)
	if err != nil {
		return fmt.Errorf("sqlite: retry delivery: %w", err)
	}
	first, err := nanos(p.FirstAt)
	if err != nil {
		return fmt.Errorf("sqlite: retry delivery: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE delivery_pending SET attempts = ?, first_at = ?, next_at = ?, last_error = ?
			WHERE consumer = ? AND seq = ?`, p.Attempts, first, next, p.LastError, consumer, p.Seq)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("sqlite: retry delivery: %w", err)
	}
	return nil
}

// FinishDelivery implements store.Deliveries.
func (s *Store) FinishDelivery(ctx context.Context, consumer string, seq int64, dead bool, at time.Time) error {
	atN, err := nanos(at)
	if err != nil {
		return fmt.Errorf("sqlite: finish delivery: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		if dead {
			_, err := tx.ExecContext(ctx, `INSERT INTO delivery_dead (consumer, seq, pin, attempts, first_at, dead_at, last_error)
				SELECT consumer, seq, pin, attempts, first_at, ?, last_error FROM delivery_pending
				WHERE consumer = ? AND seq = ?
				ON CONFLICT (consumer, seq) DO UPDATE SET attempts = excluded.attempts,
					dead_at = excluded.dead_at, last_error = excluded.last_error`, atN, consumer, seq)
			if err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM delivery_pending WHERE consumer = ? AND seq = ?`, consumer, seq)
		if err != nil {
			return err
		}
		return mustAffect(res)
	})
	if err != nil {
		return fmt.Errorf("sqlite: finish delivery: %w", err)
	}
	return nil
}

// DeadLetters implements store.Deliveries.
func (s *Store) DeadLetters(ctx context.Context, consumer string, afterSeq int64, limit int) ([]store.DeadLetter, error) {
	return queryAll(ctx, s, "dead letters", scanDead, qDeadAfter, consumer, afterSeq, limit)
}

// RedeliverDeadLetter implements store.Deliveries.
func (s *Store) RedeliverDeadLetter(ctx context.Context, consumer string, seq int64, at time.Time) error {
	atN, err := nanos(at)
	if err != nil {
		return fmt.Errorf("sqlite: redeliver: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO delivery_pending (consumer, seq, pin, attempts, first_at, next_at, last_error)
			SELECT consumer, seq, pin, 0, ?, ?, '' FROM delivery_dead WHERE consumer = ? AND seq = ?
			ON CONFLICT (consumer, seq) DO NOTHING`, atN, atN, consumer, seq)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM delivery_dead WHERE consumer = ? AND seq = ?`, consumer, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: redeliver: %w", err)
	}
	return nil
}

// mustAffect turns an update that matched no row into store.ErrNotFound.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

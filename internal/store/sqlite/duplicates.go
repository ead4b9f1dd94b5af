package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

const duplicateCols = `pin_a, pin_b, weight, probability, evidence, source, status, found_at, decided_by, decided_at`

func scanDuplicate(sc scanner) (store.DuplicateCandidate, error) {
	var c store.DuplicateCandidate
	var found, decided int64
	err := sc.Scan(&c.PINA, &c.PINB, &c.Weight, &c.Probability, &c.Evidence, &c.Source, &c.Status, &found, &c.DecidedBy, &decided)
	c.FoundAt = time.Unix(0, found).UTC()
	if decided != 0 {
		c.DecidedAt = time.Unix(0, decided).UTC()
	}
	return c, err
}

// checkPair reports a pair the queue cannot hold.
func checkPair(a, b string) error {
	if a == "" || b == "" || a >= b {
		return errors.New("the PINs of a pair must be given in ascending order")
	}
	return nil
}

// PutDuplicateCandidates implements store.Duplicates.
func (s *Store) PutDuplicateCandidates(ctx context.Context, cs []store.DuplicateCandidate) (int, error) {
	for _, c := range cs {
		if err := checkPair(c.PINA, c.PINB); err != nil {
			return 0, fmt.Errorf("sqlite: put duplicate candidates: %w", err)
		}
	}
	inserted := 0
	err := inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		inserted = 0
		exists, err := tx.PrepareContext(ctx, `SELECT 1 FROM duplicate_candidates WHERE pin_a = ? AND pin_b = ?`)
		if err != nil {
			return err
		}
		defer exists.Close()
		upsert, err := tx.PrepareContext(ctx, `INSERT INTO duplicate_candidates (`+duplicateCols+`)
			VALUES (?, ?, ?, ?, ?, ?, 'open', ?, '', 0)
			ON CONFLICT (pin_a, pin_b) DO UPDATE SET weight = excluded.weight, probability = excluded.probability,
				evidence = excluded.evidence, source = excluded.source, found_at = excluded.found_at
			WHERE duplicate_candidates.status = 'open'`)
		if err != nil {
			return err
		}
		defer upsert.Close()
		for _, c := range cs {
			found, err := nanos(c.FoundAt)
			if err != nil {
				return err
			}
			var one int
			switch err := exists.QueryRowContext(ctx, c.PINA, c.PINB).Scan(&one); {
			case errors.Is(err, sql.ErrNoRows):
				inserted++
			case err != nil:
				return err
			}
			evidence := c.Evidence
			if evidence == nil {
				evidence = []byte{}
			}
			if _, err := upsert.ExecContext(ctx, c.PINA, c.PINB, c.Weight, c.Probability, evidence, c.Source, found); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: put duplicate candidates: %w", err)
	}
	return inserted, nil
}

// DuplicateCandidate implements store.Duplicates.
func (s *Store) DuplicateCandidate(ctx context.Context, pinA, pinB string) (store.DuplicateCandidate, error) {
	return queryOne(ctx, s, "duplicate candidate", scanDuplicate,
		`SELECT `+duplicateCols+` FROM duplicate_candidates WHERE pin_a = ? AND pin_b = ?`, pinA, pinB)
}

// DuplicateCandidates implements store.Duplicates.
func (s *Store) DuplicateCandidates(ctx context.Context, q store.DuplicateQuery) ([]store.DuplicateCandidate, error) {
	if q.Limit <= 0 {
		return nil, errors.New("sqlite: duplicate candidates: limit must be positive")
	}
	query := `SELECT ` + duplicateCols + ` FROM duplicate_candidates WHERE 1 = 1`
	var args []any
	if q.Status != "" {
		query += ` AND status = ?`
		args = append(args, q.Status)
	}
	if q.PIN != "" {
		query += ` AND (pin_a = ? OR pin_b = ?)`
		args = append(args, q.PIN, q.PIN)
	}
	if q.AfterA != "" {
		query += ` AND (weight < ? OR (weight = ? AND (pin_a > ? OR (pin_a = ? AND pin_b > ?))))`
		args = append(args, q.AfterWeight, q.AfterWeight, q.AfterA, q.AfterA, q.AfterB)
	}
	query += ` ORDER BY weight DESC, pin_a, pin_b LIMIT ?`
	args = append(args, q.Limit)
	return queryAll(ctx, s, "duplicate candidates", scanDuplicate, query, args...)
}

// CountDuplicateCandidates implements store.Duplicates.
func (s *Store) CountDuplicateCandidates(ctx context.Context, status string) (int64, error) {
	return queryOne(ctx, s, "count duplicate candidates", func(sc scanner) (int64, error) {
		var n int64
		return n, sc.Scan(&n)
	}, `SELECT count(*) FROM duplicate_candidates WHERE ? = '' OR status = ?`, status, status)
}

// DecideDuplicateCandidate implements store.Duplicates.
func (s *Store) DecideDuplicateCandidate(ctx context.Context, pinA, pinB, status, actor string, at time.Time) error {
	if status != store.DuplicateMerged && status != store.DuplicateDismissed {
		return errors.New("sqlite: decide duplicate candidate: status must be merged or dismissed")
	}
	when, err := nanos(at)
	if err != nil {
		return fmt.Errorf("sqlite: decide duplicate candidate: %w", err)
	}
	err = inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT status FROM duplicate_candidates WHERE pin_a = ? AND pin_b = ?`, pinA, pinB).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur != store.DuplicateOpen {
			return store.ErrConflict
		}
		_, err = tx.ExecContext(ctx, `UPDATE duplicate_candidates SET status = ?, decided_by = ?, decided_at = ?
			WHERE pin_a = ? AND pin_b = ?`, status, actor, when, pinA, pinB)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: decide duplicate candidate: %w", err)
	}
	return nil
}

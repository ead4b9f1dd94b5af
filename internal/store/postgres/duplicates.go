package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

const duplicateCols = `pin_a, pin_b, weight, probability, evidence, source, status, found_at, decided_by, decided_at`

func scanDuplicate(row pgx.Row) (store.DuplicateCandidate, error) {
	var c store.DuplicateCandidate
	var decided *time.Time
	err := row.Scan(&c.PINA, &c.PINB, &c.Weight, &c.Probability, &c.Evidence, &c.Source, &c.Status, &c.FoundAt, &c.DecidedBy, &decided)
	c.FoundAt = c.FoundAt.UTC()
	if decided != nil {
		c.DecidedAt = decided.UTC()
	}
	return c, err
}

// PutDuplicateCandidates implements store.Duplicates. Pairs are written in
// key order, so that two batches writing overlapping pairs lock rows in the
// same order and cannot deadlock.
func (s *Store) PutDuplicateCandidates(ctx context.Context, cs []store.DuplicateCandidate) (int, error) {
	for _, c := range cs {
		if c.PINA == "" || c.PINB == "" || c.PINA >= c.PINB {
			return 0, errors.New("postgres: put duplicate candidates: the PINs of a pair must be given in ascending order")
		}
	}
	sorted := make([]store.DuplicateCandidate, len(cs))
	copy(sorted, cs)
	slices.SortFunc(sorted, func(x, y store.DuplicateCandidate) int {
		return cmp.Or(cmp.Compare(x.PINA, y.PINA), cmp.Compare(x.PINB, y.PINB))
	})
	inserted := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		inserted = 0
		b := &pgx.Batch{}
		for _, c := range sorted {
			evidence := c.Evidence
			if evidence == nil {
				evidence = []byte{}
			}
			// xmax = 0 on the returned row means it was inserted, not updated.
			b.Queue(`INSERT INTO duplicate_candidates (`+duplicateCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, '', NULL)
				ON CONFLICT (pin_a, pin_b) DO UPDATE SET weight = excluded.weight, probability = excluded.probability,
					evidence = excluded.evidence, source = excluded.source, found_at = excluded.found_at
				WHERE duplicate_candidates.status = 'open'
				RETURNING (xmax = 0)`, c.PINA, c.PINB, c.Weight, c.Probability, evidence, c.Source, pgTime(c.FoundAt))
		}
		br := tx.SendBatch(ctx, b)
		for range sorted {
			var fresh bool
			err := br.QueryRow().Scan(&fresh)
			switch {
			case errors.Is(err, pgx.ErrNoRows): // decided: left alone
			case err != nil:
				br.Close()
				return err
			case fresh:
				inserted++
			}
		}
		return br.Close()
	})
	if err != nil {
		return 0, wrapErr("put duplicate candidates", err)
	}
	return inserted, nil
}

// DuplicateCandidate implements store.Duplicates.
func (s *Store) DuplicateCandidate(ctx context.Context, pinA, pinB string) (store.DuplicateCandidate, error) {
	return one(ctx, s.pool, "duplicate candidate", scanDuplicate,
		`SELECT `+duplicateCols+` FROM duplicate_candidates WHERE pin_a = $1 AND pin_b = $2`, pinA, pinB)
}

// DuplicateCandidates implements store.Duplicates.
func (s *Store) DuplicateCandidates(ctx context.Context, q store.DuplicateQuery) ([]store.DuplicateCandidate, error) {
	if q.Limit <= 0 {
		return nil, errors.New("postgres: duplicate candidates: limit must be positive")
	}
	query := `SELECT ` + duplicateCols + ` FROM duplicate_candidates WHERE true`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Status != "" {
		query += ` AND status = ` + arg(q.Status)
	}
	if q.PIN != "" {
		p := arg(q.PIN)
		query += ` AND (pin_a = ` + p + ` OR pin_b = ` + p + `)`
	}
	if q.AfterA != "" {
		w, a, b := arg(q.AfterWeight), arg(q.AfterA), arg(q.AfterB)
		query += ` AND (weight < ` + w + ` OR (weight = ` + w + ` AND (pin_a, pin_b) > (` + a + `, ` + b + `)))`
	}
	query += ` ORDER BY weight DESC, pin_a, pin_b LIMIT ` + arg(q.Limit)
	return all(ctx, s.pool, "duplicate candidates", scanDuplicate, query, args...)
}

// CountDuplicateCandidates implements store.Duplicates.
func (s *Store) CountDuplicateCandidates(ctx context.Context, status string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM duplicate_candidates WHERE $1 = '' OR status = $1`, status).Scan(&n)
	return n, wrapErr("count duplicate candidates", err)
}

// DecideDuplicateCandidate implements store.Duplicates.
func (s *Store) DecideDuplicateCandidate(ctx context.Context, pinA, pinB, status, actor string, at time.Time) error {
	if status != store.DuplicateMerged && status != store.DuplicateDismissed {
		return errors.New("postgres: decide duplicate candidate: status must be merged or dismissed")
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var cur string
		err := tx.QueryRow(ctx, `SELECT status FROM duplicate_candidates WHERE pin_a = $1 AND pin_b = $2 FOR UPDATE`, pinA, pinB).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur != store.DuplicateOpen {
			return store.ErrConflict
		}
		_, err = tx.Exec(ctx, `UPDATE duplicate_candidates SET status = $1, decided_by = $2, decided_at = $3
			WHERE pin_a = $4 AND pin_b = $5`, status, actor, pgTime(at), pinA, pinB)
		return err
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return sentinel("decide duplicate candidate", err)
	}
	return wrapErr("decide duplicate candidate", err)
}

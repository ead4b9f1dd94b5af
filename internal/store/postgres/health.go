package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
)

// PutCheckIn implements store.Health.
func (s *Store) PutCheckIn(ctx context.Context, c store.CheckIn) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO health_checkins (id, facility, pin, at, method, insurance, actor)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, c.Facility, c.PIN, c.At.UTC(), c.Method, c.Insurance, c.Actor)
	if err != nil {
		var de *dbError
		if werr := wrapErr("put check-in", err); errors.As(werr, &de) && de.pg.Code == codeUniqueViolation {
			return store.ErrExists
		}
		return wrapErr("put check-in", err)
	}
	return nil
}

// CheckInsByPIN implements store.Health.
func (s *Store) CheckInsByPIN(ctx context.Context, pin string, limit int) ([]store.CheckIn, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, facility, pin, at, method, insurance, actor FROM health_checkins
		WHERE pin = $1 ORDER BY at DESC, id LIMIT $2`, pin, limit)
	if err != nil {
		return nil, wrapErr("check-ins by pin", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.CheckIn, error) {
		var c store.CheckIn
		err := row.Scan(&c.ID, &c.Facility, &c.PIN, &c.At, &c.Method, &c.Insurance, &c.Actor)
		c.At = c.At.UTC()
		return c, err
	})
	return out, wrapErr("check-ins by pin", err)
}

// CheckInCounts implements store.Health.
func (s *Store) CheckInCounts(ctx context.Context, since time.Time) (store.CheckInCounts, error) {
	var c store.CheckInCounts
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	err := s.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT facility),
		count(DISTINCT facility) FILTER (WHERE method = 'chip'),
		count(DISTINCT pin), count(DISTINCT pin) FILTER (WHERE method = 'chip')
		FROM health_checkins WHERE at >= $1`, since.UTC()).
		Scan(&c.CheckIns, &c.Facilities, &c.ChipFacilities, &c.PeopleServed, &c.ChipPeopleServed)
	return c, wrapErr("check-in counts", err)
}

// VaccinationDoses implements store.Health.
func (s *Store) VaccinationDoses(ctx context.Context, datasets []string) ([]store.VaccineDoses, error) {
	if len(datasets) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `WITH recs AS (
		SELECT pin, convert_from(data, 'UTF8')::jsonb AS doc FROM dataset_records WHERE dataset = ANY($1)),
	doses AS (
		SELECT pin, doc->>'vaccine' AS vaccine, count(DISTINCT doc->>'dose') AS n FROM recs GROUP BY pin, doc->>'vaccine')
	SELECT vaccine, n, count(*) FROM doses WHERE vaccine IS NOT NULL GROUP BY vaccine, n ORDER BY vaccine COLLATE "C", n`, datasets)
	if err != nil {
		return nil, wrapErr("vaccination doses", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.VaccineDoses, error) {
		var v store.VaccineDoses
		err := row.Scan(&v.Vaccine, &v.Doses, &v.People)
		return v, err
	})
	return out, wrapErr("vaccination doses", err)
}

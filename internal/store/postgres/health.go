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
	return store.CountVaccinationDoses(ctx, s, datasets)
}

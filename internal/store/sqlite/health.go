package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// PutCheckIn implements store.Health.
func (s *Store) PutCheckIn(ctx context.Context, c store.CheckIn) error {
	return inWriteTx(ctx, s.w, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO health_checkins (id, facility, pin, at, method, insurance, actor)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Facility, c.PIN, c.At.Truncate(time.Microsecond).UnixNano(), c.Method, c.Insurance, c.Actor)
		if isUniqueViolation(err) {
			return store.ErrExists
		}
		return err
	})
}

// CheckInsByPIN implements store.Health.
func (s *Store) CheckInsByPIN(ctx context.Context, pin string, limit int) ([]store.CheckIn, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, facility, pin, at, method, insurance, actor FROM health_checkins
		WHERE pin = ? ORDER BY at DESC, id LIMIT ?`, pin, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.CheckIn
	for rows.Next() {
		var c store.CheckIn
		var at int64
		if err := rows.Scan(&c.ID, &c.Facility, &c.PIN, &at, &c.Method, &c.Insurance, &c.Actor); err != nil {
			return nil, err
		}
		c.At = time.Unix(0, at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// CheckInCounts implements store.Health.
func (s *Store) CheckInCounts(ctx context.Context, since time.Time) (store.CheckInCounts, error) {
	var c store.CheckInCounts
	var from int64
	if !since.IsZero() {
		from = since.UnixNano()
	}
	err := s.r.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT facility),
		count(DISTINCT CASE WHEN method = 'chip' THEN facility END),
		count(DISTINCT pin), count(DISTINCT CASE WHEN method = 'chip' THEN pin END)
		FROM health_checkins WHERE at >= ?`, from).
		Scan(&c.CheckIns, &c.Facilities, &c.ChipFacilities, &c.PeopleServed, &c.ChipPeopleServed)
	return c, err
}

// VaccinationDoses implements store.Health.
func (s *Store) VaccinationDoses(ctx context.Context, datasets []string) ([]store.VaccineDoses, error) {
	return store.CountVaccinationDoses(ctx, s, datasets)
}

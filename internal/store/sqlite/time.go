package sqlite

import (
	"database/sql"
	"errors"
	"math"
	"time"
)

// Times are stored as Unix nanoseconds in UTC: exact, compact and ordered.
// The zero time is stored as NULL, since its Unix nanoseconds do not fit.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

var errTimeRange = errors.New("sqlite: time outside the years 1678 to 2262")

func timeArg(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return nil, errTimeRange
	}
	return t.UnixNano(), nil
}

func timeFromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

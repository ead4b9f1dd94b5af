package postgres

import (
	"context"
	"fmt"

	"github.com/dancu/dancu/internal/store"
)

// accessLeavesQuery reads a range of entries as three values, in one
// statement and so one snapshot: the server concatenates the data and
// lists the lengths, instead of sending a row per entry. skew is 0 exactly
// for the rows before the first missing index (the indexes are unique and
// ascending, so once one is skipped every later row is ahead of its rank).
const accessLeavesQuery = `SELECT count(*),
	coalesce(array_agg(length(data) ORDER BY idx), '{}'),
	coalesce(string_agg(data, ''::bytea ORDER BY idx), ''::bytea)
	FROM (SELECT idx, data, idx - $1 - (row_number() OVER (ORDER BY idx) - 1) AS skew
		FROM access_log WHERE idx >= $1 AND idx < $2) r
	WHERE skew = 0`

// AccessLeaves implements store.AccessLog.
func (s *Store) AccessLeaves(ctx context.Context, from, to int64) (store.AccessLeaves, error) {
	if to <= from {
		return store.AccessLeaves{}, nil
	}
	var count int64
	var lens []int32
	var l store.AccessLeaves
	if err := s.pool.QueryRow(ctx, accessLeavesQuery, from, to).Scan(&count, &lens, &l.Data); err != nil {
		return store.AccessLeaves{}, wrapErr("access leaves", err)
	}
	l.Ends = make([]int, len(lens))
	end := 0
	for i, k := range lens {
		end += int(k)
		l.Ends[i] = end
	}
	if int64(len(lens)) != count || end != len(l.Data) {
		return store.AccessLeaves{}, fmt.Errorf("postgres: access leaves %d to %d: %d lengths adding up to %d for %d rows and %d bytes",
			from, to-1, len(lens), end, count, len(l.Data))
	}
	return l, nil
}

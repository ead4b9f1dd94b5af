package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/dancu/dancu/internal/store"
)

// accessLeavesQuery reads a range of entries as two values: SQLite
// concatenates the data, and lists each row's index and length, itself.
// Returning a row per entry cost the checkpoint signer more than hashing
// the leaves did: a step through database/sql and the driver per row, two
// copies of each leaf and an allocation per column.
//
// The aggregates have no ORDER BY of their own: SQLite implements one by
// sorting the rows into a temporary B-tree, which cost twice the per-row
// read. The rows come in index order from the primary key scan, and every
// aggregate of the statement sees them in the same order, so the list of
// indexes says in which order the data was concatenated; AccessLeaves
// checks it and reads row by row if it is ever not ascending.
// octet_length counts bytes (the column is a STRICT BLOB, so length would
// too, but says so less plainly); the concatenation is done as text, which
// keeps every byte, and cast back.
const accessLeavesQuery = `SELECT coalesce(group_concat(idx || ',' || octet_length(data), ','), ''),
	CAST(coalesce(group_concat(data, ''), '') AS BLOB)
	FROM (SELECT idx, data FROM access_log WHERE idx >= ? AND idx < ? ORDER BY idx)`

// AccessLeaves implements store.AccessLog.
func (s *Store) AccessLeaves(ctx context.Context, from, to int64) (store.AccessLeaves, error) {
	if to <= from {
		return store.AccessLeaves{}, nil
	}
	var list string
	var l store.AccessLeaves
	if err := s.log.r.QueryRowContext(ctx, accessLeavesQuery, from, to).Scan(&list, &l.Data); err != nil {
		return store.AccessLeaves{}, fmt.Errorf("sqlite: access leaves: %w", err)
	}
	ordered, err := splitAccessLeaves(&l, list, from)
	if err != nil {
		return store.AccessLeaves{}, fmt.Errorf("sqlite: access leaves %d to %d: %w", from, to-1, err)
	}
	if !ordered {
		return s.accessLeavesByRow(ctx, from, to)
	}
	return l, nil
}

// splitAccessLeaves sets l.Ends from list, the statement's "idx,length,..."
// pairs, for the rows from `from` up to the first missing index, and cuts
// l.Data there. It reports false if the rows were not concatenated in
// ascending index order.
func splitAccessLeaves(l *store.AccessLeaves, list string, from int64) (bool, error) {
	n := 0
	if list != "" {
		n = (strings.Count(list, ",") + 1) / 2
	}
	l.Ends = make([]int, 0, n)
	end, total, prev := 0, 0, from-1
	for k := 0; list != ""; k++ {
		var is, ns string
		is, list, _ = strings.Cut(list, ",")
		ns, list, _ = strings.Cut(list, ",")
		idx, err1 := strconv.ParseInt(is, 10, 64)
		size, err2 := strconv.Atoi(ns)
		if err1 != nil || err2 != nil || size < 0 {
			return false, fmt.Errorf("malformed list of lengths")
		}
		if idx <= prev {
			return false, nil
		}
		prev = idx
		total += size
		if idx == from+int64(k) && len(l.Ends) == k {
			end = total
			l.Ends = append(l.Ends, end)
		}
	}
	if total != len(l.Data) {
		return false, fmt.Errorf("lengths add up to %d bytes, the data has %d", total, len(l.Data))
	}
	l.Data = l.Data[:end:end]
	return true, nil
}

// accessLeavesByRow is AccessLeaves one row at a time, in one snapshot.
func (s *Store) accessLeavesByRow(ctx context.Context, from, to int64) (store.AccessLeaves, error) {
	rows, err := s.log.r.QueryContext(ctx, "SELECT idx, data FROM access_log WHERE idx >= ? AND idx < ? ORDER BY idx", from, to)
	if err != nil {
		return store.AccessLeaves{}, fmt.Errorf("sqlite: access leaves: %w", err)
	}
	defer rows.Close()
	var l store.AccessLeaves
	for want := from; rows.Next(); want++ {
		var idx int64
		var data sql.RawBytes
		if err := rows.Scan(&idx, &data); err != nil {
			return store.AccessLeaves{}, fmt.Errorf("sqlite: access leaves: %w", err)
		}
		if idx != want {
			break
		}
		l.Data = append(l.Data, data...)
		l.Ends = append(l.Ends, len(l.Data))
	}
	if err := rows.Err(); err != nil {
		return store.AccessLeaves{}, fmt.Errorf("sqlite: access leaves: %w", err)
	}
	return l, nil
}

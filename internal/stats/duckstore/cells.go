package duckstore

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/stats"
)

var _ stats.CellStore = (*Store)(nil)

// cellKey packs a cell's numbers into one column, so that a row moves two
// numbers through the driver: commune << 32 | sex << 8 | age_group.
const cellKey = `(commune::BIGINT << 32) | (sex::BIGINT << 8) | age_group::BIGINT`

// maxNameID bounds the name numbers cellKey can hold for the sex.
const maxNameID = 1 << 24

// PopulationCells reads the finest population table folded in pre_cells
// (see cellsSchema), as one snapshot.
func (s *Store) PopulationCells(ctx context.Context, day time.Time) (*stats.Cells, bool, error) {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, false, wrap("cells", err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return nil, false, wrap("cells", err)
	}
	defer c.ExecContext(context.Background(), `ROLLBACK`)
	// Whether the day is held, and its cells' number: the columns are
	// allocated at once (growing them cost a fifth of the read).
	var held bool
	var n int64
	err = c.QueryRowContext(ctx, `SELECT (SELECT count(*) > 0 FROM pre_days WHERE day = `+sqlDay(day)+`),
		(SELECT count(*) FROM pre_cells WHERE day = `+sqlDay(day)+` AND n > 0)`).Scan(&held, &n)
	if err != nil || !held {
		return nil, false, wrap("cells", err)
	}
	// The names by number; 0 is NULL, published as "".
	names := []string{""}
	known := []bool{true}
	rows, err := c.QueryContext(ctx, `SELECT id, name FROM pre_names`)
	if err != nil {
		return nil, false, wrap("cells", err)
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return nil, false, wrap("cells", err)
		}
		if id <= 0 || id >= maxNameID {
			rows.Close()
			return nil, false, errors.New("duckstore: cells: a name's number is out of range")
		}
		for int(id) >= len(names) {
			names, known = append(names, ""), append(known, false)
		}
		names[id], known[id] = name, true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, wrap("cells", err)
	}
	out := &stats.Cells{Commune: make([]string, 0, n), AgeGroup: make([]int8, 0, n), Sex: make([]string, 0, n), N: make([]int64, 0, n)}
	err = c.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("the driver cannot query")
		}
		rs, err := q.QueryContext(ctx, `SELECT `+cellKey+`, n FROM pre_cells WHERE day = `+sqlDay(day)+` AND n > 0`, nil)
		if err != nil {
			return err
		}
		defer rs.Close()
		dest := make([]driver.Value, 2)
		for {
			if err := rs.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			key, ok1 := dest[0].(int64)
			cnt, ok2 := dest[1].(int64)
			commune, sex, age := key>>32, key>>8&(maxNameID-1), key&0xff
			if !ok1 || !ok2 || commune >= int64(len(names)) || sex >= int64(len(names)) || !known[commune] || !known[sex] || age > 20 {
				return errors.New("a cell names no known commune, sex or age group")
			}
			out.Commune = append(out.Commune, names[commune])
			out.AgeGroup = append(out.AgeGroup, int8(age))
			out.Sex = append(out.Sex, names[sex])
			out.N = append(out.N, cnt)
		}
	})
	if err != nil {
		return nil, false, wrap("cells", err)
	}
	// Cells first seen after the day's count sit at the end until the next
	// compaction: they are put in order.
	if !sortedCells(out) {
		sortCellsGo(out)
	}
	return out, true, nil
}

// compareCell orders cells i and j of c as ORDER BY commune, age_group,
// sex NULLS FIRST does ("" being NULL, text by its bytes).
func compareCell(c *stats.Cells, i, j int) int {
	if r := strings.Compare(c.Commune[i], c.Commune[j]); r != 0 {
		return r
	}
	if r := cmp.Compare(c.AgeGroup[i], c.AgeGroup[j]); r != 0 {
		return r
	}
	return strings.Compare(c.Sex[i], c.Sex[j])
}

func sortedCells(c *stats.Cells) bool {
	for i := 1; i < len(c.N); i++ {
		if compareCell(c, i-1, i) > 0 {
			return false
		}
	}
	return true
}

// sortCellsGo sorts c's columns together.
func sortCellsGo(c *stats.Cells) {
	order := make([]int, len(c.N))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareCell(c, a, b) })
	s := stats.Cells{Commune: make([]string, len(order)), AgeGroup: make([]int8, len(order)), Sex: make([]string, len(order)),
		N: make([]int64, len(order))}
	for k, i := range order {
		s.Commune[k], s.AgeGroup[k], s.Sex[k], s.N[k] = c.Commune[i], c.AgeGroup[i], c.Sex[i], c.N[i]
	}
	*c = s
}

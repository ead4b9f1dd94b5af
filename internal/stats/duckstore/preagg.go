package duckstore

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Pre-aggregates: counts of living people as of a few days, kept exact by
// every write, so that an indicator as of one of those days reads a few
// hundred thousand rows instead of every person.
//
// An exact age on an arbitrary day needs each person's birth day, and a
// table of counts by commune, sex and birth day is about as large as the
// people table; but as of one given day each person has one age, so counts
// by commune × sex × age as of that day are small (3,321 communes × 2 sexes
// × 37 age classes, about 250,000 cells). Each held day costs one such
// table, kept in step by the feed (a changed person is subtracted as they
// were and added as they are), by the side tables' refresh and by a
// rebuild, and built once when the day is first asked for.
//
// pre_people counts, by day, province, commune, sex and age class, the
// living people (n) and those of them with a chip card (chip), an eID
// account (eid), one at level 1 (eid1) and one at level 2 (eid2) on that
// day. The age class is the age in years under 20 (the school cohorts and
// the 14-and-over count need single years) and the first year of its
// 5-year group from 20 (100 for 100 and over), so that age // 5 is the
// pyramid's group for every class. birth_year is set for ages 0 to 6 only:
// grade-1 entrants count children by birth year, all of them that young.
//
// pre_links counts, by day, province, commune, sex, 5-year age group and
// linked dataset, the living people (people) and those the dataset holds
// a record about (linked).
//
// Rows are added, not merged: a delta is new rows whose counts may be
// negative, and every reader sums, so a key may appear several times until
// compactPre folds the table.
var preSchema = []string{
	`CREATE TABLE IF NOT EXISTS pre_days (day DATE NOT NULL, dnum INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS pre_people (day DATE NOT NULL, province VARCHAR, commune VARCHAR, sex VARCHAR,
		age SMALLINT NOT NULL, birth_year INTEGER, n BIGINT NOT NULL, chip BIGINT NOT NULL, eid BIGINT NOT NULL,
		eid1 BIGINT NOT NULL, eid2 BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS pre_links (day DATE NOT NULL, province VARCHAR, commune VARCHAR, sex VARCHAR,
		age_group SMALLINT NOT NULL, dataset VARCHAR NOT NULL, people BIGINT NOT NULL, linked BIGINT NOT NULL)`,
}

// The finest population table (commune × age group × sex, some 136,000
// cells) costs more to group, sort and move row by row than its 100 ms
// budget, whatever it is grouped from. So the store keeps it folded, one
// row per cell, in its published order, with its two text columns as
// numbers: pre_cells counts, by day, commune, 5-year age group and sex,
// the living people (n); pre_names numbers the commune and sex values
// (0 is NULL). Unlike pre_people it is updated in place, not appended to,
// so that a read needs no grouping; a cell first seen after the day's
// count is added at the end, out of order, until the next compaction
// rewrites the table in order (a reader checks the order and sorts if it
// must). Reading it moves two numbers per cell through the driver instead
// of two strings and two numbers.
var cellsSchema = []string{
	`CREATE TABLE IF NOT EXISTS pre_names (id INTEGER NOT NULL, name VARCHAR NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS pre_cells (day DATE NOT NULL, commune INTEGER NOT NULL, age_group SMALLINT NOT NULL,
		sex INTEGER NOT NULL, n BIGINT NOT NULL)`,
}

// addCells returns the steps that add the counts of src (a relation with
// the columns day, commune, sex, age (pre_people's age class) and n) to
// pre_cells: new names are numbered, existing cells updated, new ones
// appended in order.
func addCells(src string) []string {
	return []string{
		`INSERT INTO pre_names SELECT (SELECT coalesce(max(id), 0) FROM pre_names) + row_number() OVER (ORDER BY name), name
			FROM (SELECT commune AS name FROM ` + src + ` UNION SELECT sex FROM ` + src + `)
			WHERE name IS NOT NULL AND name NOT IN (SELECT name FROM pre_names)`,
		`CREATE OR REPLACE TEMP TABLE pre_cells_add AS
			SELECT s.day, coalesce(c.id, 0) AS commune, least(s.age // 5, 20)::SMALLINT AS age_group, coalesce(x.id, 0) AS sex,
				sum(s.n)::BIGINT AS n, s.commune AS cname, s.sex AS sname
			FROM ` + src + ` s LEFT JOIN pre_names c ON c.name = s.commune LEFT JOIN pre_names x ON x.name = s.sex GROUP BY ALL`,
		`UPDATE pre_cells p SET n = p.n + a.n FROM pre_cells_add a
			WHERE p.day = a.day AND p.commune = a.commune AND p.age_group = a.age_group AND p.sex = a.sex`,
		`INSERT INTO pre_cells SELECT a.day, a.commune, a.age_group, a.sex, a.n FROM pre_cells_add a
			WHERE NOT EXISTS (SELECT 1 FROM pre_cells p
				WHERE p.day = a.day AND p.commune = a.commune AND p.age_group = a.age_group AND p.sex = a.sex)
			ORDER BY a.day, a.cname NULLS FIRST, a.age_group, a.sname NULLS FIRST`,
		`DROP TABLE pre_cells_add`,
	}
}

// sortCells rewrites pre_cells in order, without its empty cells.
var sortCells = []string{
	`CREATE OR REPLACE TABLE pre_cells AS SELECT p.* FROM pre_cells p
		LEFT JOIN pre_names c ON c.id = p.commune LEFT JOIN pre_names x ON x.id = p.sex
		WHERE p.n <> 0 ORDER BY p.day, c.name NULLS FIRST, p.age_group, x.name NULLS FIRST`,
}

// fillCells fills pre_cells from pre_people, for a store written before
// it existed.
var fillCells = append([]string{`DELETE FROM pre_cells`}, addCells("pre_people")...)

// preCount returns the steps that add to the pre-aggregates the counts of
// src (a relation with a column sign, +1 or −1, and the people table's
// columns) as of each day of days (a relation of day and dnum). One pass
// over src counts by every key of both tables and the people's dataset
// mask (pre_count, a few rows per key); both tables are then summed from
// that, with the datasets numbered as link_datasets numbers them now (the
// bits of people.links).
func preCount(src, days string) []string {
	return append([]string{
		`CREATE OR REPLACE TEMP TABLE pre_count AS
			SELECT day, province, commune, sex, (CASE WHEN a < 20 THEN a ELSE least(a // 5 * 5, 100) END)::SMALLINT AS age,
				CASE WHEN a <= 6 THEN birth_year END AS birth_year, links,
				sum(sign)::BIGINT AS n,
				coalesce(sum(sign) FILTER (WHERE chip_since <= day), 0)::BIGINT AS chip,
				coalesce(sum(sign) FILTER (WHERE eid_since <= day), 0)::BIGINT AS eid,
				coalesce(sum(sign) FILTER (WHERE eid_since <= day AND (eid2_since IS NULL OR eid2_since > day)), 0)::BIGINT AS eid1,
				coalesce(sum(sign) FILTER (WHERE eid2_since <= day), 0)::BIGINT AS eid2
			FROM (SELECT d.day, age_at(r.bdate, d.dnum) AS a, r.sign, r.province, r.commune, r.sex, r.birth_year, r.links,
					r.chip_since, r.eid_since, r.eid2_since
				FROM ` + src + ` r, ` + days + ` d WHERE living_at(r.born, r.until, d.day))
			GROUP BY ALL`,
		`INSERT INTO pre_people SELECT day, province, commune, sex, age, birth_year, sum(n)::BIGINT, sum(chip)::BIGINT,
			sum(eid)::BIGINT, sum(eid1)::BIGINT, sum(eid2)::BIGINT FROM pre_count GROUP BY ALL`,
		`INSERT INTO pre_links SELECT day, province, commune, sex, least(age // 5, 20)::SMALLINT, ds.dataset, sum(n)::BIGINT,
			coalesce(sum(n) FILTER (WHERE (links >> ds.idx) & 1 = 1), 0)::BIGINT
			FROM pre_count CROSS JOIN link_datasets ds GROUP BY ALL`,
	}, append(addCells("pre_count"), `DROP TABLE pre_count`)...)
}

// allPeople is the whole people table as a src of counts.
const allPeople = `(SELECT 1 AS sign, * FROM people)`

// preChange is the temporary table of signed people rows a write
// collects: the rows it replaces with sign −1, their successors with +1.
const preChange = `pre_change`

// startChange begins collecting a write's change: the people rows that
// the ids of ids (a relation with a column id) have now, counted out.
func startChange(ids string) string {
	return `CREATE OR REPLACE TEMP TABLE ` + preChange + ` AS SELECT -1 AS sign, p.* FROM people p WHERE p.id IN (SELECT id FROM ` + ids + `)`
}

// endChange adds the same people as they are after the write.
func endChange(ids string) string {
	return `INSERT INTO ` + preChange + ` SELECT 1, p.* FROM people p WHERE p.id IN (SELECT id FROM ` + ids + `)`
}

// applyChange adds the collected change to every held day's counts.
var applyChange = append(preCount(preChange, "pre_days"), `DROP TABLE `+preChange)

// recountPre recomputes every held day's counts from the people table.
var recountPre = append([]string{`DELETE FROM pre_people`, `DELETE FROM pre_links`, `DELETE FROM pre_cells`}, preCount(allPeople, "pre_days")...)

// recountLinks recomputes the held days' counts after the datasets were
// renumbered (the people's masks then mean other datasets): rare, so both
// tables are simply counted again.
var recountLinks = recountPre

// compactPre folds the added rows of both tables into one row per key,
// dropping keys whose counts came back to zero. (A count of people zero
// means every other count of the key is zero too: they count subsets.)
var compactPre = []string{
	`BEGIN TRANSACTION`,
	`CREATE OR REPLACE TABLE pre_people AS SELECT day, province, commune, sex, age, birth_year, sum(n)::BIGINT AS n,
		sum(chip)::BIGINT AS chip, sum(eid)::BIGINT AS eid, sum(eid1)::BIGINT AS eid1, sum(eid2)::BIGINT AS eid2
		FROM pre_people GROUP BY ALL HAVING sum(n) <> 0`,
	`CREATE OR REPLACE TABLE pre_links AS SELECT day, province, commune, sex, age_group, dataset,
		sum(people)::BIGINT AS people, sum(linked)::BIGINT AS linked FROM pre_links GROUP BY ALL HAVING sum(people) <> 0`,
	sortCells[0],
	`COMMIT`,
}

// preState is what the store remembers of its pre-aggregates.
type preState struct {
	// used holds the days held, with when each was last asked for (the
	// least recently asked is dropped first).
	used map[time.Time]time.Time
	// folded is the number of rows of pre_people after the last full count
	// or compaction; deltas are folded when they have doubled it.
	folded int64
	// counts is the number of days counted from the whole people table
	// (by Preaggregate), for tests that a write kept them in step instead.
	counts int
}

// loadPre reads the held days, at Open.
func (s *Store) loadPre(ctx context.Context) error {
	s.pre.used = map[time.Time]time.Time{}
	rows, err := s.w.QueryContext(ctx, `SELECT day FROM pre_days`)
	if err != nil {
		return err
	}
	defer rows.Close()
	now := time.Now()
	for rows.Next() {
		var d time.Time
		if err := rows.Scan(&d); err != nil {
			return err
		}
		s.pre.used[d.UTC()] = now
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return s.w.QueryRowContext(ctx, `SELECT count(*) FROM pre_people`).Scan(&s.pre.folded)
}

// holding reports whether any day is held, so that writes skip the
// pre-aggregates' work when none is. The caller holds s.mu.
func (s *Store) holding() bool {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	return len(s.pre.used) > 0
}

// Holds reports whether the store holds counts as of day.
func (s *Store) Holds(day time.Time) bool {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	s.pmu.Lock()
	defer s.pmu.Unlock()
	_, ok := s.pre.used[day]
	if ok {
		s.pre.used[day] = time.Now()
	}
	return ok
}

// Preaggregate makes the store hold counts as of day, keeping at most keep
// days, and reports whether it holds them (false when keep < 1).
func (s *Store) Preaggregate(ctx context.Context, day time.Time, keep int) (bool, error) {
	if keep < 1 {
		return false, nil
	}
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	s.pmu.Lock()
	_, ok := s.pre.used[day]
	if ok {
		s.pre.used[day] = time.Now()
	}
	s.pmu.Unlock()
	if ok {
		return true, nil
	}
	if s.writable("preaggregate") != nil {
		// Counting a new day writes; the query scans instead, which gives
		// the same table.
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pmu.Lock()
	_, ok = s.pre.used[day]
	var drop []time.Time
	if !ok {
		// The least recently asked days go first.
		held := make([]time.Time, 0, len(s.pre.used))
		for d := range s.pre.used {
			held = append(held, d)
		}
		sort.Slice(held, func(i, j int) bool { return s.pre.used[held[i]].Before(s.pre.used[held[j]]) })
		if n := len(held) - keep + 1; n > 0 {
			drop = held[:n]
		}
	}
	s.pmu.Unlock()
	if ok {
		return true, nil
	}
	lit := sqlDay(day)
	steps := []string{`BEGIN TRANSACTION`}
	for _, d := range drop {
		for _, t := range []string{"pre_days", "pre_people", "pre_links", "pre_cells"} {
			steps = append(steps, `DELETE FROM `+t+` WHERE day = `+sqlDay(d))
		}
	}
	one := fmt.Sprintf(`(SELECT %s AS day, %s AS dnum)`, lit, day.Format("20060102"))
	steps = append(append(append(steps, `INSERT INTO pre_days `+one), preCount(allPeople, one)...), `COMMIT`)
	if err := s.exec(ctx, "pre-aggregate "+day.Format(time.DateOnly), steps); err != nil {
		return false, err
	}
	s.pmu.Lock()
	for _, d := range drop {
		delete(s.pre.used, d)
	}
	s.pre.used[day] = time.Now()
	s.pre.counts++
	s.pmu.Unlock()
	return true, s.countFolded(ctx)
}

// countFolded records the size of pre_people after a full count.
func (s *Store) countFolded(ctx context.Context) error {
	return wrap("pre-aggregates", s.w.QueryRowContext(ctx, `SELECT count(*) FROM pre_people`).Scan(&s.pre.folded))
}

// maybeCompact folds the pre-aggregates when the deltas added since the
// last fold have doubled pre_people. The caller holds s.mu.
func (s *Store) maybeCompact(ctx context.Context) error {
	if !s.holding() {
		return nil
	}
	var n int64
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM pre_people`).Scan(&n); err != nil {
		return wrap("pre-aggregates", err)
	}
	if n < 2*s.pre.folded+10_000 {
		return nil
	}
	if err := s.exec(ctx, "pre-aggregates: compact", compactPre); err != nil {
		return err
	}
	return s.countFolded(ctx)
}

// sqlDay writes a day as a DATE literal.
func sqlDay(d time.Time) string { return "DATE '" + d.Format(time.DateOnly) + "'" }

package duckstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/stats"
	"github.com/dancu/dancu/internal/units"
)

// finestStore is a store holding one day of pre-aggregated counts for every
// commune × sex × age class, as a country's are (some 250,000 rows),
// written straight into pre_people: the finest tables' cost is their
// cells, not the people behind them.
func finestStore(b *testing.B, day time.Time) *Store {
	ctx := context.Background()
	s, err := Open(ctx, "", Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	var values []string
	for _, c := range units.AllCommunes(time.Now()) {
		values = append(values, fmt.Sprintf("('%s','%s')", c.ProvinceCode, c.Code))
	}
	steps := []string{
		`CREATE TEMP TABLE bench_communes (province VARCHAR, commune VARCHAR)`,
		`INSERT INTO bench_communes VALUES ` + joinComma(values),
		`INSERT INTO pre_days VALUES (` + sqlDay(day) + `, ` + day.Format("20060102") + `)`,
		// Ages 0–19 single years, then 5-year groups to 100; counts that
		// leave some cells small, as rural communes' oldest are.
		`INSERT INTO pre_people SELECT ` + sqlDay(day) + `, c.province, c.commune, s.sex, a.age::SMALLINT,
			CASE WHEN a.age <= 6 THEN ` + fmt.Sprint(day.Year()) + ` - a.age END,
			n, n // 2, n // 3, n // 5, n // 7
			FROM bench_communes c, (VALUES ('female'), ('male')) s(sex),
				(SELECT * FROM range(0, 20) UNION ALL SELECT * FROM range(20, 101, 5)) a(age),
				LATERAL (SELECT (hash(c.commune, s.sex, a.age) % (CASE WHEN a.age >= 80 THEN 12 ELSE 150 END))::BIGINT AS n)`,
	}
	if err := s.exec(ctx, "bench: finest", append(steps, fillCells...)); err != nil {
		b.Fatal(err)
	}
	s.pre.used[day] = time.Now()
	return s
}

func joinComma(v []string) string {
	out := ""
	for i, x := range v {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// BenchmarkFinestTable times the finest tables, from held counts, uncached.
func BenchmarkFinestTable(b *testing.B) {
	svc := stats.NewService(nil, 10, 0)
	day := svc.Today()
	s := finestStore(b, day)
	svc = stats.NewService(s, 10, 0)
	ctx := context.Background()
	for _, q := range []stats.Query{
		{Indicator: "population", By: []string{"commune", "age_group", "sex"}, Exact: true},
		{Indicator: "population", By: []string{"commune", "age_group", "sex"}},
		{Indicator: "school_age", By: []string{"commune", "cohort"}},
	} {
		b.Run(fmt.Sprintf("%s/by=%v/exact=%v", q.Indicator, q.By, q.Exact), func(b *testing.B) {
			var rows int
			medians(b, func() {
				s.version.Add(1) // computed each time, not cached
				res, err := svc.Query(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(res.Rows)
			}).report(b)
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

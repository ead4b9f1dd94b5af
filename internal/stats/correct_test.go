package stats_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/stats"
	"github.com/dancu/dancu/internal/stats/duckstore"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/synth"
)

// fixture is a generated registry in SQLite with its analytics store.
type fixture struct {
	st   *sqlite.Store
	raw  *sql.DB // the same SQLite file, read with plain SQL
	an   *duckstore.Store
	ps   *stats.Pseudonymizer
	svc  *stats.Service // reads the pre-aggregated counts
	scan *stats.Service // scans the people for every query
	feed *stats.Feeder
	reg  *registry.Registry
}

func newFixture(t testing.TB, citizens int) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "dancu.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := synth.Generate(ctx, st, synth.Options{Citizens: citizens, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	// The access log has a file of its own; attached to the pool's one
	// connection, its tables answer to their plain names.
	raw.SetMaxOpenConns(1)
	if _, err := raw.ExecContext(ctx, "ATTACH DATABASE ? AS access", "file:"+sqlite.AccessLogPath(path)+"?mode=ro"); err != nil {
		t.Fatal(err)
	}
	an, err := duckstore.Open(ctx, filepath.Join(dir, "stats.duckdb"), duckstore.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { an.Close() })
	ps, err := stats.NewPseudonymizer([]byte("0123456789abcdef-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, raw: raw, an: an, ps: ps, svc: stats.NewService(an, 10, 0), scan: stats.NewService(an, 10, 0), reg: registry.New(st)}
	f.scan.SetPreaggregatedDays(0)
	f.feed = stats.NewFeeder(st, an, ps, stats.FeederOptions{})
	return f
}

func (f *fixture) rebuild(t testing.TB) {
	t.Helper()
	if _, err := stats.Rebuild(context.Background(), f.st, f.an, f.ps, nil); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) drain(t testing.TB) {
	t.Helper()
	for {
		n, err := f.feed.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.feed.StepTraffic(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n+m == 0 {
			return
		}
	}
}

// The independent computation: plain SQL on the registry's SQLite tables,
// reading dates and documents from the stored JSON.
const peopleCTE = `WITH pp AS (
	SELECT p.sex, p.province, p.commune, p.state,
		CASE length(p.birth_date) WHEN 10 THEN p.birth_date
			WHEN 7 THEN date(p.birth_date || '-01', '+1 month', '-1 day')
			WHEN 4 THEN p.birth_date || '-12-31' END AS born,
		json_extract(v.data, '$.status.date') AS sd,
		(SELECT min(json_extract(d.value, '$.issue_date')) FROM json_each(v.data, '$.documents') d
			WHERE json_extract(d.value, '$.chip')) AS chip,
		p.pin
	FROM persons p JOIN person_versions v ON v.vid = p.cur),
q AS (SELECT *, CASE length(sd) WHEN 10 THEN sd WHEN 7 THEN sd || '-01' WHEN 4 THEN sd || '-01-01' END AS left_on FROM pp),
l AS (SELECT *, CAST(substr(:d, 1, 4) AS INTEGER) - CAST(substr(born, 1, 4) AS INTEGER)
		- (substr(:d, 6, 5) < substr(born, 6, 5)) AS age
	FROM q WHERE born <= :d AND (state = 'alive' OR (left_on IS NOT NULL AND left_on > :d)))
`

const ageGroup = `CASE WHEN age >= 100 THEN '100+' ELSE printf('%02d-%02d', age / 5 * 5, age / 5 * 5 + 4) END`

// oracle returns the registry's answer for an indicator as "dims|measure" → count.
func (f *fixture) oracle(t testing.TB, indicator string, asof, from time.Time) map[string]int64 {
	t.Helper()
	d := asof.Format(time.DateOnly)
	intake := asof.Year()
	if asof.Month() > 9 || asof.Month() == 9 && asof.Day() > 5 {
		intake++
	}
	var q string
	switch indicator {
	case "population":
		q = peopleCTE + `SELECT commune || '|' || sex || '|' || ` + ageGroup + ` || '|people', count(*) FROM l GROUP BY 1`
	case "school_age":
		q = peopleCTE + `SELECT commune || '|' || sex || '|' || CASE WHEN age <= 5 THEN 'preschool' WHEN age <= 10 THEN 'primary'
			WHEN age <= 14 THEN 'lower_secondary' ELSE 'upper_secondary' END || '|children', count(*) FROM l
			WHERE age BETWEEN 3 AND 17 GROUP BY 1`
	case "grade1_entrants":
		q = peopleCTE + fmt.Sprintf(`SELECT commune || '|' || sex || '|' || (CAST(substr(born, 1, 4) AS INTEGER) + 6) || '|children', count(*) FROM l
			WHERE CAST(substr(born, 1, 4) AS INTEGER) BETWEEN %d AND %d GROUP BY 1`, intake-6, intake-1)
	case "chip_cards":
		q = peopleCTE + `SELECT k, sum(n) FROM (
			SELECT commune || '|' || sex || '|' || ` + ageGroup + ` || '|people_14_plus' k, 1 n FROM l WHERE age >= 14
			UNION ALL SELECT commune || '|' || sex || '|' || ` + ageGroup + ` || '|with_chip_card', 1 FROM l WHERE age >= 14 AND chip <= :d)
			GROUP BY k`
	case "dataset_coverage":
		q = peopleCTE + `, ds AS (SELECT DISTINCT dataset FROM dataset_records)
			SELECT k, sum(n) FROM (
			SELECT ds.dataset || '|' || commune || '|' || sex || '|people' k, 1 n FROM l, ds
			UNION ALL SELECT ds.dataset || '|' || commune || '|' || sex || '|linked', 1 FROM l, ds
				WHERE EXISTS (SELECT 1 FROM dataset_records r WHERE r.dataset = ds.dataset AND r.pin = l.pin))
			GROUP BY k`
	case "eid_accounts":
		q = peopleCTE + `, a AS (SELECT pin, date(created_at / 1000000000, 'unixepoch', '+7 hours') AS since, data
				FROM eid_accounts WHERE kind = 'citizen' AND pin <> '' AND NOT coalesce(json_extract(data, '$.disabled'), 0)),
			e AS (SELECT pin, since, CASE WHEN json_extract(data, '$.level') >= 2 THEN max(since, coalesce(
				CASE WHEN json_extract(data, '$.level_check.purpose') = 'level2'
					THEN date(json_extract(data, '$.level_check.at'), '+7 hours') END, since)) END AS l2 FROM a),
			k AS (SELECT commune || '|' || sex || '|' || ` + ageGroup + ` AS k, e.since, e.l2 FROM l LEFT JOIN e USING (pin) WHERE age >= 14)
			SELECT k || '|people_14_plus', count(*) FROM k GROUP BY 1
			UNION ALL SELECT k || '|accounts', count(*) FROM k WHERE since <= :d GROUP BY 1
			UNION ALL SELECT k || '|level_1', count(*) FROM k WHERE since <= :d AND (l2 IS NULL OR l2 > :d) GROUP BY 1
			UNION ALL SELECT k || '|level_2', count(*) FROM k WHERE l2 <= :d GROUP BY 1`
	case "agencies":
		q = `SELECT json_extract(data, '$.kind') || '|agencies', count(*) FROM directory
			WHERE kind = 'agency' AND json_extract(data, '$.status') = 'active'
				AND date(json_extract(data, '$.created_at'), '+7 hours') <= :d GROUP BY 1`
	case "agency_traffic":
		q = fmt.Sprintf(`WITH e AS (SELECT json_extract(substr(CAST(data AS TEXT), 17), '$.agency') AS agency,
				json_extract(substr(CAST(data AS TEXT), 17), '$.action') AS action,
				date(json_extract(substr(CAST(data AS TEXT), 17), '$.time'), '+7 hours') AS day
				FROM access_log WHERE idx < (SELECT size FROM access_log_state))
			SELECT coalesce(json_extract(d.data, '$.kind'), 'other') || '|' || e.agency || '|' || substr(e.day, 1, 7) || '|' || e.action || '|accesses',
				count(*) FROM e LEFT JOIN directory d ON d.kind = 'agency' AND d.id = e.agency
			WHERE e.agency <> '' AND e.day > '%s' AND e.day <= :d GROUP BY 1`, from.Format(time.DateOnly))
	case "life_events":
		q = fmt.Sprintf(`WITH v AS (
			SELECT CASE event_type WHEN 'birth_registration' THEN 'birth' WHEN 'death' THEN 'death' ELSE 'move' END AS kind,
				valid_from AS day, commune, sex
			FROM person_versions
			WHERE (event_type = 'birth_registration' AND version = 1) OR (event_type = 'death' AND state = 'dead')
				OR event_type = 'permanent_residence_registration')
			SELECT kind || '|' || substr(day, 1, 7) || '|' || commune || '|' || sex || '|events', count(*) FROM v
			WHERE day > '%s' AND day <= :d GROUP BY 1`, from.Format(time.DateOnly))
	default:
		t.Fatalf("no oracle for %s", indicator)
	}
	rows, err := f.raw.Query(q, sql.Named("d", d))
	if err != nil {
		t.Fatalf("%s oracle: %v", indicator, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// byFor is the finest grouping of each indicator that the oracle computes.
var byFor = map[string][]string{
	"population":       {"commune", "sex", "age_group"},
	"school_age":       {"commune", "sex", "cohort"},
	"grade1_entrants":  {"commune", "sex", "entry_year"},
	"chip_cards":       {"commune", "sex", "age_group"},
	"dataset_coverage": {"dataset", "commune", "sex"},
	"life_events":      {"event", "month", "commune", "sex"},
	"eid_accounts":     {"commune", "sex", "age_group"},
	"agencies":         {"agency_kind"},
	"agency_traffic":   {"agency_kind", "agency", "month", "action"},
}

func (f *fixture) analytics(t testing.TB, svc *stats.Service, indicator string, asof, from time.Time) map[string]int64 {
	t.Helper()
	res, err := svc.Query(context.Background(), stats.Query{Indicator: indicator, By: byFor[indicator], AsOf: asof, From: from, Exact: true})
	if err != nil {
		t.Fatalf("%s: %v", indicator, err)
	}
	out := map[string]int64{}
	for _, r := range res.Rows {
		for m, c := range r.Counts {
			if *c != 0 {
				out[strings.Join(r.Dims, "|")+"|"+res.Measures[m]] = *c
			}
		}
	}
	return out
}

func (f *fixture) compare(t *testing.T, stage string, asof time.Time) {
	t.Helper()
	from := asof.AddDate(-1, 0, 0)
	if len(stats.Indicators()) < len(byFor) {
		t.Fatalf("%d indicators registered, want at least %d", len(stats.Indicators()), len(byFor))
	}
	for _, ind := range stats.Indicators() {
		if _, ok := byFor[ind.Name]; !ok {
			t.Errorf("%s: no independent check of indicator %s", stage, ind.Name)
			continue
		}
		var fr time.Time
		if ind.Series {
			fr = from
		}
		want := f.oracle(t, ind.Name, asof, from)
		var total int64
		for _, v := range want {
			total += v
		}
		if total == 0 && ind.Name != "dataset_coverage" {
			t.Errorf("%s: %s: the registry gives nothing; the check checks nothing", stage, ind.Name)
		}
		// Both ways of answering: the pre-aggregated counts (held for the
		// day since its first query, then kept in step by the feed, the
		// refresh and the rebuild) and the scan of the people.
		for _, way := range []struct {
			name string
			svc  *stats.Service
		}{{"pre-aggregated", f.svc}, {"scanned", f.scan}} {
			got := f.analytics(t, way.svc, ind.Name, asof, fr)
			if diff := diffCounts(got, want); diff != "" {
				t.Errorf("%s: %s as of %s, %s, differs from the registry:\n%s", stage, ind.Name, asof.Format(time.DateOnly), way.name, diff)
			}
		}
	}
}

func diffCounts(got, want map[string]int64) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	n := 0
	for _, k := range keys {
		if got[k] != want[k] {
			if n < 10 {
				fmt.Fprintf(&b, "  %s: analytics %d, registry %d\n", k, got[k], want[k])
			}
			n++
		}
	}
	if n > 10 {
		fmt.Fprintf(&b, "  ... and %d more\n", n-10)
	}
	return b.String()
}

// stream submits moves, chip cards, births and deaths through the registry,
// as officers would; each writes outbox messages.
func (f *fixture) stream(t testing.TB, n int) int {
	t.Helper()
	ctx := context.Background()
	rows, err := f.st.SearchPersons(ctx, store.PersonQuery{State: "alive", Limit: 12 * n})
	if err != nil {
		t.Fatal(err)
	}
	today := f.reg.Today().String()
	ok := 0
	byType := map[string]int{}
	submit := func(ev registry.Event) {
		if _, err := f.reg.Submit(ctx, registry.Submission{Event: ev, Actor: "test"}); err == nil {
			ok++
			byType[ev.Type]++
		}
	}
	defer func() {
		for _, typ := range []string{"permanent_residence_registration", "id_card_issued", "birth_registration", "death"} {
			if byType[typ] == 0 {
				t.Errorf("no %s was applied", typ)
			}
		}
	}()
	for i, r := range rows {
		if ok >= 2*n {
			break
		}
		if strings.Contains(string(r.Data), `"relationship_to_head":"head"`) {
			continue // moving or burying a head needs a new head named
		}
		ev := registry.Event{Subject: r.PIN, EffectiveDate: registry.MustParseDate(today), Reason: "correctness test"}
		switch i % 4 {
		case 0:
			ev.Type, ev.Data = "permanent_residence_registration", []byte(`{"province":"01","commune":"00004","address":"1 Tràng Tiền"}`)
		case 1:
			ev.Type = "id_card_issued"
		case 2:
			if r.Sex != "female" || r.BirthYear < 1975 || r.BirthYear > 2005 {
				continue
			}
			ev.Subject, ev.Type = "", "birth_registration"
			ev.Data = []byte(fmt.Sprintf(`{"full_name":"Nguyễn Thị Test","birth_date":%q,"sex":"female","ethnicity":"01",
				"registration_place":{"province":%q,"commune":%q},"mother_pin":%q}`, today, r.Province, r.Commune, r.PIN))
		case 3:
			ev.Type = "death"
		}
		submit(ev)
	}
	return ok
}

func TestAnalytics_MatchesRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a population")
	}
	f := newFixture(t, 3000)
	ctx := context.Background()
	// Links of a linked dataset, written as an agency would.
	people, _ := f.st.SearchPersons(ctx, store.PersonQuery{Limit: 500})
	var recs []store.DatasetRecord
	for i, p := range people {
		recs = append(recs, store.DatasetRecord{Dataset: []string{"social-insurance", "passport"}[i%2], Key: fmt.Sprint("k", i),
			PIN: p.PIN, Source: "test", Hash: []byte{byte(i)}, Data: []byte(`{}`)})
	}
	if _, err := f.st.UpsertDatasetRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	f.eidAccounts(t, 0, 120)
	f.connectAgencies(t)
	f.traffic(t, 400)
	today := f.svc.Today()
	past := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

	f.rebuild(t)
	f.compare(t, "after generate and rebuild", today)
	f.compare(t, "after generate and rebuild, in the past", past)

	if n := f.stream(t, 40); n < 60 {
		t.Fatalf("only %d events applied", n)
	}
	// New accounts, raised levels and more traffic reach the analytics
	// store with the feed's refresh and its access-log steps.
	f.eidAccounts(t, 1, 40)
	if f.raiseLevels(t) == 0 {
		t.Fatal("no account was raised to level 2")
	}
	f.traffic(t, 150)
	if err := f.feed.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	f.compare(t, "after a stream of events", today)
	f.compare(t, "after a stream of events, in the past", past)

	// A dataset whose name sorts first renumbers the others: every
	// person's mask then means other datasets, and the held days' link
	// counts are recounted.
	people, _ = f.st.SearchPersons(ctx, store.PersonQuery{Limit: 900})
	recs = recs[:0]
	for i, p := range people[300:] {
		recs = append(recs, store.DatasetRecord{Dataset: "health-insurance", Key: fmt.Sprint("h", i),
			PIN: p.PIN, Source: "test", Hash: []byte{byte(i)}, Data: []byte(`{}`)})
	}
	if _, err := f.st.UpsertDatasetRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := f.feed.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	f.compare(t, "after a dataset was added", today)

	// A replayed batch changes nothing: move the cursor back and feed again.
	cur, _ := f.an.Cursor(ctx)
	rows, _ := f.st.Outbox(ctx, 0, 1<<20)
	replay := stats.Batch{Cursor: cur}
	for _, r := range rows {
		p, ev, err := f.ps.FromOutbox(r.PIN, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		replay.People = append(replay.People, p)
		if ev != nil {
			replay.Events = append(replay.Events, *ev)
		}
	}
	if err := f.an.Apply(ctx, replay); err != nil {
		t.Fatal(err)
	}
	f.compare(t, "after replaying the whole outbox", today)

	f.rebuild(t)
	f.compare(t, "after a rebuild", today)
	f.drain(t)
	f.compare(t, "after a rebuild and the feed", today)
}

package stats

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/exchange"
)

// Indicator is one statistic the API, the dashboard and the open-data
// export publish. Its SQL fragments run on the analytics store's tables
// (see Store); in them, {asof} stands for the as-of date and {from} for the
// start of a time series, both as DATE literals written by this package.
// A new indicator is a value added with Register: the eID, health and
// services areas add theirs in a few lines (a SourceTable for their
// per-person rows, and an Indicator counting over it joined to people).
type Indicator struct {
	Name  string
	Title string
	Doc   string
	// From is the FROM clause. People-like rows are under alias p, with
	// the columns sex, bdate (yyyymmdd), province, commune, so that
	// the standard dimensions apply.
	From string
	// Where are conditions, joined with AND.
	Where []string
	// Dims are the dimensions a query may group or filter by: standard
	// ones (DimProvince...) or the indicator's own.
	Dims []Dim
	// Measures are the counts (protected by disclosure control) and
	// Ratios the rates computed from two of them after protection.
	Measures []Measure
	Ratios   []Ratio
	// Series marks an indicator over a period (from, as_of].
	Series bool
	// Pre, if not nil, answers the indicator from the pre-aggregated
	// counts when the store holds them for the as-of date.
	Pre *Pre
}

// Pre is how an indicator reads the analytics store's pre-aggregated
// counts (Store.Preaggregate): the same table its scan of From gives, from
// rows already counted by day, about 40 times fewer than people. Its
// fragments take the same placeholders as the indicator's.
type Pre struct {
	// From is the FROM clause, the pre-aggregate under alias p.
	From string
	// Where are conditions, joined with AND; one selects the as-of day.
	Where []string
	// Dims maps every dimension of the indicator to its expression here.
	Dims map[string]string
	// Measures are sums, in the order of the indicator's Measures. The
	// first counts the rows the scan counts with count(*): a group is a
	// row of the table when it is positive, as the scan's groups are
	// those with a row.
	Measures []string
	// Cells says that a CellStore's PopulationCells are this indicator's
	// table by commune, age group and sex (its only measure).
	Cells bool
}

// Dim is a dimension: a name, the SQL expression of a row's value, and the
// values it can take (for validating filters), or nil to take them from
// the data.
type Dim struct {
	Name   string
	Expr   string
	Values func(q *Query) []string
	// KnownIn, when Values is nil, names a table and column of the
	// analytics store holding the values a filter may take.
	KnownIn [2]string
	// Label turns the SQL value into the published one; nil: as text.
	Label func(v any) string
}

// Measure is a count.
type Measure struct {
	Name string
	Expr string // an aggregate, such as count(*)
}

// Ratio is Num/Den, published when both counts are.
type Ratio struct{ Name, Num, Den string }

// The standard dimensions' names.
const (
	DimProvince = "province"
	DimCommune  = "commune"
	DimSex      = "sex"
	DimAgeGroup = "age_group"
)

// AgeGroups are the labels of the 5-year age groups of the pyramid.
var AgeGroups = func() []string {
	var g []string
	for a := 0; a < 100; a += 5 {
		g = append(g, fmt.Sprintf("%02d-%02d", a, a+4))
	}
	return append(g, "100+")
}()

func standardDims(ageAt string) []Dim {
	return []Dim{
		{Name: DimProvince, Expr: "p.province", Values: func(*Query) []string { return provinceCodes() }},
		{Name: DimCommune, Expr: "p.commune", Values: func(*Query) []string { return communeCodes() }},
		{Name: DimSex, Expr: "p.sex", Values: func(*Query) []string { return []string{"female", "male"} }},
		{Name: DimAgeGroup, Expr: "least(age_at(p.bdate, " + ageAt + ") // 5, 20)",
			Values: func(*Query) []string { return AgeGroups },
			Label: func(v any) string {
				if i, ok := asInt(v); ok && i >= 0 && int(i) < len(AgeGroups) {
					return AgeGroups[i]
				}
				return ""
			}},
	}
}

const living = "living_at(p.born, p.until, {asof})"
const ageAsOf = "age_at(p.bdate, {asofnum})"

// preDay selects the as-of day's pre-aggregated rows.
const preDay = "p.day = {asof}"

// prePeople is the pre-aggregate of living people (see Pre): its column
// age is the age in years under 20 and the first year of the 5-year group
// from 20, so that age // 5 is the pyramid's group.
const prePeople = "pre_people p"

// preDims are the standard dimensions' expressions on a pre-aggregate
// whose age_group is ageGroup, with extra dimensions added.
func preDims(ageGroup string, extra ...string) map[string]string {
	m := map[string]string{DimProvince: "p.province", DimCommune: "p.commune", DimSex: "p.sex", DimAgeGroup: ageGroup}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

const preAgeGroup = "least(p.age // 5, 20)"

// cohortOf is the school cohort of an age expression, NULL outside them.
func cohortOf(age string) string {
	e := "CASE"
	for _, c := range Cohorts {
		e += fmt.Sprintf(" WHEN %s <= %d THEN '%s'", age, c.Max, c.Name)
	}
	return e + " END"
}

// Cohorts are the school-age cohorts and their ages.
var Cohorts = []struct {
	Name     string
	Min, Max int
}{{"preschool", 3, 5}, {"primary", 6, 10}, {"lower_secondary", 11, 14}, {"upper_secondary", 15, 17}}

// firstIntake returns the year of the next school year's start (5
// September) on or after asof: its grade-1 entrants were born six years
// before.
func firstIntake(asof time.Time) int {
	if asof.Month() < 9 || asof.Month() == 9 && asof.Day() <= 5 {
		return asof.Year()
	}
	return asof.Year() + 1
}

var catalogue []*Indicator

// Register adds an indicator to the catalogue. It panics on a repeated
// name, or a Pre that does not give every dimension and measure: wiring
// defects.
func Register(ind *Indicator) {
	if Lookup(ind.Name) != nil {
		panic("stats: indicator " + ind.Name + " registered twice")
	}
	if p := ind.Pre; p != nil {
		for _, d := range ind.Dims {
			if p.Dims[d.Name] == "" {
				panic("stats: indicator " + ind.Name + ": no pre-aggregated expression for dimension " + d.Name)
			}
		}
		if len(p.Measures) != len(ind.Measures) || len(p.Dims) != len(ind.Dims) {
			panic("stats: indicator " + ind.Name + ": its Pre does not match its dimensions and measures")
		}
	}
	catalogue = append(catalogue, ind)
}

// Lookup returns the registered indicator with a name, or nil.
func Lookup(name string) *Indicator {
	for _, i := range catalogue {
		if i.Name == name {
			return i
		}
	}
	return nil
}

// Indicators lists the registered indicators in registration order.
func Indicators() []*Indicator { return slices.Clone(catalogue) }

func (ind *Indicator) dim(name string) *Dim {
	for i := range ind.Dims {
		if ind.Dims[i].Name == name {
			return &ind.Dims[i]
		}
	}
	return nil
}

// DimNames lists the dimensions a query of the indicator may use.
func (ind *Indicator) DimNames() []string {
	var out []string
	for _, d := range ind.Dims {
		out = append(out, d.Name)
	}
	return out
}

func init() {
	cohortExpr := cohortOf(ageAsOf)
	Register(&Indicator{
		Name: "population", Title: "Population (living people)",
		Doc:      "People alive on the as-of date, by the current permanent residence; grouped by age_group and sex it is the population pyramid.",
		From:     "people p",
		Where:    []string{living},
		Dims:     standardDims("{asofnum}"),
		Measures: []Measure{{"people", "count(*)"}},
		Pre: &Pre{From: prePeople, Where: []string{preDay}, Dims: preDims(preAgeGroup), Measures: []string{"sum(p.n)::BIGINT"},
			Cells: true},
	})
	Register(&Indicator{
		Name: "school_age", Title: "School-age cohorts",
		Doc:   "Living children by cohort: preschool (3–5), primary (6–10), lower secondary (11–14), upper secondary (15–17).",
		From:  "people p",
		Where: []string{living, ageAsOf + " BETWEEN 3 AND 17"},
		Dims: append(standardDims("{asofnum}"), Dim{Name: "cohort", Expr: cohortExpr, Values: func(*Query) []string {
			var v []string
			for _, c := range Cohorts {
				v = append(v, c.Name)
			}
			return v
		}}),
		Measures: []Measure{{"children", "count(*)"}},
		Pre: &Pre{From: prePeople, Where: []string{preDay, "p.age BETWEEN 3 AND 17"},
			Dims: preDims(preAgeGroup, "cohort", cohortOf("p.age")), Measures: []string{"sum(p.n)::BIGINT"}},
	})
	Register(&Indicator{
		Name: "grade1_entrants", Title: "Expected grade-1 entrants, next six school years",
		Doc: "Living children who will start grade 1 in each of the next six school years (born six years before the year the school year starts), " +
			"where they live now.",
		From:  "people p",
		Where: []string{living, "p.birth_year BETWEEN {intake} - 6 AND {intake} - 1"},
		Dims: []Dim{standardDims("{asofnum}")[0], standardDims("{asofnum}")[1], standardDims("{asofnum}")[2],
			{Name: "entry_year", Expr: "p.birth_year + 6", Values: func(q *Query) []string {
				var v []string
				for y := firstIntake(q.AsOf); y < firstIntake(q.AsOf)+6; y++ {
					v = append(v, strconv.Itoa(y))
				}
				return v
			}}},
		Measures: []Measure{{"children", "count(*)"}},
		// pre_people keeps the birth year of children aged 0 to 6, which
		// all of the next six intakes are.
		Pre: &Pre{From: prePeople, Where: []string{preDay, "p.birth_year BETWEEN {intake} - 6 AND {intake} - 1"},
			Dims:     map[string]string{DimProvince: "p.province", DimCommune: "p.commune", DimSex: "p.sex", "entry_year": "p.birth_year + 6"},
			Measures: []string{"sum(p.n)::BIGINT"}},
	})
	Register(&Indicator{
		Name: "chip_cards", Title: "Chip ID cards issued over people aged 14 and over",
		Doc:      "Living people aged 14 and over, and those of them holding a chip ID card issued on or before the as-of date.",
		From:     "people p",
		Where:    []string{living, ageAsOf + " >= 14"},
		Dims:     standardDims("{asofnum}"),
		Measures: []Measure{{"people_14_plus", "count(*)"}, {"with_chip_card", "count(*) FILTER (WHERE p.chip_since <= {asof})"}},
		Ratios:   []Ratio{{"chip_card_rate", "with_chip_card", "people_14_plus"}},
		Pre: &Pre{From: prePeople, Where: []string{preDay, "p.age >= 14"}, Dims: preDims(preAgeGroup),
			Measures: []string{"sum(p.n)::BIGINT", "sum(p.chip)::BIGINT"}},
	})
	Register(&Indicator{
		Name: "life_events", Title: "Births, deaths and moves per month",
		Doc: "Births registered, deaths and changes of permanent residence with an effective date after from and on or before as_of, " +
			"by month and where the person lived after the event; ages are at the event.",
		From:  "events p",
		Where: []string{"p.day > {from}", "p.day <= {asof}"},
		Dims: append(standardDims("(year(p.day) * 10000 + month(p.day) * 100 + day(p.day))"),
			Dim{Name: "event", Expr: "p.kind", Values: func(*Query) []string { return []string{EventBirth, EventDeath, EventMove} }},
			monthDim("p.day")),
		Measures: []Measure{{"events", "count(*)"}},
		Series:   true,
	})
	Register(&Indicator{
		Name: "dataset_coverage", Title: "Coverage of the linked datasets",
		Doc: "Living people, and those of them with at least one record in each linked dataset (social insurance, vehicles, passports, health insurance...).",
		// Each person's datasets are a bit mask in people.links, so that
		// no per-person join runs at query time.
		From:  "people p CROSS JOIN link_datasets ds",
		Where: []string{living},
		Dims: append(standardDims("{asofnum}"), Dim{Name: "dataset", Expr: "ds.dataset",
			Values: func(*Query) []string { return dataset.KindNames() }}),
		Measures: []Measure{{"people", "count(*)"}, {"linked", "count(*) FILTER (WHERE (p.links >> ds.idx) & 1 = 1)"}},
		Ratios:   []Ratio{{"coverage_rate", "linked", "people"}},
		Pre: &Pre{From: "pre_links p", Where: []string{preDay}, Dims: preDims("p.age_group", "dataset", "p.dataset"),
			Measures: []string{"sum(p.people)::BIGINT", "sum(p.linked)::BIGINT"}},
	})
	Register(&Indicator{
		Name: "eid_accounts", Title: "Electronic identification accounts by level, people aged 14 and over",
		Doc: "Living people aged 14 and over, and those of them with an electronic identification account opened on or before the as-of date, " +
			"by its level on that date (level 2 from the day of the police's in-person check). Accounts disabled now are not counted; " +
			"organisations' accounts are not people's and are not counted.",
		From:  "people p",
		Where: []string{living, ageAsOf + " >= 14"},
		Dims:  standardDims("{asofnum}"),
		Measures: []Measure{{"people_14_plus", "count(*)"}, {"accounts", "count(*) FILTER (WHERE p.eid_since <= {asof})"},
			{"level_1", "count(*) FILTER (WHERE p.eid_since <= {asof} AND (p.eid2_since IS NULL OR p.eid2_since > {asof}))"},
			{"level_2", "count(*) FILTER (WHERE p.eid2_since <= {asof})"}},
		Ratios: []Ratio{{"account_rate", "accounts", "people_14_plus"}, {"level_2_rate", "level_2", "people_14_plus"}},
		Pre: &Pre{From: prePeople, Where: []string{preDay, "p.age >= 14"}, Dims: preDims(preAgeGroup),
			Measures: []string{"sum(p.n)::BIGINT", "sum(p.eid)::BIGINT", "sum(p.eid1)::BIGINT", "sum(p.eid2)::BIGINT"}},
	})
	agencyKind := Dim{Name: "agency_kind", Expr: "a.kind", Values: func(*Query) []string { return exchange.AgencyKinds }}
	Register(&Indicator{
		Name: "agencies", Title: "Connected agencies by kind",
		Doc:      "Agencies connected on or before the as-of date and active now (ministries, provinces, police, banks, carriers, hospitals, insurers, courts...).",
		From:     "agencies a",
		Where:    []string{"a.since <= {asof}", "a.active"},
		Dims:     []Dim{agencyKind},
		Measures: []Measure{{"agencies", "count(*)"}},
	})
	Register(&Indicator{
		Name: "agency_traffic", Title: "Connected agencies' traffic in personal data",
		Doc: "Uses of people's data by connected agencies (lookups, verifications, feeds...) recorded in the access log, " +
			"with a day after from and on or before as_of, by agency, its kind, month and action. Officers' own uses are not agencies' traffic.",
		From:  "traffic t LEFT JOIN agencies a ON a.agency = t.agency",
		Where: []string{"t.day > {from}", "t.day <= {asof}"},
		Dims: []Dim{{Name: "agency_kind", Expr: "coalesce(a.kind, 'other')", Values: agencyKind.Values},
			{Name: "agency", Expr: "t.agency", KnownIn: [2]string{"agencies", "agency"}},
			monthDim("t.day"),
			{Name: "action", Expr: "t.action", KnownIn: [2]string{"traffic", "action"}}},
		Measures: []Measure{{"accesses", "coalesce(sum(t.n), 0)::BIGINT"}},
		Series:   true,
	})
}

// monthDim is the month of a series' day column.
func monthDim(day string) Dim {
	return Dim{Name: "month", Expr: "strftime(" + day + ", '%Y-%m')", Values: func(q *Query) []string {
		var v []string
		for m := q.From.AddDate(0, 0, 1); !m.After(q.AsOf); m = time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, time.UTC) {
			v = append(v, m.Format("2006-01"))
		}
		return v
	}}
}

// sqlDate writes a date as a DATE literal.
func sqlDate(t time.Time) string { return "DATE '" + t.Format("2006-01-02") + "'" }

// expand replaces the placeholders of an indicator's SQL.
func expand(s string, q *Query) string {
	return strings.NewReplacer("{asofnum}", q.AsOf.Format("20060102"), "{asof}", sqlDate(q.AsOf), "{from}", sqlDate(q.From),
		"{intake}", strconv.Itoa(firstIntake(q.AsOf))).Replace(s)
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint64:
		return int64(x), true
	case uint32:
		return int64(x), true
	case float64:
		return int64(x), true
	}
	return 0, false
}

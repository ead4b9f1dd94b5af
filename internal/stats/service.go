package stats

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/registry"
)

// Query asks for one indicator.
type Query struct {
	Indicator string
	// By are the dimensions to group by, in the order of the result's
	// columns; none gives the national total.
	By []string
	// Filters select one value of a dimension each.
	Filters map[string]string
	// AsOf is the date the statistic describes; zero means today (in Viet
	// Nam). From starts a time series (exclusive); zero means twelve
	// months before AsOf.
	AsOf, From time.Time
	// Exact asks for exact counts (the statistician's view). Otherwise
	// counts are protected by disclosure control.
	Exact bool
}

// Error is a query the service refuses: Status is 400 or 422, Field the
// parameter at fault, Reason what is wrong (no personal data).
type Error struct {
	Status int
	Field  string
	Reason string
}

func (e *Error) Error() string { return "stats: " + e.Field + ": " + e.Reason }

func invalid(status int, field, format string, args ...any) *Error {
	return &Error{Status: status, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Result is an indicator's table.
type Result struct {
	Indicator string
	Title     string
	AsOf      time.Time
	From      time.Time // zero unless the indicator is a series
	By        []string
	Filters   map[string]string
	// Protected says that disclosure control was applied, with Threshold.
	Protected bool
	Threshold int64
	Measures  []string
	Ratios    []string
	Rows      []Row
}

// Row is one cell of the table: the values of the By dimensions, then the
// counts (nil when suppressed) and the ratios (nil when not published).
type Row struct {
	Dims   []string
	Counts []*int64
	Ratios []*float64
}

// Service answers queries from the analytics store.
type Service struct {
	store Store
	// Threshold is the smallest count published unprotected; MinPublic the
	// smallest population a filtered public query may select.
	threshold, minPublic int64
	now                  func() time.Time
	// preDays is how many as-of days the store keeps pre-aggregated.
	preDays int
	// bg is the background counter while RunPreaggregation runs.
	bgMu sync.Mutex
	bg   *precounter
	// cache keeps recent results by query and store version (cache.go).
	cache *resultCache
}

// DefaultPreaggregatedDays is how many as-of days a Service has the store
// keep pre-aggregated: today and the three other days asked for last.
const DefaultPreaggregatedDays = 4

// DefaultThreshold is the default disclosure threshold.
const DefaultThreshold = 10

// NewService returns a service over st. threshold ≤ 0 means
// DefaultThreshold; minPublic ≤ 0 means ten times the threshold.
func NewService(st Store, threshold, minPublic int64) *Service {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	if minPublic <= 0 {
		minPublic = 10 * threshold
	}
	return &Service{store: st, threshold: threshold, minPublic: minPublic, now: time.Now, preDays: DefaultPreaggregatedDays,
		cache: newResultCache()}
}

// SetPreaggregatedDays sets how many as-of days the store keeps
// pre-aggregated; 0 answers every query by scanning the people (the
// benchmarks and tests compare the two).
func (s *Service) SetPreaggregatedDays(n int) { s.preDays = max(n, 0) }

// SetClock replaces the clock that decides what "today" is, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Store returns the analytics store.
func (s *Service) Store() Store { return s.store }

// Today returns today's date in Viet Nam, as a UTC midnight.
func (s *Service) Today() time.Time {
	t := s.now().In(registry.Vietnam)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// maxDims bounds the dimensions of one table.
const maxDims = 4

// Query computes one indicator. Results may be shared between callers
// (they are cached): a caller must not modify one.
func (s *Service) Query(ctx context.Context, q Query) (*Result, error) {
	ind := Lookup(q.Indicator)
	if ind == nil {
		var names []string
		for _, i := range catalogue {
			names = append(names, i.Name)
		}
		return nil, invalid(422, "indicator", "unknown indicator; the indicators are %s", strings.Join(names, ", "))
	}
	today := s.Today()
	if q.AsOf.IsZero() {
		q.AsOf = today
	}
	if q.AsOf.After(today) {
		return nil, invalid(422, "as_of", "must not be in the future (today is %s)", today.Format(time.DateOnly))
	}
	if ind.Series {
		if q.From.IsZero() {
			q.From = q.AsOf.AddDate(-1, 0, 0)
		}
		if !q.From.Before(q.AsOf) {
			return nil, invalid(422, "from", "must be before as_of")
		}
		if q.AsOf.Sub(q.From) > 10*366*24*time.Hour {
			return nil, invalid(422, "from", "a series covers at most ten years")
		}
	} else if !q.From.IsZero() {
		return nil, invalid(400, "from", "only time series (life_events) take from")
	}
	if len(q.By) > maxDims {
		return nil, invalid(400, "by", "at most %d dimensions", maxDims)
	}
	for i, b := range q.By {
		if ind.dim(b) == nil {
			return nil, invalid(400, "by", "unknown dimension %q for %s; its dimensions are %s", b, ind.Name, strings.Join(ind.DimNames(), ", "))
		}
		if slices.Contains(q.By[:i], b) {
			return nil, invalid(400, "by", "dimension %q repeated", b)
		}
	}
	filterDims := make([]string, 0, len(q.Filters))
	for k := range q.Filters {
		filterDims = append(filterDims, k)
	}
	sort.Strings(filterDims)
	for _, k := range filterDims {
		d := ind.dim(k)
		if d == nil {
			return nil, invalid(400, k, "unknown dimension for %s; its dimensions are %s", ind.Name, strings.Join(ind.DimNames(), ", "))
		}
		known, err := s.values(ctx, d, &q)
		if err != nil {
			return nil, err
		}
		if known != nil && !slices.Contains(known, q.Filters[k]) {
			return nil, invalid(422, k, "unknown value")
		}
	}
	// The table: the By dimensions, then the filtered ones that are not
	// among them, so that a filtered public table is a slice of one table
	// protected as a whole (protecting the slice alone would let two
	// slices and their total be subtracted).
	dims := slices.Clone(q.By)
	for _, k := range filterDims {
		if !slices.Contains(dims, k) {
			dims = append(dims, k)
		}
	}
	if len(dims) > maxDims+2 {
		return nil, invalid(400, "by", "too many dimensions with the filters")
	}
	if bg := s.background(); bg != nil && ind.Pre != nil && s.preDays > 0 && !s.store.Holds(q.AsOf) {
		// Asked, cached or not: the background counter counts days asked
		// for again.
		bg.ask(q.AsOf, s.Today())
	}
	key, version := cacheKey(&q), s.store.Version()
	if res := s.cache.get(key, version); res != nil {
		return res, nil
	}
	res, err := s.compute(ctx, ind, q, dims, filterDims)
	if err == nil {
		s.cache.put(key, version, res)
	}
	return res, err
}

// compute answers a validated query.
func (s *Service) compute(ctx context.Context, ind *Indicator, q Query, dims, filterDims []string) (*Result, error) {
	agg, dimExpr, pre, err := s.plan(ctx, ind, &q)
	if err != nil {
		return nil, err
	}
	for _, d := range dims {
		agg.Dims = append(agg.Dims, dimExpr(d))
	}
	// labels and counts are the table's cells: the dimensions' published
	// values, and each measure's counts.
	var labels [][]string
	var counts [][]int64
	read := false
	if pre && ind.Pre.Cells && len(q.Filters) == 0 {
		if labels, counts, read, err = s.cells(ctx, q.AsOf, dims); err != nil {
			return nil, err
		}
	}
	// Push down what keeps the result exact: every filter for exact
	// counts; for protected ones only the province of a filtered commune
	// (hypercubes never leave a commune's province).
	for _, k := range filterDims {
		d, v := ind.dim(k), q.Filters[k]
		if d.Label != nil {
			continue
		}
		if q.Exact {
			agg.Where = append(agg.Where, dimExpr(k)+" = "+sqlString(v))
		} else if k == DimCommune {
			agg.Where = append(agg.Where, "p.province = "+sqlString(provinceOf(v)))
		}
	}
	if !read {
		raw, err := s.store.Aggregate(ctx, agg)
		if err != nil {
			return nil, err
		}
		labels, counts = labelRows(ind, dims, raw)
	}
	res := &Result{Indicator: ind.Name, Title: ind.Title, AsOf: q.AsOf, By: q.By, Filters: q.Filters,
		Protected: !q.Exact, Threshold: s.threshold}
	if !q.Exact {
		res.Threshold = s.threshold
	} else {
		res.Threshold = 0
	}
	if ind.Series {
		res.From = q.From
	}
	for _, m := range ind.Measures {
		res.Measures = append(res.Measures, m.Name)
	}
	for _, r := range ind.Ratios {
		res.Ratios = append(res.Ratios, r.Name)
	}
	nm, nrows := len(ind.Measures), len(labels)
	sup := make([][]bool, nm)
	if !q.Exact {
		axes, coords := axesOf(dims, labels)
		for m := range nm {
			sup[m] = Protect(axes, coords, counts[m], s.threshold)
		}
	}
	// The ratios' measures, by position.
	ratios := make([][2]int, len(ind.Ratios))
	for k, r := range ind.Ratios {
		for m, ms := range ind.Measures {
			if ms.Name == r.Num {
				ratios[k][0] = m
			}
			if ms.Name == r.Den {
				ratios[k][1] = m
			}
		}
	}
	// The slice the filters select. The rows' slices are cut from slabs.
	var selected int64
	countSlab := make([]*int64, nrows*nm)
	ratioSlab := make([]*float64, nrows*len(ind.Ratios))
	if nrows > 0 {
		res.Rows = make([]Row, 0, nrows)
	}
	for i := range nrows {
		keep := true
		for j, d := range dims {
			if v, ok := q.Filters[d]; ok && labels[i][j] != v {
				keep = false
				break
			}
		}
		if !keep {
			continue
		}
		if nm > 0 {
			selected += counts[0][i]
		}
		nr := len(ind.Ratios)
		row := Row{Dims: labels[i][:len(q.By):len(q.By)], Counts: countSlab[i*nm : (i+1)*nm : (i+1)*nm],
			Ratios: ratioSlab[i*nr : (i+1)*nr : (i+1)*nr]}
		for m := range nm {
			if q.Exact || !sup[m][i] {
				row.Counts[m] = &counts[m][i]
			}
		}
		for k, r := range ratios {
			n, d := row.Counts[r[0]], row.Counts[r[1]]
			if n != nil && d != nil && *d > 0 {
				x := float64(*n) / float64(*d)
				row.Ratios[k] = &x
			}
		}
		res.Rows = append(res.Rows, row)
	}
	if !q.Exact && len(q.Filters) > 0 && selected < s.minPublic {
		return nil, invalid(422, filterDims[0], "the filters select fewer than %d %s; published statistics describe larger groups",
			s.minPublic, res.Measures[0])
	}
	return res, nil
}

// labelRows labels the rows of an Aggregate (the dimensions' values, then
// the measures') and takes out their counts.
func labelRows(ind *Indicator, dims []string, raw [][]any) ([][]string, [][]int64) {
	nd, nm := len(dims), len(ind.Measures)
	labels := make([][]string, len(raw))
	labelSlab := make([]string, len(raw)*nd)
	counts := make([][]int64, nm)
	for m := range counts {
		counts[m] = make([]int64, len(raw))
	}
	dimOf := make([]*Dim, nd)
	for j, d := range dims {
		dimOf[j] = ind.dim(d)
	}
	for i, r := range raw {
		labels[i] = labelSlab[i*nd : (i+1)*nd : (i+1)*nd]
		for j := range dims {
			labels[i][j] = label(dimOf[j], r[j])
		}
		for m := range nm {
			counts[m][i], _ = asInt(r[nd+m])
		}
	}
	return labels, counts
}

// plan returns the query of an indicator without its dimensions, and each
// dimension's expression: from the pre-aggregated counts when the store
// holds the as-of day, else from a scan of the people. Both give the same
// table. A day not held is counted in the background while
// RunPreaggregation runs (precount.go), else by this query.
func (s *Service) plan(ctx context.Context, ind *Indicator, q *Query) (Aggregation, func(string) string, bool, error) {
	if ind.Pre != nil && s.preDays > 0 {
		held := s.store.Holds(q.AsOf)
		if !held {
			if s.background() == nil {
				var err error
				if held, err = s.store.Preaggregate(ctx, q.AsOf, s.preDays); err != nil {
					return Aggregation{}, nil, false, err
				}
			}
		}
		if held {
			p := ind.Pre
			agg := Aggregation{From: p.From, Ordered: true, Having: []string{p.Measures[0] + " > 0"}}
			for _, w := range p.Where {
				agg.Where = append(agg.Where, expand(w, q))
			}
			for _, m := range p.Measures {
				agg.Measures = append(agg.Measures, expand(m, q))
			}
			return agg, func(d string) string { return expand(p.Dims[d], q) }, true, nil
		}
	}
	agg := Aggregation{From: ind.From, Ordered: true}
	for _, w := range ind.Where {
		agg.Where = append(agg.Where, expand(w, q))
	}
	for _, m := range ind.Measures {
		agg.Measures = append(agg.Measures, expand(m.Expr, q))
	}
	return agg, func(d string) string { return expand(ind.dim(d).Expr, q) }, false, nil
}

// cellDims are the dimensions of CellStore.PopulationCells, in its order.
var cellDims = [3]string{DimCommune, DimAgeGroup, DimSex}

// cells returns the table by dims from the store's PopulationCells when
// dims are its three dimensions in any order and the store holds the day
// (read is then true): the table Aggregate gives, in the same order.
func (s *Service) cells(ctx context.Context, day time.Time, dims []string) (labels [][]string, counts [][]int64, read bool, err error) {
	cs, ok := s.store.(CellStore)
	if !ok || len(dims) != len(cellDims) {
		return nil, nil, false, nil
	}
	var col [len(cellDims)]int // dims[j] is the cells' column col[j]
	for j, d := range dims {
		col[j] = slices.Index(cellDims[:], d)
		if col[j] < 0 {
			return nil, nil, false, nil
		}
	}
	c, held, err := cs.PopulationCells(ctx, day)
	if err != nil || !held {
		return nil, nil, false, err
	}
	n := len(c.N)
	if len(c.Commune) != n || len(c.AgeGroup) != n || len(c.Sex) != n {
		return nil, nil, false, fmt.Errorf("stats: the store's cells have columns of different lengths")
	}
	// The cells in the order of dims: theirs, or sorted again by the
	// values (age groups by number, as ORDER BY sorts them).
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	if col != [3]int{0, 1, 2} {
		slices.SortFunc(order, func(a, b int32) int {
			for _, k := range col {
				var r int
				switch k {
				case 0:
					r = strings.Compare(c.Commune[a], c.Commune[b])
				case 1:
					r = cmp.Compare(c.AgeGroup[a], c.AgeGroup[b])
				default:
					r = strings.Compare(c.Sex[a], c.Sex[b])
				}
				if r != 0 {
					return r
				}
			}
			return 0
		})
	}
	labels = make([][]string, n)
	slab := make([]string, n*len(cellDims))
	counts = [][]int64{make([]int64, n)}
	for r, i := range order {
		row := slab[r*len(cellDims) : (r+1)*len(cellDims) : (r+1)*len(cellDims)]
		for j, k := range col {
			switch k {
			case 0:
				row[j] = c.Commune[i]
			case 1:
				if g := int(c.AgeGroup[i]); g >= 0 && g < len(AgeGroups) {
					row[j] = AgeGroups[g]
				}
			default:
				row[j] = c.Sex[i]
			}
		}
		labels[r] = row
		counts[0][r] = c.N[i]
	}
	return labels, counts, true, nil
}

// values returns the values a filter on d may take, nil for any.
func (s *Service) values(ctx context.Context, d *Dim, q *Query) ([]string, error) {
	switch {
	case d.Values != nil:
		return d.Values(q), nil
	case d.KnownIn[0] != "":
		v, err := s.store.Distinct(ctx, d.KnownIn[0], d.KnownIn[1])
		if v == nil {
			v = []string{}
		}
		return v, err
	}
	return nil, nil
}

// label is the published form of a dimension's value.
func label(d *Dim, v any) string {
	if d.Label != nil {
		return d.Label(v)
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// axesOf numbers each dimension's observed values for Protect, grouping
// communes by province.
func axesOf(dims []string, labels [][]string) ([]Axis, [][]int) {
	axes := make([]Axis, len(dims))
	index := make([]map[string]int, len(dims))
	coords := make([][]int, len(labels))
	for i := range coords {
		coords[i] = make([]int, len(dims))
	}
	for j, d := range dims {
		index[j] = map[string]int{}
		groups := map[string]int{}
		for i, l := range labels {
			v := l[j]
			k, ok := index[j][v]
			if !ok {
				k = len(index[j])
				index[j][v] = k
				if d == DimCommune {
					g, ok := groups[provinceOf(v)]
					if !ok {
						g = len(groups)
						groups[provinceOf(v)] = g
					}
					axes[j].Group = append(axes[j].Group, g)
				}
			}
			coords[i][j] = k
		}
		axes[j].Size = len(index[j])
	}
	return axes, coords
}

// sqlString quotes a validated value as an SQL string literal.
func sqlString(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

package statshttp

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/stats"
	"github.com/dancu/dancu/internal/units"
	"github.com/dancu/dancu/internal/web"
)

// Console is the statistics section of the officers' console.
type Console struct {
	svc  *stats.Service
	web  *web.Handler
	feed func() stats.FeedStatus // nil when this process does not feed
}

// NewConsole returns the section; feed reports the feed's state, or nil.
func NewConsole(svc *stats.Service, wh *web.Handler, feed func() stats.FeedStatus) *Console {
	return &Console{svc: svc, web: wh, feed: feed}
}

// Section is the console section to add with web.Handler.AddSection.
func (c *Console) Section() web.Section {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console/stats/{$}", c.dashboard)
	return web.Section{
		Name:    "stats",
		Label:   map[string]string{"vi": "Thống kê", "en": "Statistics"},
		Action:  staff.ReadStatistics,
		Handler: mux,
	}
}

type figure struct {
	Label string
	Value string
}

type rateRow struct {
	Label          string
	Num, Den       int64
	Rate           string
	HasRate, Empty bool
}

type agencyRow struct {
	Kind               string
	Agencies, Accesses int64
}

type dashboardView struct {
	AsOf       string
	Figures    []figure
	Pyramid    template.HTML
	Cohorts    template.HTML
	Entrants   template.HTML
	Events     template.HTML
	Chip       []rateRow
	Datasets   []rateRow
	Agencies   []agencyRow
	Feed       *stats.FeedStatus
	FeedLag    string
	Info       stats.Info
	Indicators []*stats.Indicator
}

var dashboardTmpl = template.Must(template.New("d").Parse(`
<p>Số liệu tại ngày / figures as of <strong>{{.AsOf}}</strong>: exact counts (statistician's view); the public API and open data publish protected counts.</p>
<section><h2>Chỉ tiêu chính / Headline figures</h2>
<table><tbody>{{range .Figures}}<tr><th scope="row">{{.Label}}</th><td>{{.Value}}</td></tr>{{end}}</tbody></table></section>
<section><h2>Tháp dân số / Population pyramid</h2>{{.Pyramid}}</section>
<section><h2>Độ tuổi đi học theo tỉnh / School-age cohorts by province</h2>{{.Cohorts}}</section>
<section><h2>Dự kiến vào lớp 1 / Expected grade-1 entrants</h2>{{.Entrants}}</section>
<section><h2>Sinh, tử, chuyển đến theo tháng / Births, deaths and moves per month</h2>{{.Events}}</section>
<section><h2>Thẻ CCCD gắn chip, người từ 14 tuổi / Chip ID cards, people aged 14+</h2>
<table><thead><tr><th>Tỉnh / Province</th><th>14+</th><th>Có thẻ chip / with chip card</th><th>%</th></tr></thead><tbody>
{{range .Chip}}<tr><td>{{.Label}}</td><td>{{.Den}}</td><td>{{.Num}}</td><td>{{.Rate}}</td></tr>{{end}}</tbody></table></section>
<section><h2>Độ phủ dữ liệu kết nối / Linked dataset coverage</h2>
{{if .Datasets}}<table><thead><tr><th>Dataset</th><th>Người sống / living</th><th>Có bản ghi / linked</th><th>%</th></tr></thead><tbody>
{{range .Datasets}}<tr><td>{{.Label}}</td><td>{{.Den}}</td><td>{{.Num}}</td><td>{{.Rate}}</td></tr>{{end}}</tbody></table>
{{else}}<p>No linked dataset holds records yet.</p>{{end}}</section>
<section><h2>Cơ quan kết nối / Connected agencies</h2>
{{if .Agencies}}<table><thead><tr><th>Loại / Kind</th><th>Cơ quan / agencies</th><th>Lượt sử dụng dữ liệu 30 ngày / uses of personal data, last 30 days</th></tr></thead><tbody>
{{range .Agencies}}<tr><td>{{.Kind}}</td><td>{{.Agencies}}</td><td>{{.Accesses}}</td></tr>{{end}}</tbody></table>
{{else}}<p>No agency is connected yet.</p>{{end}}</section>
<section><h2>Kho phân tích / Analytics store</h2>
<table><tbody>
<tr><th scope="row">People rows</th><td>{{.Info.People}}</td></tr>
<tr><th scope="row">Event rows</th><td>{{.Info.Events}}</td></tr>
<tr><th scope="row">eID accounts</th><td>{{.Info.Accounts}}</td></tr>
<tr><th scope="row">Outbox position applied</th><td>{{.Info.Cursor}}</td></tr>
<tr><th scope="row">Access-log entries counted</th><td>{{.Info.Access}}</td></tr>
{{if .Feed}}<tr><th scope="row">Outbox head</th><td>{{.Feed.Head}}</td></tr>
<tr><th scope="row">Feed lag</th><td>{{.FeedLag}}</td></tr>
{{if .Feed.LastError}}<tr><th scope="row">Last feed error</th><td>{{.Feed.LastError}}</td></tr>{{end}}
{{else}}<tr><th scope="row">Feed</th><td>not running in this process</td></tr>{{end}}
<tr><th scope="row">File size</th><td>{{.Info.FileBytes}} bytes</td></tr>
</tbody></table></section>
<section><h2>API</h2><ul>{{range .Indicators}}<li><code>/v1/stats/{{.Name}}</code> — {{.Title}}</li>{{end}}</ul></section>
`))

func (c *Console) query(ctx context.Context, ind string, by ...string) (*stats.Result, error) {
	return c.svc.Query(ctx, stats.Query{Indicator: ind, By: by, Exact: true})
}

func provinceName(code string) string {
	if p, ok := units.LookupProvince(code, time.Now()); ok {
		return p.Name
	}
	if code == "" {
		return "(none)"
	}
	return code
}

func count(r stats.Row, i int) int64 {
	if i < len(r.Counts) && r.Counts[i] != nil {
		return *r.Counts[i]
	}
	return 0
}

func pct(n, d int64) string {
	if d == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := dashboardView{AsOf: c.svc.Today().Format(time.DateOnly), Indicators: stats.Indicators()}
	fail := func(err error) { c.web.ServerError(w, r, err) }

	total, err := c.query(ctx, "population")
	if err != nil {
		fail(err)
		return
	}
	var living int64
	if len(total.Rows) > 0 {
		living = count(total.Rows[0], 0)
	}
	v.Figures = append(v.Figures, figure{"Dân số đang sống / living population", fmt.Sprint(living)})

	pyr, err := c.query(ctx, "population", "age_group", "sex")
	if err != nil {
		fail(err)
		return
	}
	male, female := make([]int64, len(stats.AgeGroups)), make([]int64, len(stats.AgeGroups))
	for _, row := range pyr.Rows {
		g := slices.Index(stats.AgeGroups, row.Dims[0])
		if g < 0 {
			continue
		}
		if row.Dims[1] == "male" {
			male[g] = count(row, 0)
		} else {
			female[g] = count(row, 0)
		}
	}
	v.Pyramid = pyramid(stats.AgeGroups, male, female)

	coh, err := c.query(ctx, "school_age", "province", "cohort")
	if err != nil {
		fail(err)
		return
	}
	var provs []string
	var cohortNames []string
	for _, ch := range stats.Cohorts {
		cohortNames = append(cohortNames, ch.Name)
	}
	cell := map[[2]string]int64{}
	for _, row := range coh.Rows {
		if !slices.Contains(provs, row.Dims[0]) {
			provs = append(provs, row.Dims[0])
		}
		cell[[2]string{row.Dims[0], row.Dims[1]}] = count(row, 0)
	}
	vals := make([][]int64, len(cohortNames))
	var labels []string
	for _, p := range provs {
		labels = append(labels, provinceName(p))
	}
	for j, ch := range cohortNames {
		for _, p := range provs {
			vals[j] = append(vals[j], cell[[2]string{p, ch}])
		}
	}
	v.Cohorts = bars(labels, cohortNames, vals)

	ent, err := c.query(ctx, "grade1_entrants", "entry_year")
	if err != nil {
		fail(err)
		return
	}
	var years []string
	var ev []int64
	for _, row := range ent.Rows {
		years = append(years, row.Dims[0])
		ev = append(ev, count(row, 0))
	}
	v.Entrants = bars(years, []string{"children"}, [][]int64{ev})

	le, err := c.query(ctx, "life_events", "month", "event")
	if err != nil {
		fail(err)
		return
	}
	kinds := []string{stats.EventBirth, stats.EventDeath, stats.EventMove}
	var months []string
	for m := le.From.AddDate(0, 0, 1); !m.After(le.AsOf); m = time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, time.UTC) {
		months = append(months, m.Format("2006-01"))
	}
	series := make([][]int64, len(kinds))
	sums := make([]int64, len(kinds))
	for j := range kinds {
		series[j] = make([]int64, len(months))
	}
	for _, row := range le.Rows {
		i, j := slices.Index(months, row.Dims[0]), slices.Index(kinds, row.Dims[1])
		if i >= 0 && j >= 0 {
			series[j][i] = count(row, 0)
			sums[j] += count(row, 0)
		}
	}
	v.Events = lines(months, kinds, series)
	v.Figures = append(v.Figures,
		figure{"Khai sinh 12 tháng / births, last 12 months", fmt.Sprint(sums[0])},
		figure{"Khai tử 12 tháng / deaths, last 12 months", fmt.Sprint(sums[1])},
		figure{"Chuyển hộ khẩu 12 tháng / moves, last 12 months", fmt.Sprint(sums[2])})

	chip, err := c.query(ctx, "chip_cards", "province")
	if err != nil {
		fail(err)
		return
	}
	var n14, nChip int64
	for _, row := range chip.Rows {
		d, n := count(row, 0), count(row, 1)
		n14, nChip = n14+d, nChip+n
		v.Chip = append(v.Chip, rateRow{Label: provinceName(row.Dims[0]), Num: n, Den: d, Rate: pct(n, d)})
	}
	v.Figures = append(v.Figures, figure{"Thẻ chip / chip ID cards over people 14+", fmt.Sprintf("%d / %d (%s)", nChip, n14, pct(nChip, n14))})

	cov, err := c.query(ctx, "dataset_coverage", "dataset")
	if err != nil {
		fail(err)
		return
	}
	for _, row := range cov.Rows {
		d, n := count(row, 0), count(row, 1)
		v.Datasets = append(v.Datasets, rateRow{Label: row.Dims[0], Num: n, Den: d, Rate: pct(n, d)})
		v.Figures = append(v.Figures, figure{"Đồng bộ / people synchronised: " + row.Dims[0], fmt.Sprintf("%d (%s)", n, pct(n, d))})
	}
	accounts, err := c.query(ctx, "eid_accounts")
	if err != nil {
		fail(err)
		return
	}
	if len(accounts.Rows) > 0 {
		r := accounts.Rows[0]
		n14, all, l1, l2 := count(r, 0), count(r, 1), count(r, 2), count(r, 3)
		v.Figures = append(v.Figures, figure{"Tài khoản định danh điện tử / eID accounts, people 14+",
			fmt.Sprintf("%d (%s of %d): level 1 %d, level 2 %d", all, pct(all, n14), n14, l1, l2)})
	}
	if v.Agencies, err = c.agencies(ctx); err != nil {
		fail(err)
		return
	}
	var nAg, nAcc int64
	for _, a := range v.Agencies {
		nAg, nAcc = nAg+a.Agencies, nAcc+a.Accesses
	}
	v.Figures = append(v.Figures, figure{"Cơ quan kết nối / connected agencies, uses of personal data in 30 days",
		fmt.Sprintf("%d agencies, %d uses", nAg, nAcc)})
	for _, ex := range extraFigures {
		f, err := ex(ctx, c.svc)
		if err != nil {
			fail(err)
			return
		}
		v.Figures = append(v.Figures, f...)
	}

	if v.Info, err = c.svc.Store().Info(ctx); err != nil {
		fail(err)
		return
	}
	if c.feed != nil {
		st := c.feed()
		v.Feed = &st
		v.FeedLag = st.Lag.Round(time.Millisecond).String()
	}
	var buf bytes.Buffer
	if err := dashboardTmpl.Execute(&buf, v); err != nil {
		fail(err)
		return
	}
	c.web.Render(w, r, web.Page{Title: "Thống kê / Statistics", Body: template.HTML(buf.String())})
}

// agencies returns the connected agencies by kind with their traffic over
// the last 30 days.
func (c *Console) agencies(ctx context.Context) ([]agencyRow, error) {
	ag, err := c.query(ctx, "agencies", "agency_kind")
	if err != nil {
		return nil, err
	}
	today := c.svc.Today()
	tr, err := c.svc.Query(ctx, stats.Query{Indicator: "agency_traffic", By: []string{"agency_kind"}, AsOf: today,
		From: today.AddDate(0, 0, -30), Exact: true})
	if err != nil {
		return nil, err
	}
	var out []agencyRow
	row := func(kind string) *agencyRow {
		for i := range out {
			if out[i].Kind == kind {
				return &out[i]
			}
		}
		out = append(out, agencyRow{Kind: kind})
		return &out[len(out)-1]
	}
	for _, r := range ag.Rows {
		row(r.Dims[0]).Agencies = count(r, 0)
	}
	for _, r := range tr.Rows {
		row(r.Dims[0]).Accesses = count(r, 0)
	}
	return out, nil
}

// extraFigures are headline figures other areas add (eID accounts by level,
// vaccination coverage, online dossiers...), each a function that reads
// its indicator; AddFigure registers one.
var extraFigures []func(ctx context.Context, svc *stats.Service) ([]figure, error)

// AddFigure adds headline figures to the dashboard: f returns label and
// value pairs computed from svc.
func AddFigure(f func(ctx context.Context, svc *stats.Service) ([][2]string, error)) {
	extraFigures = append(extraFigures, func(ctx context.Context, svc *stats.Service) ([]figure, error) {
		pairs, err := f(ctx, svc)
		var out []figure
		for _, p := range pairs {
			out = append(out, figure{p[0], p[1]})
		}
		return out, err
	})
}

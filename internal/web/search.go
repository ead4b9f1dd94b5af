package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/units"
)

// searchPageSize is the number of results per page: enough to scan a common
// name in a commune, few enough to read.
const searchPageSize = 25

// maxNameRunes matches vntext.MaxNameRunes: no stored name is longer.
const maxNameRunes = 100

// searchForm is the search form as typed, echoed back into the inputs.
type searchForm struct {
	Name      string
	BirthYear string
	Sex       string
	Province  string
	Commune   string
	PIN       string
}

// option is an entry of a select.
type option struct {
	Value    string
	Label    string
	Selected bool
}

// resultRow is one person in the results table.
type resultRow struct {
	PIN         string
	Href        string
	FullName    string
	Birth       string
	Sex         string
	Residence   value
	Status      string
	StatusClass string
}

// searchView is the body of the search page.
type searchView struct {
	Form      searchForm
	Provinces []option
	Sexes     []option
	Submitted bool
	Errors    []string
	Results   []resultRow
	NextHref  string
	FirstHref string
}

// searchFields are the query parameters of the search form. The form always
// sends all of them, so the presence of any says the form was submitted.
var searchFields = []string{"name", "birth_year", "sex", "province", "commune"}

func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	form := searchForm{
		Name:      strings.TrimSpace(q.Get("name")),
		BirthYear: strings.TrimSpace(q.Get("birth_year")),
		Sex:       q.Get("sex"),
		Province:  q.Get("province"),
		Commune:   strings.TrimSpace(q.Get("commune")),
	}
	v := h.newSearchView(reqOf(r).lang, form)
	for _, f := range searchFields {
		v.Submitted = v.Submitted || q.Has(f)
	}
	if !v.Submitted {
		h.render(w, r, http.StatusOK, pageSearch, "search.title", v)
		return
	}
	c := catalogueFor(reqOf(r).lang)
	query, errKeys := h.parseSearch(form)
	if after := q.Get("after"); after != "" && len(errKeys) == 0 {
		cur, err := api.DecodeCursor(h.auth, "after", after)
		if err != nil {
			errKeys = append(errKeys, "search.err.cursor")
		}
		query.Cursor = cur
		v.FirstHref = searchHref(q, "")
	}
	for _, k := range errKeys {
		v.Errors = append(v.Errors, c.T(k))
	}
	if len(v.Errors) > 0 {
		h.render(w, r, http.StatusBadRequest, pageSearch, "search.title", v)
		return
	}
	recs, next, err := h.reg.Search(r.Context(), query)
	if err != nil {
		if registry.KindOf(err) == registry.Invalid {
			v.Errors = append(v.Errors, searchErrorText(c, err))
			h.render(w, r, http.StatusBadRequest, pageSearch, "search.title", v)
			return
		}
		h.serverError(w, r, err)
		return
	}
	pins := make([]string, len(recs))
	for i, rec := range recs {
		pins[i] = rec.Person.PIN
	}
	if !h.recordAccess(w, r, searchResultFields, pins...) {
		return
	}
	vw := h.viewer(reqOf(r).lang)
	for _, rec := range recs {
		v.Results = append(v.Results, vw.resultRow(rec.Person))
	}
	if next != (registry.Cursor{}) {
		v.NextHref = searchHref(q, api.EncodeCursor(h.auth, next))
	}
	h.render(w, r, http.StatusOK, pageSearch, "search.title", v)
}

// newSearchView fills the selects of the form.
func (h *Handler) newSearchView(lang string, form searchForm) searchView {
	c := catalogueFor(lang)
	v := searchView{Form: form}
	v.Sexes = []option{
		{Value: "", Label: c.T("search.any"), Selected: form.Sex == ""},
		{Value: string(registry.Male), Label: c.T("sex.male"), Selected: form.Sex == string(registry.Male)},
		{Value: string(registry.Female), Label: c.T("sex.female"), Selected: form.Sex == string(registry.Female)},
	}
	v.Provinces = []option{{Value: "", Label: c.T("search.any"), Selected: form.Province == ""}}
	for _, p := range units.Provinces(h.now().In(registry.Vietnam)) {
		v.Provinces = append(v.Provinces, option{Value: p.Code, Label: p.Name, Selected: p.Code == form.Province})
	}
	return v
}

// parseSearch checks the form and returns the query, or the keys of every
// problem at once so that the officer can fix them in one go.
func (h *Handler) parseSearch(f searchForm) (registry.Query, []string) {
	q := registry.Query{Name: f.Name, Province: f.Province, Commune: f.Commune, Limit: h.pageSize}
	var errs []string
	if utf8.RuneCountInString(f.Name) > maxNameRunes || !utf8.ValidString(f.Name) {
		errs = append(errs, "search.err.name_too_long")
	}
	if f.BirthYear != "" {
		y, err := strconv.Atoi(f.BirthYear)
		if err != nil || len(f.BirthYear) != 4 || y < 1800 || y > 2399 {
			errs = append(errs, "search.err.birth_year")
		}
		q.BirthYear = y
	}
	switch registry.Sex(f.Sex) {
	case "", registry.Male, registry.Female:
		q.Sex = registry.Sex(f.Sex)
	default:
		errs = append(errs, "search.err.sex")
	}
	today := h.now().In(registry.Vietnam)
	if f.Province != "" {
		if _, ok := units.LookupProvince(f.Province, today); !ok {
			errs = append(errs, "search.err.province")
		}
	}
	if f.Commune != "" {
		c, ok := units.LookupCommune(f.Commune, today)
		switch {
		case !ok || len(f.Commune) != 5:
			errs = append(errs, "search.err.commune")
		case f.Province != "" && c.ProvinceCode != f.Province:
			errs = append(errs, "search.err.commune_province")
		}
	}
	if f.Name == "" && f.BirthYear == "" && f.Province == "" && f.Commune == "" {
		// Sex alone would list half the country.
		errs = append(errs, "search.err.need_criterion")
	}
	return q, errs
}

// searchErrorText explains a registry validation error. The registry's
// reasons are English developer text, so known fields get a translated
// message and anything else is shown with its field for support.
func searchErrorText(c catalogue, err error) string {
	e, _ := err.(*registry.Error)
	if e == nil {
		return c.T("search.err.need_criterion")
	}
	switch e.Field {
	case "name":
		return c.T("search.err.name_no_letters")
	case "pin":
		return c.T("search.err.pin")
	}
	return c.T("search.err.generic", e.Field, e.Reason)
}

// searchHref is the search URL with the same criteria and the given cursor.
func searchHref(q url.Values, after string) string {
	nq := url.Values{}
	for _, f := range searchFields {
		nq.Set(f, q.Get(f))
	}
	if after != "" {
		nq.Set("after", after)
	}
	return consolePrefix + "?" + nq.Encode()
}

func (v viewer) resultRow(p *registry.Person) resultRow {
	rr := resultRow{
		PIN: p.PIN, Href: personHref(p.PIN), FullName: p.FullName,
		Birth: v.c.Date(p.BirthDate), Sex: v.c.label("sex.", string(p.Sex)),
		Status: v.c.label("state.", string(p.Status.State)), StatusClass: statusClass(p.Status.State),
	}
	if res := p.PermanentResidence; res != nil {
		rr.Residence = v.units(res.Province, res.Commune, residenceDate(res.ValidFrom, v.today))
	}
	return rr
}

// lookupPIN opens a record from the PIN box of the search page.
func (h *Handler) lookupPIN(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimSpace(r.URL.Query().Get("pin"))
	// Officers copy numbers from documents that group digits with spaces.
	p = strings.Join(strings.Fields(p), "")
	if registry.CheckPIN("pin", p) != nil {
		h.badPIN(w, r, p)
		return
	}
	http.Redirect(w, r, personHref(p), http.StatusSeeOther)
}

// badPIN shows the search page with a message about a malformed PIN.
func (h *Handler) badPIN(w http.ResponseWriter, r *http.Request, p string) {
	lang := reqOf(r).lang
	v := h.newSearchView(lang, searchForm{PIN: p})
	v.Errors = []string{catalogueFor(lang).T("search.err.pin")}
	h.render(w, r, http.StatusBadRequest, pageSearch, "search.title", v)
}

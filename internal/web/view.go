package web

import (
	"net/url"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/units"
)

// value is one displayed value: text as stored or translated, an optional
// link, and an optional muted note (codes, numbers) beside it.
type value struct {
	Text string
	Note string
	Href string
}

// row is a labelled line of a record section; no values shows as "—".
type row struct {
	Label  string
	Values []value
}

// section is a titled group of rows on a record page.
type section struct {
	ID    string
	Title string
	Rows  []row
}

// viewer turns registry records into display values in one language.
type viewer struct {
	c     catalogue
	today time.Time
}

func (h *Handler) viewer(lang string) viewer {
	return viewer{c: catalogueFor(lang), today: h.now().In(registry.Vietnam)}
}

func personHref(pin string) string {
	return consolePrefix + "people/" + url.PathEscape(pin)
}

func householdHref(id string) string {
	return consolePrefix + "households/" + url.PathEscape(id)
}

// text returns a row holding s as stored, or no value when s is empty.
func (v viewer) text(labelKey, s string) row {
	r := row{Label: v.c.T(labelKey)}
	if s != "" {
		r.Values = []value{{Text: s}}
	}
	return r
}

// coded returns a row with the translation of a code (sex, status, ...).
func (v viewer) coded(labelKey, prefix, code string) row {
	return v.text(labelKey, v.c.label(prefix, code))
}

func (v viewer) date(labelKey string, d registry.Date) row {
	return v.text(labelKey, v.c.Date(d))
}

// province returns the name a province code had at t, trying today when the
// code meant nothing then (a code recorded with the wrong date), and the code
// itself when it is unknown.
func (v viewer) province(code string, at time.Time) string {
	if code == "" {
		return ""
	}
	for _, t := range []time.Time{at, v.today} {
		if p, ok := units.LookupProvince(code, t); ok {
			return p.Name
		}
	}
	return code
}

// commune is province for communes. Communes before the 2025 reform are not
// on record, so an old code falls back to today's meaning or to the code.
func (v viewer) commune(code string, at time.Time) string {
	if code == "" {
		return ""
	}
	for _, t := range []time.Time{at, v.today} {
		if c, ok := units.LookupCommune(code, t); ok {
			return c.Name
		}
	}
	return code
}

// units returns "commune, province" with the codes as a note.
func (v viewer) units(province, commune string, at time.Time) value {
	var names, codes []string
	if commune != "" {
		names = append(names, v.commune(commune, at))
		codes = append(codes, commune)
	}
	if province != "" {
		names = append(names, v.province(province, at))
		codes = append(codes, province)
	}
	return value{Text: strings.Join(names, ", "), Note: strings.Join(codes, " · ")}
}

// dateOr returns the first day d can mean, or fallback when d is unknown.
func dateOr(d registry.Date, fallback time.Time) time.Time {
	if d.IsZero() {
		return fallback
	}
	return d.Earliest()
}

// residenceDate is the date at which to read a residence's unit codes.
// Residences are always on the 2025 units, even when they began before the
// reform (the registry moved every address onto the new units), so their
// codes are read no earlier than the reform.
func residenceDate(from registry.Date, today time.Time) time.Time {
	at := dateOr(from, today)
	if at.Before(units.Reform2025) {
		return units.Reform2025
	}
	return at
}

// place shows a place of birth or hometown. Its codes are read at at, the
// date they were recorded for.
func (v viewer) place(labelKey string, p registry.Place, at time.Time) row {
	r := row{Label: v.c.T(labelKey)}
	var parts []string
	if p.Text != "" {
		parts = append(parts, p.Text)
	}
	u := v.units(p.Province, p.Commune, at)
	if u.Text != "" {
		parts = append(parts, u.Text)
	}
	if p.Country != "" && p.Country != "VN" {
		parts = append(parts, v.country(p.Country))
	}
	if len(parts) > 0 {
		r.Values = []value{{Text: strings.Join(parts, ", "), Note: u.Note}}
	}
	return r
}

// residence shows an address with its units and the dates it held.
func (v viewer) residence(labelKey string, res *registry.Residence) row {
	r := row{Label: v.c.T(labelKey)}
	if res == nil {
		return r
	}
	u := v.units(res.Province, res.Commune, residenceDate(res.ValidFrom, v.today))
	text := res.Address
	if u.Text != "" {
		if text != "" {
			text += ", "
		}
		text += u.Text
	}
	r.Values = []value{{Text: text, Note: u.Note}}
	if span := v.span(res.ValidFrom, res.ValidTo); span != "" {
		r.Values = append(r.Values, value{Note: span})
	}
	return r
}

// span returns "from … until …" for a validity period.
func (v viewer) span(from, to registry.Date) string {
	var parts []string
	if !from.IsZero() {
		parts = append(parts, v.c.T("field.valid_from")+" "+v.c.Date(from))
	}
	if !to.IsZero() {
		parts = append(parts, strings.ToLower(v.c.T("field.valid_to"))+" "+v.c.Date(to))
	}
	return strings.Join(parts, " ")
}

func (v viewer) country(code string) string {
	return v.c.label("country.", code)
}

func (v viewer) ethnicity(code string) string {
	for _, g := range registry.EthnicGroups() {
		if g.Code == code {
			return g.Name
		}
	}
	return code
}

// relative shows a related person as a link to their record when they have
// a PIN (a foreign parent may have none).
func (v viewer) relative(r registry.Relative) value {
	out := value{Text: r.FullName, Note: r.PIN}
	if r.PIN != "" {
		out.Href = personHref(r.PIN)
	}
	if r.Nationality != "" && r.Nationality != "VN" {
		if out.Note != "" {
			out.Note += " · "
		}
		out.Note += v.country(r.Nationality)
	}
	return out
}

func (v viewer) relativeRow(labelKey string, rs ...registry.Relative) row {
	r := row{Label: v.c.T(labelKey)}
	for _, x := range rs {
		r.Values = append(r.Values, v.relative(x))
	}
	return r
}

// statusClass names the CSS badge of a life state.
func statusClass(s registry.LifeState) string {
	switch s {
	case registry.Dead:
		return "badge badge-dead"
	case registry.Missing:
		return "badge badge-missing"
	}
	return "badge badge-alive"
}

package units

import (
	"slices"
	"time"
)

// Reform2025 is the date the 2025 administrative units took effect: the 34
// provinces and 3,321 communes are valid from this day and the 63 old provinces
// until the day before.
var Reform2025 = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// reformDate is the package's own copy of Reform2025, so that the data's
// validity does not change if a caller assigns to the exported variable.
var reformDate = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// Province is a province-level unit ("tỉnh" or "thành phố trung ương") as it was
// between ValidFrom and ValidTo.
type Province struct {
	// Code is the two-digit official code, such as "79".
	Code string
	// Name is the official name, such as "Thành phố Hồ Chí Minh".
	Name string
	// Type is "tỉnh" or "thành phố trung ương".
	Type string
	// ValidFrom is the first day the code had this meaning; zero means the start
	// is not recorded.
	ValidFrom time.Time
	// ValidTo is the last day the code had this meaning, inclusive; zero means
	// it still has it.
	ValidTo time.Time
}

// ValidAt reports whether the province existed with this code on the calendar
// day of t.
func (p Province) ValidAt(t time.Time) bool {
	return spanOf(p.ValidFrom, p.ValidTo).contains(dayOf(t))
}

// Commune is a commune-level unit ("xã", "phường" or "đặc khu") as it was between
// ValidFrom and ValidTo.
type Commune struct {
	// Code is the five-digit official code, such as "26740".
	Code string
	// Name is the official name, such as "Phường Sài Gòn".
	Name string
	// Type is "xã", "phường" or "đặc khu".
	Type string
	// ProvinceCode is the code of the province the commune belongs to, read at
	// the same date as the commune.
	ProvinceCode string
	// ValidFrom is the first day the code had this meaning; zero means the start
	// is not recorded.
	ValidFrom time.Time
	// ValidTo is the last day the code had this meaning, inclusive; zero means
	// it still has it.
	ValidTo time.Time
}

// ValidAt reports whether the commune existed with this code on the calendar day
// of t.
func (c Commune) ValidAt(t time.Time) bool {
	return spanOf(c.ValidFrom, c.ValidTo).contains(dayOf(t))
}

// Provinces returns the provinces valid on the calendar day of at, ordered by
// code: 34 from 2025-07-01, 63 before. The slice is the caller's to modify.
func Provinces(at time.Time) []Province {
	t := data()
	d := dayOf(at)
	var out []Province
	for i, p := range t.provinces {
		if t.provinceSpans[i].contains(d) {
			out = append(out, p)
		}
	}
	return out
}

// LookupProvince returns the province that the code meant on the calendar day of
// at. It does not allocate.
func LookupProvince(code string, at time.Time) (Province, bool) {
	t := data()
	i, ok := t.provinceIndex[code]
	if !ok {
		return Province{}, false
	}
	d := dayOf(at)
	// Versions of one code are adjacent in the sorted list.
	for ; i < len(t.provinces) && t.provinces[i].Code == code; i++ {
		if t.provinceSpans[i].contains(d) {
			return t.provinces[i], true
		}
	}
	return Province{}, false
}

// Successor returns the 2025 province that took over the territory of the
// pre-2025 province with the given two-digit code, for reading old records in
// today's units. A province that was not merged (such as "04", Cao Bằng) is its
// own successor; a code that was never an old province is not found.
func Successor(oldCode string) (Province, bool) {
	code2025, ok := data().successor[oldCode]
	if !ok {
		return Province{}, false
	}
	return LookupProvince(code2025, reformDate)
}

// LookupCommune returns the commune that the code meant on the calendar day of
// at. Before 2025-07-01 nothing is found: pre-reform communes are not in the
// data. It does not allocate.
func LookupCommune(code string, at time.Time) (Commune, bool) {
	t := data()
	i, ok := t.communeIndex[code]
	if !ok {
		return Commune{}, false
	}
	d := dayOf(at)
	for ; i < len(t.communes) && t.communes[i].Code == code; i++ {
		if t.communeSpans[i].contains(d) {
			return t.communes[i], true
		}
	}
	return Commune{}, false
}

// Communes returns the communes of the given province valid on the calendar day
// of at, ordered by code. The slice is the caller's to modify.
func Communes(provinceCode string, at time.Time) []Commune {
	t := data()
	d := dayOf(at)
	var out []Commune
	for _, i := range t.communesByProvince[provinceCode] {
		if t.communeSpans[i].contains(d) {
			out = append(out, t.communes[i])
		}
	}
	return out
}

// AllCommunes returns every commune valid on the calendar day of at, ordered by
// code. The slice is the caller's to modify.
func AllCommunes(at time.Time) []Commune {
	t := data()
	d := dayOf(at)
	out := make([]Commune, 0, len(t.communes))
	for i, c := range t.communes {
		if t.communeSpans[i].contains(d) {
			out = append(out, c)
		}
	}
	return slices.Clip(out)
}

// day is a calendar date as a count of days since 1970-01-01, so validity checks
// compare integers instead of times with locations.
type day int64

// dayOf returns the calendar date of t in t's own location. Working on the date
// rather than the instant makes ValidTo inclusive for the whole day and keeps a
// local midnight from falling on the previous day in UTC.
func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// span is a validity period in days, both ends inclusive.
type span struct{ from, to day }

const (
	minDay day = -1 << 62
	maxDay day = 1 << 62
)

// spanOf converts ValidFrom/ValidTo, where zero means open-ended, to a span.
func spanOf(from, to time.Time) span {
	s := span{minDay, maxDay}
	if !from.IsZero() {
		s.from = dayOf(from)
	}
	if !to.IsZero() {
		s.to = dayOf(to)
	}
	return s
}

func (s span) contains(d day) bool { return s.from <= d && d <= s.to }

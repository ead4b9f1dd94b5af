package synth

import (
	"time"

	"github.com/dancu/dancu/internal/registry"
)

// day is a calendar date as a count of days since 1970-01-01. The generator
// reckons in days so that drawing, comparing and shifting dates is integer
// arithmetic on the hot path instead of time.Time values with locations.
type day int32

// dayOf returns the day of a civil date (proleptic Gregorian), after Howard
// Hinnant's days_from_civil.
func dayOf(y, m, d int) day {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return day(era*146097 + doe - 719468)
}

// civil returns the year, month and day of d (Hinnant's civil_from_days).
func (d day) civil() (y, m, dd int) {
	z := int(d) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, dd
}

// date returns d as a full registry.Date.
func (d day) date() registry.Date {
	y, m, dd := d.civil()
	return registry.Date{Year: y, Month: m, Day: dd}
}

// year returns the calendar year of d.
func (d day) year() int {
	y, _, _ := d.civil()
	return y
}

// dayOfDate returns the first day a possibly partial date can mean.
func dayOfDate(d registry.Date) day {
	return dayOf(d.Year, max(d.Month, 1), max(d.Day, 1))
}

// dayOfTime returns the calendar day of t in t's own location.
func dayOfTime(t time.Time) day {
	y, m, d := t.Date()
	return dayOf(y, int(m), d)
}

// addYears returns the same calendar day n years later, with 29 February
// becoming 1 March in a common year, as time.AddDate does (and so as
// registry.CardExpiry reckons birthdays).
func (d day) addYears(n int) day {
	y, m, dd := d.civil()
	y += n
	if m == 2 && dd == 29 && !leap(y) {
		m, dd = 3, 1
	}
	return dayOf(y, m, dd)
}

func leap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// ageAt returns the age in whole years on day t of someone born on day b.
func ageAt(b, t day) int {
	by, bm, bd := b.civil()
	ty, tm, td := t.civil()
	age := ty - by
	if tm < bm || (tm == bm && td < bd) {
		age--
	}
	return age
}

// appendISO appends d as YYYY-MM-DD without going through fmt, which the
// generator would otherwise call a few times per record.
func appendISO(b []byte, d day) []byte {
	y, m, dd := d.civil()
	return append(b,
		byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+dd/10), byte('0'+dd%10))
}

// iso returns d as YYYY-MM-DD.
func (d day) iso() string {
	var buf [10]byte
	return string(appendISO(buf[:0], d))
}

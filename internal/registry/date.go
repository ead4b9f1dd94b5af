package registry

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Date is a calendar date that may be known only in part: old records often
// hold just the year of birth, or the year and month. The zero Date is unknown.
// Its text form is ISO 8601: "1985-03-02", "1985-03" or "1985".
type Date struct {
	Year  int // 0 when the date is unknown
	Month int // 0 when only the year is known
	Day   int // 0 when only the year and month are known
}

// errBadDate is the reason given for any malformed date; the caller names the field.
var errBadDate = errors.New("must be YYYY-MM-DD, YYYY-MM or YYYY")

// DateOf returns the full Date of t's calendar day.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: int(m), Day: d}
}

// ParseDate parses an ISO 8601 full or partial date. The empty string is the
// zero (unknown) Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	var d Date
	var err error
	switch len(s) {
	case 4:
		d.Year, err = atoiN(s)
	case 7:
		if s[4] != '-' {
			return Date{}, errBadDate
		}
		if d.Year, err = atoiN(s[:4]); err == nil {
			d.Month, err = atoiN(s[5:])
		}
	case 10:
		if s[4] != '-' || s[7] != '-' {
			return Date{}, errBadDate
		}
		if d.Year, err = atoiN(s[:4]); err == nil {
			if d.Month, err = atoiN(s[5:7]); err == nil {
				d.Day, err = atoiN(s[8:])
			}
		}
	default:
		return Date{}, errBadDate
	}
	// Each part that is written must be non-zero: "1985-00" is not "1985".
	if err != nil || d.Year == 0 || (len(s) >= 7 && d.Month == 0) || (len(s) == 10 && d.Day == 0) {
		return Date{}, errBadDate
	}
	if err := d.Validate(); err != nil {
		return Date{}, err
	}
	return d, nil
}

// atoiN parses a string of ASCII digits only (no sign, no spaces).
func atoiN(s string) (int, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errBadDate
		}
	}
	return strconv.Atoi(s)
}

// MustParseDate is ParseDate for constants in tests and examples.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(fmt.Sprintf("registry.MustParseDate(%q): %v", s, err))
	}
	return d
}

// Validate reports whether the known parts form a real calendar date.
func (d Date) Validate() error {
	switch {
	case d.IsZero():
		return nil
	case d.Year < 1800 || d.Year > 2399:
		return errors.New("year out of range 1800-2399")
	case d.Month < 0 || d.Month > 12:
		return errors.New("month out of range")
	case d.Month == 0 && d.Day != 0:
		return errors.New("day given without month")
	case d.Day < 0:
		return errors.New("day out of range")
	case d.Day > 0 && d.Day > daysIn(d.Year, d.Month):
		return errors.New("day out of range for month")
	}
	return nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d.Year == 0 }

// IsFull reports whether year, month and day are all known.
func (d Date) IsFull() bool { return d.Day != 0 }

// String returns the ISO 8601 form, or "" for the zero Date.
func (d Date) String() string {
	var b [10]byte
	return string(d.AppendText(b[:0]))
}

// AppendText appends the ISO 8601 form to b. It is the hot path of encoding
// records, so it writes digits directly instead of going through fmt.
func (d Date) AppendText(b []byte) []byte {
	if d.Year == 0 {
		return b
	}
	b = appendDigits(b, d.Year, 4)
	if d.Month == 0 {
		return b
	}
	b = appendDigits(append(b, '-'), d.Month, 2)
	if d.Day == 0 {
		return b
	}
	return appendDigits(append(b, '-'), d.Day, 2)
}

// appendDigits appends v zero-padded to width digits (v is never negative).
func appendDigits(b []byte, v, width int) []byte {
	var buf [8]byte
	i := len(buf)
	for v > 0 || width > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(b, buf[i:]...)
}

// Earliest returns the first day the date can mean: 1985 → 1985-01-01.
func (d Date) Earliest() time.Time {
	m, day := max(d.Month, 1), max(d.Day, 1)
	return time.Date(d.Year, time.Month(m), day, 0, 0, 0, 0, time.UTC)
}

// Latest returns the last day the date can mean: 1985-02 → 1985-02-28.
func (d Date) Latest() time.Time {
	switch {
	case d.Month == 0:
		return time.Date(d.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	case d.Day == 0:
		return time.Date(d.Year, time.Month(d.Month), daysIn(d.Year, d.Month), 0, 0, 0, 0, time.UTC)
	}
	return d.Earliest()
}

// Before reports whether d certainly lies before e: every day d can mean is
// earlier than every day e can mean. Unknown dates are never before anything.
func (d Date) Before(e Date) bool {
	if d.IsZero() || e.IsZero() {
		return false
	}
	return d.Latest().Before(e.Earliest())
}

// AgeAt returns the age in whole years at time t, counting from the latest
// day the date can mean so that a partial date never overstates an age.
func (d Date) AgeAt(t time.Time) int {
	b := d.Latest()
	age := t.Year() - b.Year()
	if t.Month() < b.Month() || (t.Month() == b.Month() && t.Day() < b.Day()) {
		age--
	}
	return age
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return d.AppendText(nil), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

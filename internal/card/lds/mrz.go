package lds

import (
	"errors"
	"fmt"
	"strings"
)

// ErrCheckDigit wraps the error of an MRZ whose check digit disagrees with
// its field.
var ErrCheckDigit = errors.New("lds: MRZ check digit wrong")

// MRZError says which field of an MRZ is at fault and why. Messages name
// the field, never its value.
type MRZError struct {
	Field  string // document_number, birth_date, expiry_date, composite, layout, ...
	Reason string
	err    error
}

func (e *MRZError) Error() string { return "MRZ " + e.Field + ": " + e.Reason }

// Unwrap lets errors.Is find ErrCheckDigit or ErrMalformed.
func (e *MRZError) Unwrap() error { return e.err }

// TD1 line length and line count (Doc 9303 part 5).
const (
	TD1LineLen = 30
	TD1Lines   = 3
)

// TD1 holds the fields of a TD1 machine-readable zone, as they stand in it:
// upper-case A–Z, 0–9 and the filler '<', dates as YYMMDD (with '<' for an
// unknown part). Check digits are computed, not stored.
type TD1 struct {
	DocumentCode   string // 2 characters: "ID" (a one-letter code is padded: "I<")
	IssuingState   string // 3 characters: "VNM"
	DocumentNumber string // up to 9 characters
	Optional1      string // up to 15 characters
	BirthDate      string // YYMMDD
	Sex            string // "M", "F" or "<"
	ExpiryDate     string // YYMMDD, or "" for a document that does not expire
	Nationality    string // 3 characters
	Optional2      string // up to 11 characters
	Primary        string // the primary identifier (surname), words separated by '<'
	Secondary      string // the secondary identifier (given names)
}

// CheckDigit computes the Doc 9303 part 3, 4.9 check digit of s: weights 7,
// 3, 1 repeated, digits their value, A–Z 10–35, '<' 0, sum modulo 10. It
// returns false if s holds a character outside that set.
func CheckDigit(s string) (byte, bool) {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		case c == '<':
			v = 0
		default:
			return 0, false
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10), true
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat("<", n-len(s))
}

func digit(s string) byte {
	d, _ := CheckDigit(s)
	return d
}

// mrzChars reports whether s holds only characters an MRZ may hold.
func mrzChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
			return false
		}
	}
	return true
}

// Lines returns the three 30-character lines of the zone, with every check
// digit computed. A name too long for line 3 is truncated as Doc 9303
// part 3, 4.6 allows: the secondary identifier first, down to its initial,
// then the primary.
func (m *TD1) Lines() ([3]string, error) {
	fields := map[string]string{
		"document_code": m.DocumentCode, "issuing_state": m.IssuingState, "document_number": m.DocumentNumber,
		"optional_data_1": m.Optional1, "birth_date": m.BirthDate, "sex": m.Sex, "expiry_date": m.ExpiryDate,
		"nationality": m.Nationality, "optional_data_2": m.Optional2, "primary_identifier": m.Primary,
		"secondary_identifier": m.Secondary,
	}
	for name, v := range fields {
		if !mrzChars(v) {
			return [3]string{}, &MRZError{Field: name, Reason: "holds a character outside A-Z, 0-9 and <", err: ErrMalformed}
		}
	}
	switch {
	case len(m.DocumentCode) < 1 || len(m.DocumentCode) > 2:
		return [3]string{}, &MRZError{Field: "document_code", Reason: "must be 1 or 2 characters", err: ErrMalformed}
	case len(m.IssuingState) != 3 || len(m.Nationality) != 3:
		return [3]string{}, &MRZError{Field: "issuing_state", Reason: "states are 3 characters", err: ErrMalformed}
	case len(m.DocumentNumber) > 9:
		return [3]string{}, &MRZError{Field: "document_number", Reason: "longer than 9 characters", err: ErrMalformed}
	case len(m.Optional1) > 15 || len(m.Optional2) > 11:
		return [3]string{}, &MRZError{Field: "optional_data", Reason: "too long", err: ErrMalformed}
	case len(m.BirthDate) != 6:
		return [3]string{}, &MRZError{Field: "birth_date", Reason: "must be YYMMDD", err: ErrMalformed}
	case m.ExpiryDate != "" && len(m.ExpiryDate) != 6:
		return [3]string{}, &MRZError{Field: "expiry_date", Reason: "must be YYMMDD", err: ErrMalformed}
	case len(m.Sex) != 1:
		return [3]string{}, &MRZError{Field: "sex", Reason: "must be M, F or <", err: ErrMalformed}
	}
	num := pad(m.DocumentNumber, 9)
	l1 := pad(m.DocumentCode, 2) + m.IssuingState + num + string(digit(num)) + pad(m.Optional1, 15)
	exp := pad(m.ExpiryDate, 6)
	l2 := m.BirthDate + string(digit(m.BirthDate)) + m.Sex + exp + string(digit(exp)) + m.Nationality + pad(m.Optional2, 11)
	l2 += string(composite(l1, l2))
	return [3]string{l1, l2, nameLine(m.Primary, m.Secondary)}, nil
}

// composite is the check digit of line 1 from position 6 and of line 2's
// birth date, expiry date and optional data, with their check digits
// (Doc 9303 part 5, 4.2.2).
func composite(l1, l2 string) byte {
	return digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
}

// nameLine lays out line 3 and truncates a long name.
func nameLine(primary, secondary string) string {
	trim := func(s string) string { return strings.Trim(s, "<") }
	primary, secondary = trim(primary), trim(secondary)
	line := primary
	if secondary != "" {
		line += "<<" + secondary
	}
	for len(line) > TD1LineLen && secondary != "" {
		// Drop the last character of the secondary identifier's longest
		// tail; an initial is the least it keeps of each name.
		words := strings.Split(secondary, "<")
		cut := false
		for i := len(words) - 1; i >= 0; i-- {
			if len(words[i]) > 1 {
				words[i] = words[i][:len(words[i])-1]
				cut = true
				break
			}
		}
		if !cut {
			words = words[:len(words)-1]
		}
		secondary = strings.Join(words, "<")
		line = primary
		if secondary != "" {
			line += "<<" + secondary
		}
	}
	if len(line) > TD1LineLen {
		line = line[:TD1LineLen]
	}
	return pad(line, TD1LineLen)
}

// Format returns the zone as its three lines joined by newlines.
func (m *TD1) Format() (string, error) {
	l, err := m.Lines()
	if err != nil {
		return "", err
	}
	return l[0] + "\n" + l[1] + "\n" + l[2], nil
}

// ParseTD1 reads a TD1 zone: three lines of 30 characters, given as 90
// characters or with line breaks between them. Every check digit must
// agree; the error names the first field that does not.
func ParseTD1(s string) (*TD1, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), "\r", ""), "\n", "")
	if len(s) != TD1Lines*TD1LineLen {
		return nil, &MRZError{Field: "layout", Reason: fmt.Sprintf("must be 3 lines of 30 characters, not %d characters", len(s)), err: ErrMalformed}
	}
	if !mrzChars(s) {
		return nil, &MRZError{Field: "layout", Reason: "holds a character outside A-Z, 0-9 and <", err: ErrMalformed}
	}
	l1, l2, l3 := s[0:30], s[30:60], s[60:90]
	checks := []struct {
		field      string
		data       string
		checkDigit byte
	}{
		{"document_number", l1[5:14], l1[14]},
		{"birth_date", l2[0:6], l2[6]},
		{"expiry_date", l2[8:14], l2[14]},
		{"composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29]},
	}
	for _, c := range checks {
		if d, _ := CheckDigit(c.data); d != c.checkDigit {
			return nil, &MRZError{Field: c.field, Reason: "check digit does not match", err: ErrCheckDigit}
		}
	}
	if sex := l2[7]; sex != 'M' && sex != 'F' && sex != '<' {
		return nil, &MRZError{Field: "sex", Reason: "must be M, F or <", err: ErrMalformed}
	}
	if !validYYMMDD(l2[0:6], true) {
		return nil, &MRZError{Field: "birth_date", Reason: "not a date YYMMDD", err: ErrMalformed}
	}
	if l2[8:14] != "<<<<<<" && !validYYMMDD(l2[8:14], false) {
		return nil, &MRZError{Field: "expiry_date", Reason: "not a date YYMMDD", err: ErrMalformed}
	}
	strip := func(x string) string { return strings.TrimRight(x, "<") }
	m := &TD1{
		DocumentCode: strip(l1[0:2]), IssuingState: l1[2:5], DocumentNumber: strip(l1[5:14]),
		Optional1: strip(l1[15:30]), BirthDate: l2[0:6], Sex: l2[7:8], ExpiryDate: l2[8:14],
		Nationality: l2[15:18], Optional2: strip(l2[18:29]),
	}
	if m.ExpiryDate == "<<<<<<" {
		m.ExpiryDate = ""
	}
	name := strip(l3)
	if i := strings.Index(name, "<<"); i >= 0 {
		m.Primary, m.Secondary = name[:i], strings.TrimLeft(name[i+2:], "<")
	} else {
		m.Primary = name
	}
	return m, nil
}

// validYYMMDD checks a date field; an unknown month or day ('<<', Doc 9303
// part 3, 4.7) is allowed in a birth date.
func validYYMMDD(s string, unknownOK bool) bool {
	two := func(x string, lo, hi int) bool {
		if unknownOK && x == "<<" {
			return true
		}
		if x[0] < '0' || x[0] > '9' || x[1] < '0' || x[1] > '9' {
			return false
		}
		v := int(x[0]-'0')*10 + int(x[1]-'0')
		return v >= lo && v <= hi
	}
	return two(s[0:2], 0, 99) && two(s[2:4], 1, 12) && two(s[4:6], 1, 31)
}

// Name returns the holder's name as the zone gives it: the words of the
// secondary then primary identifier, separated by spaces.
func (m *TD1) Name() (primary, secondary string) {
	return strings.ReplaceAll(m.Primary, "<", " "), strings.ReplaceAll(m.Secondary, "<", " ")
}

package qr

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Payload is the content of the card's QR code. Dates are ISO 8601
// (YYYY-MM-DD, or YYYY-MM / YYYY when only that is known).
type Payload struct {
	PIN         string `json:"pin"`
	OldIDNumber string `json:"old_id_number,omitempty"`
	FullName    string `json:"full_name"`
	BirthDate   string `json:"birth_date"`
	Sex         string `json:"sex" enum:"male,female"`
	Address     string `json:"permanent_address"`
	IssueDate   string `json:"issue_date"`
}

// ErrInvalid wraps every parse failure; *Error says which field.
var ErrInvalid = errors.New("qr: invalid payload")

// Error is a payload that does not parse. It names the field and the rule,
// never the value.
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string { return "QR payload: " + e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

func bad(field, reason string) error { return &Error{Field: field, Reason: reason} }

// maxPayload bounds what Parse reads: a real payload is under 300 bytes.
const maxPayload = 2048

// Format returns the payload as the card's QR code holds it.
func Format(p Payload) (string, error) {
	if err := checkPIN(p.PIN); err != nil {
		return "", err
	}
	dob, err := printed(p.BirthDate, "birth_date")
	if err != nil {
		return "", err
	}
	issued, err := printed(p.IssueDate, "issue_date")
	if err != nil {
		return "", err
	}
	var sex string
	switch p.Sex {
	case "male":
		sex = "Nam"
	case "female":
		sex = "Nữ"
	default:
		return "", bad("sex", "must be male or female")
	}
	for _, f := range []struct{ name, v string }{{"full_name", p.FullName}, {"permanent_address", p.Address}, {"old_id_number", p.OldIDNumber}} {
		if strings.ContainsAny(f.v, "|\r\n") {
			return "", bad(f.name, "must not hold '|' or a line break")
		}
	}
	return strings.Join([]string{p.PIN, p.OldIDNumber, norm.NFC.String(p.FullName), dob, sex, norm.NFC.String(p.Address), issued}, "|"), nil
}

// printed turns an ISO date into ddmmyyyy, with 00 for an unknown part.
func printed(iso, field string) (string, error) {
	d, err := parseISO(iso)
	if err != nil {
		return "", bad(field, "must be a date YYYY-MM-DD, YYYY-MM or YYYY")
	}
	return fmt.Sprintf("%02d%02d%04d", d[2], d[1], d[0]), nil
}

// parseISO reads YYYY, YYYY-MM or YYYY-MM-DD into year, month, day (0 when
// unknown) and checks that the date exists.
func parseISO(s string) ([3]int, error) {
	var d [3]int
	var err error
	switch len(s) {
	case 4:
		_, err = fmt.Sscanf(s, "%4d", &d[0])
	case 7:
		_, err = time.Parse("2006-01", s)
		if err == nil {
			_, err = fmt.Sscanf(s, "%4d-%2d", &d[0], &d[1])
		}
	case 10:
		_, err = time.Parse(time.DateOnly, s)
		if err == nil {
			_, err = fmt.Sscanf(s, "%4d-%2d-%2d", &d[0], &d[1], &d[2])
		}
	default:
		err = errors.New("length")
	}
	if err != nil || d[0] < 1800 || d[0] > 2400 {
		return d, errors.New("not a date")
	}
	return d, nil
}

func checkPIN(s string) error {
	if len(s) != 12 || !digits(s) {
		return bad("pin", "must be 12 digits")
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseDate reads a printed date: ddmmyyyy, dd/mm/yyyy, mmyyyy or yyyy,
// with 00 for an unknown day or month, into ISO form.
func parseDate(s, field string) (string, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "/", ""), "-", "")
	var day, month, year string
	switch len(s) {
	case 8:
		day, month, year = s[0:2], s[2:4], s[4:8]
	case 6:
		month, year = s[0:2], s[2:6]
	case 4:
		year = s
	default:
		return "", bad(field, "must be a date ddmmyyyy")
	}
	if !digits(s) {
		return "", bad(field, "must be a date ddmmyyyy")
	}
	iso := year
	switch {
	case month == "" || month == "00":
		if day != "" && day != "00" {
			return "", bad(field, "a day without a month")
		}
	case day == "" || day == "00":
		iso += "-" + month
	default:
		iso += "-" + month + "-" + day
	}
	if _, err := parseISO(iso); err != nil {
		return "", bad(field, "not a date that exists")
	}
	return iso, nil
}

func parseSex(s string) (string, error) {
	k := strings.ToLower(norm.NFC.String(s))
	switch k {
	case "nam", "male", "m":
		return "male", nil
	case "nữ", "nu", "female", "f":
		return "female", nil
	}
	return "", bad("sex", "must be Nam or Nữ")
}

// Parse reads a QR payload. It accepts the variants the package comment
// lists and refuses, naming the field, a payload with a field missing or
// malformed.
func Parse(s string) (Payload, error) {
	if len(s) > maxPayload {
		return Payload{}, bad("payload", "longer than 2048 bytes")
	}
	if !utf8.ValidString(s) {
		return Payload{}, bad("payload", "not UTF-8")
	}
	s = strings.TrimPrefix(strings.TrimSpace(s), "\uFEFF")
	s = strings.TrimSpace(norm.NFC.String(s))
	if s == "" {
		return Payload{}, bad("payload", "empty")
	}
	f := strings.Split(s, "|")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	// Without the old-CMND field the payload has six fields and the date of
	// birth third: put an empty field back. An empty second field is the
	// old-CMND field itself, left empty, whatever follows it (a name of four
	// digits looks like a year).
	if len(f) == 6 || (len(f) > 6 && f[1] != "" && !looksLikeOldID(f[1]) && looksLikeDate(f[2])) {
		f = append(f[:1], append([]string{""}, f[1:]...)...)
	}
	names := []string{"pin", "old_id_number", "full_name", "birth_date", "sex", "permanent_address", "issue_date"}
	if len(f) < 7 {
		return Payload{}, bad(names[len(f)], "missing: the payload has "+fmt.Sprint(len(f))+" fields, 7 are expected")
	}
	var p Payload
	var err error
	if err = checkPIN(f[0]); err != nil {
		return Payload{}, err
	}
	p.PIN = f[0]
	if f[1] != "" && !looksLikeOldID(f[1]) {
		return Payload{}, bad("old_id_number", "must be empty, 9 or 12 digits")
	}
	p.OldIDNumber = f[1]
	if p.FullName = f[2]; p.FullName == "" {
		return Payload{}, bad("full_name", "missing")
	}
	if p.BirthDate, err = parseDate(f[3], "birth_date"); err != nil {
		return Payload{}, err
	}
	if p.Sex, err = parseSex(f[4]); err != nil {
		return Payload{}, err
	}
	if p.Address = f[5]; p.Address == "" {
		return Payload{}, bad("permanent_address", "missing")
	}
	if p.IssueDate, err = parseDate(f[6], "issue_date"); err != nil {
		return Payload{}, err
	}
	if len(p.IssueDate) != 10 {
		return Payload{}, bad("issue_date", "must be a full date ddmmyyyy")
	}
	return p, nil
}

func looksLikeOldID(s string) bool { return (len(s) == 9 || len(s) == 12) && digits(s) }

func looksLikeDate(s string) bool {
	s = strings.ReplaceAll(s, "/", "")
	return (len(s) == 8 || len(s) == 4) && digits(s)
}

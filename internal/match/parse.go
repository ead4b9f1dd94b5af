package match

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/pin"
)

// Format is the format of a bulk verification file.
type Format string

// The formats.
const (
	CSV    Format = "csv"
	NDJSON Format = "ndjson"
)

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, bool) {
	switch strings.ToLower(s) {
	case "csv":
		return CSV, true
	case "ndjson", "jsonl":
		return NDJSON, true
	}
	return "", false
}

// Limits of one line.
const (
	// MaxLineBytes bounds one input line; a longer one is reported and
	// skipped.
	MaxLineBytes = 16 << 10
	maxNameBytes = 300
	maxAddrBytes = 1000
)

// Subscriber is one parsed line of a subscriber list.
type Subscriber struct {
	Phone string // national form
	PIN   string // as given; PINOK says whether it is a valid PIN
	PINOK bool
	Claim Claim
}

// LineError says why a line could not be read. Reasons name the field and
// the rule, never the value.
type LineError struct {
	Line   int64  `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

func (e *LineError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

func lineErr(field, format string, args ...any) *LineError {
	return &LineError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// The columns of a subscriber list, as a CSV header or NDJSON keys name them.
const (
	colPhone = iota
	colPIN
	colName
	colBirth
	colSex
	colAddress
	colDocument
	numCols
)

var colNames = [numCols]string{"phone", "pin", "full_name", "birth_date", "sex", "address", "document_number"}

// requiredCols are the columns every list has.
var requiredCols = []int{colPhone, colPIN, colName, colBirth, colSex}

// Columns maps a CSV header's columns to the fields of a subscriber.
type Columns struct {
	idx   [numCols]int // -1 when absent
	count int          // columns in the header
	comma byte
}

// colAliases are other header names in use for a column.
var colAliases = map[string]int{
	"msisdn": colPhone, "phone_number": colPhone, "so_thue_bao": colPhone,
	"id_number": colPIN, "cccd": colPIN, "so_dinh_danh": colPIN,
	"name": colName, "ho_ten": colName,
	"dob": colBirth, "date_of_birth": colBirth, "ngay_sinh": colBirth,
	"gender": colSex, "gioi_tinh": colSex,
	"dia_chi":  colAddress,
	"document": colDocument, "so_giay_to": colDocument,
}

// ParseCSVHeader reads the header line of a CSV subscriber list. The
// separator is a comma, or a semicolon when the header has semicolons and no
// comma (spreadsheets in some locales). The error names what is wrong.
func ParseCSVHeader(line []byte) (Columns, error) {
	var c Columns
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	line = bytes.TrimRight(line, "\r\n")
	if !utf8.Valid(line) {
		return c, fmt.Errorf("the header line is not valid UTF-8")
	}
	c.comma = ','
	if bytes.IndexByte(line, ',') < 0 && bytes.IndexByte(line, ';') >= 0 {
		c.comma = ';'
	}
	fields, err := splitCSV(line, c.comma, nil)
	if err != nil {
		return c, fmt.Errorf("the header line: %s", err.Reason)
	}
	for i := range c.idx {
		c.idx[i] = -1
	}
	for i, f := range fields {
		name := strings.ToLower(strings.TrimSpace(f))
		col := -1
		for j, n := range colNames {
			if n == name {
				col = j
			}
		}
		if col < 0 {
			if a, ok := colAliases[name]; ok {
				col = a
			}
		}
		if col < 0 {
			continue // other columns are the carrier's own; they are ignored
		}
		if c.idx[col] >= 0 {
			return c, fmt.Errorf("the header names the column %s twice", colNames[col])
		}
		c.idx[col] = i
	}
	var missing []string
	for _, col := range requiredCols {
		if c.idx[col] < 0 {
			missing = append(missing, colNames[col])
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("the header line lacks the column(s) %s (it must name phone, pin, full_name, birth_date and sex; address and document_number are optional)", strings.Join(missing, ", "))
	}
	c.count = len(fields)
	return c, nil
}

// splitCSV splits one CSV record (RFC 4180 quoting, no line breaks inside
// fields) into fields, reusing buf.
func splitCSV(line []byte, comma byte, buf []string) ([]string, *LineError) {
	out := buf[:0]
	i := 0
	for {
		if i < len(line) && line[i] == '"' {
			var b []byte
			i++
			closed := false
			for i < len(line) {
				if line[i] == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						b = append(b, '"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b = append(b, line[i])
				i++
			}
			if !closed {
				return nil, lineErr("", "a quoted field is not closed")
			}
			out = append(out, string(b))
			if i == len(line) {
				return out, nil
			}
			if line[i] != comma {
				return nil, lineErr("", "a quoted field is followed by text before the separator")
			}
			i++
			continue
		}
		j := bytes.IndexByte(line[i:], comma)
		if j < 0 {
			f := line[i:]
			if bytes.IndexByte(f, '"') >= 0 {
				return nil, lineErr("", "a quote inside an unquoted field")
			}
			return append(out, string(f)), nil
		}
		f := line[i : i+j]
		if bytes.IndexByte(f, '"') >= 0 {
			return nil, lineErr("", "a quote inside an unquoted field")
		}
		out = append(out, string(f))
		i += j + 1
	}
}

// checkUTF8 reports where a line stops being UTF-8: the encoding is
// reported, never guessed (a Windows-1258 or TCVN3 file must be converted by
// its sender, who knows which it is).
func checkUTF8(line []byte) *LineError {
	if utf8.Valid(line) {
		return nil
	}
	at := 0
	for at < len(line) {
		r, n := utf8.DecodeRune(line[at:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		at += n
	}
	return lineErr("", "not valid UTF-8 (first bad byte at column %d); send the file in UTF-8", at+1)
}

// ParseCSVLine reads one CSV line (without its line break) with the
// header's columns.
func ParseCSVLine(c *Columns, line []byte, buf []string) (Subscriber, []string, *LineError) {
	if e := checkUTF8(line); e != nil {
		return Subscriber{}, buf, e
	}
	fields, e := splitCSV(line, c.comma, buf)
	if e != nil {
		return Subscriber{}, buf, e
	}
	if len(fields) != c.count {
		return Subscriber{}, fields, lineErr("", "has %d columns, the header has %d", len(fields), c.count)
	}
	var raw [numCols]string
	for col, i := range c.idx {
		if i >= 0 {
			raw[col] = fields[i]
		}
	}
	s, e := subscriberOf(&raw)
	return s, fields, e
}

// ndjsonLine is one NDJSON line. Values must be strings: a PIN or phone
// number written as a JSON number has lost its leading zero.
type ndjsonLine struct {
	Phone    *string `json:"phone"`
	PIN      *string `json:"pin"`
	FullName *string `json:"full_name"`
	Birth    *string `json:"birth_date"`
	Sex      *string `json:"sex"`
	Address  *string `json:"address"`
	Document *string `json:"document_number"`
}

// ParseNDJSONLine reads one NDJSON line: an object with the columns as keys.
func ParseNDJSONLine(line []byte) (Subscriber, *LineError) {
	if e := checkUTF8(line); e != nil {
		return Subscriber{}, e
	}
	var l ndjsonLine
	if err := json.Unmarshal(line, &l); err != nil {
		var te *json.UnmarshalTypeError
		if errorsAs(err, &te) && te.Field != "" {
			return Subscriber{}, lineErr(te.Field, "must be a string")
		}
		return Subscriber{}, lineErr("", "not a JSON object")
	}
	var raw [numCols]string
	for i, p := range []*string{l.Phone, l.PIN, l.FullName, l.Birth, l.Sex, l.Address, l.Document} {
		if p != nil {
			raw[i] = *p
		}
	}
	return subscriberOf(&raw)
}

// subscriberOf checks a line's values.
func subscriberOf(raw *[numCols]string) (Subscriber, *LineError) {
	var s Subscriber
	for i := range raw {
		raw[i] = strings.TrimSpace(raw[i])
	}
	for _, col := range requiredCols {
		if raw[col] == "" {
			return s, lineErr(colNames[col], "is empty")
		}
	}
	s.Phone = normPhone(raw[colPhone])
	if len(s.Phone) < 9 || len(s.Phone) > 15 || strings.Trim(raw[colPhone], "+0123456789 .-()") != "" {
		return s, lineErr("phone", "is not a phone number")
	}
	s.PIN = raw[colPIN]
	if len(s.PIN) > 20 {
		s.PIN = s.PIN[:20]
	}
	_, err := pin.Parse(s.PIN)
	s.PINOK = err == nil
	if len(raw[colName]) > maxNameBytes {
		return s, lineErr("full_name", "is longer than %d bytes", maxNameBytes)
	}
	s.Claim.FullName = raw[colName]
	d, ok := parseBirthDate(raw[colBirth])
	if !ok {
		return s, lineErr("birth_date", "must be YYYY-MM-DD, YYYY-MM, YYYY or DD/MM/YYYY, and a real date")
	}
	s.Claim.BirthDate = d
	sex, ok := parseSex(raw[colSex])
	if !ok {
		return s, lineErr("sex", "must be male or female (or M/F, Nam/Nữ)")
	}
	s.Claim.Sex = sex
	if len(raw[colAddress]) > maxAddrBytes {
		return s, lineErr("address", "is longer than %d bytes", maxAddrBytes)
	}
	s.Claim.Address = raw[colAddress]
	if raw[colDocument] != "" {
		if digits(raw[colDocument]) == "" || len(raw[colDocument]) > 20 {
			return s, lineErr("document_number", "is not a document number")
		}
		s.Claim.Document = raw[colDocument]
	}
	return s, nil
}

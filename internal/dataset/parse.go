package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/jsonscan"
	"github.com/dancu/dancu/internal/pin"
)

// Parsed is one validated record as it arrives: its key, the person's PIN
// and the attributes in canonical form (schema order, no spaces), so that the
// same content always hashes the same whatever the sender's formatting.
type Parsed struct {
	Key  string
	PIN  string
	Data []byte
}

// LineError says why a line or a record was refused. Reasons name the rule
// broken and the field, never the value: they go back to the sender and
// into summaries, and values are personal data.
type LineError struct {
	Line   int    `json:"line,omitempty" doc:"Line number in the upload, from 1."`
	Field  string `json:"field,omitempty" doc:"The member at fault, such as pin or attributes.status; empty for the line as a whole."`
	Reason string `json:"reason"`
}

func (e *LineError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// keyPattern is the form of record keys: they appear in URLs and summaries.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)

// maxNameEcho bounds how much of an unknown member's name a reason repeats.
const maxNameEcho = 40

func lineErr(field, reason string) *LineError { return &LineError{Field: field, Reason: reason} }

// jsonString decodes a JSON string value; ok is false for any other type.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func typeName(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func echoName(name string) string {
	if len(name) > maxNameEcho || !utf8.ValidString(name) {
		return "(a long name)"
	}
	return name
}

// ParseLine parses and validates one NDJSON line of an upload:
//
//	{"key": "...", "pin": "...", "attributes": {...}}
//
// The line must be valid UTF-8 (JSON decoders would quietly replace bad
// bytes), one JSON object with exactly those members, a well-formed PIN and
// attributes that follow the kind's schema. Whether the PIN is on the
// registry is checked later, for a whole batch at once.
func (k *Kind) ParseLine(line []byte) (Parsed, *LineError) {
	if !utf8.Valid(line) {
		return Parsed{}, lineErr("", "not valid UTF-8")
	}
	if !json.Valid(line) {
		return Parsed{}, syntaxError(line)
	}
	var buf [4]jsonscan.Member
	ms, err := jsonscan.Members(line, buf[:0])
	if err != nil {
		return Parsed{}, lineErr("", "must be a JSON object")
	}
	// A repeated member counts once, the later value winning, as it did
	// when lines were decoded into maps.
	var key, pinRaw, attrs json.RawMessage
	for _, m := range ms {
		switch m.Name {
		case "key":
			key = m.Raw
		case "pin":
			pinRaw = m.Raw
		case "attributes":
			attrs = m.Raw
		default:
			return Parsed{}, lineErr(echoName(m.Name), "unknown member")
		}
	}
	var p Parsed
	if e := k.parseKeyPIN(key, pinRaw, &p); e != nil {
		return Parsed{}, e
	}
	data, e := k.canonical(attrs, true)
	if e != nil {
		return Parsed{}, e
	}
	p.Data = data
	return p, nil
}

// syntaxError describes invalid JSON the way the standard decoder sees it,
// with the offset of the first bad byte. Only refused lines come here.
func syntaxError(line []byte) *LineError {
	var v any
	err := json.Unmarshal(line, &v)
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return lineErr("", fmt.Sprintf("not valid JSON (at byte %d)", se.Offset))
	}
	return lineErr("", "not valid JSON")
}

// parseKeyPIN checks the key and PIN members' raw values, nil when absent.
func (k *Kind) parseKeyPIN(keyRaw, pinRaw json.RawMessage, p *Parsed) *LineError {
	if keyRaw == nil {
		return lineErr("key", "is required")
	}
	key, ok := jsonString(keyRaw)
	if !ok {
		return lineErr("key", "must be a string, not "+typeName(keyRaw))
	}
	if !keyPattern.MatchString(key) {
		return lineErr("key", "must be 1-100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit")
	}
	if pinRaw == nil {
		return lineErr("pin", "is required")
	}
	s, ok := jsonString(pinRaw)
	if !ok {
		return lineErr("pin", "must be a string, not "+typeName(pinRaw))
	}
	if e := CheckPIN(s); e != nil {
		return e
	}
	p.Key, p.PIN = key, s
	return nil
}

// CheckPIN validates the form of a PIN, for the record that links to it.
func CheckPIN(s string) *LineError {
	if _, err := pin.Parse(s); err != nil {
		var pe *pin.Error
		if errors.As(err, &pe) {
			return lineErr("pin", pe.Reason)
		}
		return lineErr("pin", "not a valid personal identification number")
	}
	return nil
}

// Canonical validates an attributes object against the kind's schema and
// returns it in canonical form. Field names in errors are prefixed with
// "attributes.".
func (k *Kind) Canonical(attrs json.RawMessage) ([]byte, *LineError) {
	return k.canonical(attrs, false)
}

// canonical is Canonical; valid says attrs is already known to be valid
// JSON (it came from a line that was checked whole).
func (k *Kind) canonical(attrs json.RawMessage, valid bool) ([]byte, *LineError) {
	if len(attrs) == 0 {
		return nil, lineErr("attributes", "is required")
	}
	if attrs[0] != '{' {
		return nil, lineErr("attributes", "must be an object, not "+typeName(attrs))
	}
	if !valid && !json.Valid(attrs) {
		return nil, lineErr("attributes", "not valid JSON")
	}
	var buf [8]jsonscan.Member
	ms, err := jsonscan.Members(attrs, buf[:0])
	if err != nil {
		return nil, lineErr("attributes", "not valid JSON")
	}
	// raws[i] is the value of k.Fields[i], nil when absent; a repeated
	// attribute's later value wins.
	raws := make([]json.RawMessage, len(k.Fields))
	for _, m := range ms {
		i := fieldIndex(k.Fields, m.Name)
		if i < 0 {
			return nil, lineErr("attributes."+echoName(m.Name), "unknown attribute for a "+k.Name+" dataset")
		}
		raws[i] = m.Raw
	}
	vals := make([]string, len(k.Fields))
	for i, f := range k.Fields {
		raw := raws[i]
		if raw == nil || string(raw) == "null" {
			if f.Required {
				return nil, lineErr("attributes."+f.Name, "is required")
			}
			continue
		}
		s, ok := jsonString(raw)
		if !ok {
			return nil, lineErr("attributes."+f.Name, "must be a string, not "+typeName(raw))
		}
		if len(s) > maxValueBytes {
			return nil, lineErr("attributes."+f.Name, fmt.Sprintf("is longer than %d bytes", maxValueBytes))
		}
		if r := f.check(s); r != "" {
			return nil, lineErr("attributes."+f.Name, r)
		}
		vals[i] = s
	}
	if k.cross != nil {
		if field, reason := k.cross(vals); reason != "" {
			return nil, lineErr("attributes."+field, reason)
		}
	}
	out := make([]byte, 0, 16*len(vals)+len(attrs))
	out = append(out, '{')
	for i, f := range k.Fields {
		if vals[i] == "" {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		// Every schema check admits only printable ASCII, where Go's
		// quoting and JSON's agree.
		out = strconv.AppendQuote(append(append(append(out, '"'), f.Name...), '"', ':'), vals[i])
	}
	return append(out, '}'), nil
}

// fieldIndex returns the index of the field with a name, or -1.
func fieldIndex(fs []Field, name string) int {
	for i := range fs {
		if fs[i].Name == name {
			return i
		}
	}
	return -1
}

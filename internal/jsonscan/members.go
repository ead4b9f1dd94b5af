package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// Member is one name and raw value of a JSON object.
type Member struct {
	Name string // escapes decoded
	Raw  []byte // the value as it appears in the input, no surrounding space
}

// ErrNotObject reports valid JSON that is not an object.
var ErrNotObject = errors.New("not a JSON object")

// Members appends the members of the JSON object in data to dst, in
// document order; a repeated name appears twice, and callers let the later
// one win, as decoding into a map does. data must already be known to be
// valid JSON (json.Valid): the scan then only has to find where each value
// ends, without checking it. On other input it returns an error, never a
// wrong member.
func Members(data []byte, dst []Member) ([]Member, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return dst, ErrNotObject
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return dst, nil
	}
	for i < len(data) {
		end := skipString(data, i)
		if end < 0 {
			return dst, errors.New("malformed member name")
		}
		name, err := decodeName(data[i:end])
		if err != nil {
			return dst, err
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return dst, errors.New("missing colon")
		}
		i = skipSpace(data, i+1)
		end = skipValue(data, i)
		if end < 0 {
			return dst, errors.New("malformed value")
		}
		dst = append(dst, Member{Name: name, Raw: data[i:end]})
		i = skipSpace(data, end)
		if i >= len(data) {
			break
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return dst, nil
		default:
			return dst, errors.New("malformed object")
		}
	}
	return dst, errors.New("unterminated object")
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at data[i],
// or -1.
func skipString(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++ // the escaped byte; \uXXXX's digits hold no quote
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index just past the value starting at data[i], or
// -1.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				if i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default: // a number, true, false or null
		start := i
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		if i == start {
			return -1
		}
		return i
	}
}

// decodeName returns a member name without its quotes, as encoding/json
// decodes it, taking the slow path only the rare times it must.
func decodeName(quoted []byte) (string, error) {
	body := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body), nil
	}
	// encoding/json's way: escapes decoded, invalid UTF-8 replaced by
	// U+FFFD.
	var s string
	err := json.Unmarshal(quoted, &s)
	return s, err
}

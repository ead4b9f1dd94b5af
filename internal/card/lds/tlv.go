package lds

import (
	"errors"
	"fmt"
)

// ErrMalformed wraps every error of a TLV, data group or EF.SOD that does
// not parse: the input is truncated, a length runs past its container, a
// tag is not the one expected, or bytes trail the object.
var ErrMalformed = errors.New("lds: malformed")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// maxDepth bounds how deep ParseTLV descends into constructed objects, so
// that hostile nesting cannot exhaust the stack.
const maxDepth = 16

// TLV is one BER-TLV object (ISO/IEC 7816-4 and Doc 9303 part 10): a tag of
// one to three bytes kept as read (0x61, 0x5F1F, 0x7F61), and its value.
// Children are filled for constructed tags by ParseTLV.
type TLV struct {
	Tag      uint32
	Value    []byte
	Children []TLV
}

// Constructed reports whether the tag says the value holds further TLVs.
func (t TLV) Constructed() bool {
	first := t.Tag
	for first > 0xFF {
		first >>= 8
	}
	return first&0x20 != 0
}

// Find returns the first child with a tag, depth first, or false.
func (t TLV) Find(tag uint32) (TLV, bool) {
	for _, c := range t.Children {
		if c.Tag == tag {
			return c, true
		}
		if f, ok := c.Find(tag); ok {
			return f, true
		}
	}
	return TLV{}, false
}

// readTLV reads one object from b and returns it and the rest. It accepts
// definite lengths only (Doc 9303 uses nothing else) in their shortest
// form, up to four length bytes.
func readTLV(b []byte) (tag uint32, value, rest []byte, err error) {
	if len(b) == 0 {
		return 0, nil, nil, malformed("empty input where a tag was expected")
	}
	tag = uint32(b[0])
	i := 1
	if b[0]&0x1F == 0x1F { // the tag continues
		for {
			if i >= len(b) {
				return 0, nil, nil, malformed("truncated tag")
			}
			if i >= 3 {
				return 0, nil, nil, malformed("tag longer than three bytes")
			}
			tag = tag<<8 | uint32(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return 0, nil, nil, malformed("truncated length of tag %X", tag)
	}
	n := int(b[i])
	i++
	if n == 0x80 {
		return 0, nil, nil, malformed("indefinite length of tag %X", tag)
	}
	if n > 0x80 {
		k := n & 0x7F
		if k > 4 || i+k > len(b) {
			return 0, nil, nil, malformed("bad length of tag %X", tag)
		}
		n = 0
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		if n < 0x80 || (k > 1 && b[i] == 0) {
			return 0, nil, nil, malformed("length of tag %X not in its shortest form", tag)
		}
		i += k
	}
	if n > len(b)-i {
		return 0, nil, nil, malformed("tag %X: length %d runs past the %d bytes left", tag, n, len(b)-i)
	}
	return tag, b[i : i+n], b[i+n:], nil
}

// ParseTLV parses b as exactly one TLV object, descending into constructed
// values. Trailing bytes are an error.
func ParseTLV(b []byte) (TLV, error) {
	t, rest, err := parseTLV(b, 0)
	if err != nil {
		return TLV{}, err
	}
	if len(rest) != 0 {
		return TLV{}, malformed("%d bytes after tag %X", len(rest), t.Tag)
	}
	return t, nil
}

func parseTLV(b []byte, depth int) (TLV, []byte, error) {
	if depth > maxDepth {
		return TLV{}, nil, malformed("nested deeper than %d", maxDepth)
	}
	tag, value, rest, err := readTLV(b)
	if err != nil {
		return TLV{}, nil, err
	}
	t := TLV{Tag: tag, Value: value}
	if t.Constructed() {
		for v := value; len(v) > 0; {
			var c TLV
			if c, v, err = parseTLV(v, depth+1); err != nil {
				return TLV{}, nil, err
			}
			t.Children = append(t.Children, c)
		}
	}
	return t, rest, nil
}

// AppendTLV appends tag, the definite length of value and value to b.
func AppendTLV(b []byte, tag uint32, value []byte) []byte {
	switch {
	case tag > 0xFFFF:
		b = append(b, byte(tag>>16), byte(tag>>8), byte(tag))
	case tag > 0xFF:
		b = append(b, byte(tag>>8), byte(tag))
	default:
		b = append(b, byte(tag))
	}
	n := len(value)
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n <= 0xFF:
		b = append(b, 0x81, byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, value...)
}

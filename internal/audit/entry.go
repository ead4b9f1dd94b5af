package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"time"
)

// leafPrefixV1 starts every version-1 leaf. A later format gets a new
// prefix, so that old entries keep verifying and a reader always knows which
// rules produced the bytes it hashes.
const leafPrefixV1 = "dancu.access/v1\n"

// PseudonymSize is the length of a person's pseudonym in bytes: the first 16
// bytes of HMAC-SHA256(key, PIN). 128 bits leave no practical chance of two
// people sharing one, and halve the person index against the full 32 bytes.
const PseudonymSize = 16

// leafV1 is the version-1 leaf: the Access minus the PIN, plus the person's
// pseudonym. Its canonical form is what encoding/json's Marshal writes for
// this struct: fields in declaration order, strings escaped one way only,
// no whitespace, so one Access has exactly one encoding; DecodeLeaf
// enforces that by encoding again. (newLeafTemplate writes the same bytes
// without reflection; a test holds it to json.Marshal.)
//
// The canonical form, documented for anyone re-hashing a leaf:
//
//	"dancu.access/v1\n" + JSON object with exactly these keys in this order:
//	time (RFC 3339, UTC, nanoseconds without trailing zeros), actor_kind,
//	actor, agency, purpose, case_ref, sealed_until, person (lower-case hex
//	of the 16-byte pseudonym), fields (sorted, no duplicates, [] when
//	none), action, request_id. Every key is always present. Strings have
//	invalid UTF-8 replaced by U+FFFD; " and \ are escaped with a
//	backslash, as are \b \f \n \r \t; other control characters, <, > and &
//	are written \u00XX (lower-case hex), U+2028 and U+2029 as \u2028 and
//	\u2029; everything else as it is.
type leafV1 struct {
	Time        string   `json:"time"`
	ActorKind   string   `json:"actor_kind"`
	Actor       string   `json:"actor"`
	Agency      string   `json:"agency"`
	Purpose     string   `json:"purpose"`
	CaseRef     string   `json:"case_ref"`
	SealedUntil string   `json:"sealed_until"`
	Person      string   `json:"person"`
	Fields      []string `json:"fields"`
	Action      string   `json:"action"`
	RequestID   string   `json:"request_id"`
}

// errLeaf is wrapped by every leaf decoding failure.
var errLeaf = errors.New("audit: malformed leaf")

// pseudonymHash computes pseudonyms with one keyed HMAC state, reset
// between PINs: hmac.New hashes the key's inner and outer pads again for
// every PIN (two of the four SHA-256 blocks a pseudonym costs) and
// allocates both states, whereas Reset restores the keyed state from a
// saved copy. Not safe for concurrent use: keys hands them out from a pool.
type pseudonymHash struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// appendPseudonym appends the keyed pseudonym of pin to dst.
func (p *pseudonymHash) appendPseudonym(dst []byte, pin string) []byte {
	p.h.Reset()
	io.WriteString(p.h, pin)
	return append(dst, p.h.Sum(p.sum[:0])[:PseudonymSize]...)
}

// leafTemplate is a leaf with the person left out: the canonical bytes
// before the pseudonym's hex and those after it. Accesses that differ only
// in the person (the entries of one bulk job's batch, of one dataset read)
// share one template, so a request of thousands of entries encodes its
// actor, purpose and fields once and each entry costs two copies and a hex
// encoding.
type leafTemplate struct {
	head, tail []byte
}

// newLeafTemplate encodes everything of a but the person, as leafV1's
// canonical form says. a.Time must be set.
//
// It writes the JSON itself rather than through encoding/json, whose
// reflection was most of a leaf's cost, and must produce exactly the bytes
// json.Marshal of a leafV1 produces (a test compares the two on fuzzed
// input): strings of printable ASCII that encoding/json leaves alone are
// copied as they are, any other string is encoded by encoding/json.
func newLeafTemplate(a Access) leafTemplate {
	b := make([]byte, 0, 256)
	b = append(b, leafPrefixV1...)
	b = append(b, `{"time":"`...)
	b = a.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","actor_kind":`...)
	b = appendJSONString(b, a.ActorKind)
	b = append(b, `,"actor":`...)
	b = appendJSONString(b, a.Actor)
	b = append(b, `,"agency":`...)
	b = appendJSONString(b, a.Agency)
	b = append(b, `,"purpose":`...)
	b = appendJSONString(b, a.Purpose)
	b = append(b, `,"case_ref":`...)
	b = appendJSONString(b, a.CaseRef)
	b = append(b, `,"sealed_until":`...)
	b = appendJSONString(b, a.SealedUntil)
	b = append(b, `,"person":"`...)
	head := b
	t := make([]byte, 0, 64+16*len(a.Fields))
	t = append(t, `","fields":[`...)
	// Invalid UTF-8 would be written as \ufffd and read back as the
	// character itself, which encodes differently: replace it before
	// sorting, as the value that is kept.
	fields := make([]string, len(a.Fields))
	for i, f := range a.Fields {
		fields[i] = strings.ToValidUTF8(f, "\uFFFD")
	}
	slices.Sort(fields)
	for i, f := range slices.Compact(fields) {
		if i > 0 {
			t = append(t, ',')
		}
		t = appendJSONString(t, f)
	}
	t = append(t, `],"action":`...)
	t = appendJSONString(t, a.Action)
	t = append(t, `,"request_id":`...)
	t = appendJSONString(t, a.RequestID)
	t = append(t, '}')
	return leafTemplate{head: head, tail: t}
}

// appendLeaf appends the leaf of the template's access about the person
// whose pseudonym is person.
func (t *leafTemplate) appendLeaf(dst, person []byte) []byte {
	dst = append(dst, t.head...)
	dst = hex.AppendEncode(dst, person)
	return append(dst, t.tail...)
}

// len returns the length of every leaf of the template.
func (t *leafTemplate) len() int { return len(t.head) + 2*PseudonymSize + len(t.tail) }

// sameLeafTemplate reports whether a and b encode to the same template:
// everything but the person equal (times as instants: the leaf holds UTC).
func sameLeafTemplate(a, b *Access) bool {
	return a.Time.Equal(b.Time) && a.ActorKind == b.ActorKind && a.Actor == b.Actor &&
		a.Agency == b.Agency && a.Purpose == b.Purpose && a.CaseRef == b.CaseRef &&
		a.SealedUntil == b.SealedUntil && a.Action == b.Action && a.RequestID == b.RequestID &&
		slices.Equal(a.Fields, b.Fields)
}

// appendJSONString appends s as encoding/json writes a string (HTML
// escaping on), invalid UTF-8 replaced by U+FFFD first.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(strings.ToValidUTF8(s, "\uFFFD"))
			return append(dst, j...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// encodeLeaf returns the canonical leaf of a, about the person whose
// pseudonym is person. a.Time must be set.
func encodeLeaf(a Access, person []byte) []byte {
	t := newLeafTemplate(a)
	return t.appendLeaf(make([]byte, 0, t.len()), person)
}

// DecodeLeaf parses a leaf as stored and hashed, returning the access it
// records (without a PIN: the log never had it) and the person's pseudonym.
// It accepts only the canonical encoding, so two different byte strings
// never decode to the same access.
func DecodeLeaf(b []byte) (Access, []byte, error) {
	body, ok := bytes.CutPrefix(b, []byte(leafPrefixV1))
	if !ok {
		return Access{}, nil, fmt.Errorf("%w: unknown version", errLeaf)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var l leafV1
	if err := dec.Decode(&l); err != nil {
		return Access{}, nil, fmt.Errorf("%w: %v", errLeaf, err)
	}
	t, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return Access{}, nil, fmt.Errorf("%w: time", errLeaf)
	}
	person, err := hex.DecodeString(l.Person)
	if err != nil || len(person) != PseudonymSize {
		return Access{}, nil, fmt.Errorf("%w: person", errLeaf)
	}
	a := Access{
		Time: t.UTC(), ActorKind: l.ActorKind, Actor: l.Actor, Agency: l.Agency,
		Purpose: l.Purpose, CaseRef: l.CaseRef, SealedUntil: l.SealedUntil,
		Fields: l.Fields, Action: l.Action, RequestID: l.RequestID,
	}
	if !bytes.Equal(encodeLeaf(a, person), b) {
		return Access{}, nil, fmt.Errorf("%w: not in canonical form", errLeaf)
	}
	return a, person, nil
}

// validate checks what every access must say. The messages name fields,
// never values: an Access carries a PIN.
func (a Access) validate() error {
	switch {
	case a.PIN == "":
		return errors.New("audit: access without a person")
	case a.Actor == "":
		return errors.New("audit: access without an actor")
	case a.Action == "":
		return errors.New("audit: access without an action")
	case a.Purpose == "":
		return errors.New("audit: access without a purpose")
	}
	return nil
}

package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
// pseudonym. encoding/json writes a struct's fields in declaration order,
// escapes strings one way only and adds no whitespace, so one Access has
// exactly one encoding; decodeLeaf enforces that by encoding again.
//
// The canonical form, documented for anyone re-hashing a leaf:
//
//	"dancu.access/v1\n" + JSON object with exactly these keys in this order:
//	time (RFC 3339, UTC, nanoseconds without trailing zeros), actor_kind,
//	actor, agency, purpose, case_ref, sealed_until, person (lower-case hex
//	of the 16-byte pseudonym), fields (sorted, no duplicates, [] when
//	none), action, request_id. Every key is always present.
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

// pseudonym returns the keyed pseudonym of a PIN.
func pseudonym(key []byte, pin string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(pin))
	return m.Sum(nil)[:PseudonymSize]
}

// encodeLeaf returns the canonical leaf of a, about the person whose
// pseudonym is person. a.Time must be set.
func encodeLeaf(a Access, person []byte) ([]byte, error) {
	fields := slices.Clone(a.Fields)
	if fields == nil {
		fields = []string{}
	}
	// Invalid UTF-8 would be written as \ufffd and read back as the
	// character itself, which encodes differently: replace it first.
	v := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
	for i := range fields {
		fields[i] = v(fields[i])
	}
	l := leafV1{
		Time:      a.Time.UTC().Format(time.RFC3339Nano),
		ActorKind: v(a.ActorKind), Actor: v(a.Actor), Agency: v(a.Agency),
		Purpose: v(a.Purpose), CaseRef: v(a.CaseRef), SealedUntil: v(a.SealedUntil),
		Person: hex.EncodeToString(person), Fields: fields,
		Action: v(a.Action), RequestID: v(a.RequestID),
	}
	slices.Sort(fields)
	l.Fields = slices.Compact(fields)
	body, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("audit: encode leaf: %w", err)
	}
	return append([]byte(leafPrefixV1), body...), nil
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
	again, err := encodeLeaf(a, person)
	if err != nil || !bytes.Equal(again, b) {
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

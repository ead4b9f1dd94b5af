package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// EncodeLeaf exposes encodeLeaf to the external tests.
func EncodeLeaf(a Access, person []byte) []byte { return encodeLeaf(a, person) }

// EncodeLeafJSON is the reference encoding of a leaf, the definition of
// leafV1's canonical form by encoding/json that the package used before it
// wrote the JSON itself: the hand-written encoder must match it byte for
// byte.
func EncodeLeafJSON(a Access, person []byte) []byte {
	fields := slices.Clone(a.Fields)
	if fields == nil {
		fields = []string{}
	}
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
		panic(err)
	}
	return append([]byte(leafPrefixV1), body...)
}

// PseudonymHMAC is the definition of a pseudonym: the first PseudonymSize
// bytes of HMAC-SHA256(key, PIN), computed from scratch.
func PseudonymHMAC(key []byte, pin string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(pin))
	return m.Sum(nil)[:PseudonymSize]
}

// PseudonymKey returns the log's pseudonym key.
func (l *Log) PseudonymKey() []byte { return l.keys.pseudonym }

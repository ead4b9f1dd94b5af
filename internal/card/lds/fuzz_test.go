package lds

import (
	"strings"
	"testing"
	"time"
)

func FuzzParseTLV(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x05})
	if b, err := EncodeDG13(testDG13()); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tlv, err := ParseTLV(b)
		if err != nil {
			return
		}
		// What parses re-encodes to the same bytes (definite, minimal lengths).
		var enc func(TLV) []byte
		enc = func(x TLV) []byte { return AppendTLV(nil, x.Tag, x.Value) }
		if got := enc(tlv); string(got) != string(b) {
			t.Fatalf("re-encoding differs")
		}
		_, _ = ParseDG13(b)
		_, _ = ParseDG1(b)
		_, _ = ParseDG2(b)
	})
}

func FuzzParseSOD(f *testing.F) {
	k, cert := testSigner(f)
	b, err := BuildSOD(map[int][]byte{1: []byte("a"), 13: []byte("b")}, k, cert, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseSOD(b)
	})
}

func FuzzParseTD1(f *testing.F) {
	f.Add(strings.Join(specimen[:], "\n"))
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseTD1(s)
		if err != nil {
			return
		}
		if _, err := m.Lines(); err != nil {
			t.Fatalf("a parsed zone does not lay out again: %v", err)
		}
	})
}

package audit_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
)

func FuzzParseCheckpoint(f *testing.F) {
	for _, s := range []string{
		"dancu.example/access-log\n12\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n",
		"o\n012\nAA==\n", "\n\n\n", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := audit.ParseCheckpoint(b)
		if err != nil {
			return
		}
		// What parses formats back to a prefix of the input (extension
		// lines are dropped) and parses to the same checkpoint.
		out := c.Format()
		if !bytes.HasPrefix(b, out) {
			t.Fatalf("Format() = %q, not a prefix of %q", out, b)
		}
		again, err := audit.ParseCheckpoint(out)
		if err != nil || again != c {
			t.Fatalf("reparse = %+v, %v; want %+v", again, err, c)
		}
	})
}

func FuzzDecodeLeaf(f *testing.F) {
	f.Add([]byte(`dancu.access/v1` + "\n" + `{"time":"2026-05-01T10:00:00Z","actor_kind":"admin","actor":"admin","agency":"","purpose":"p","case_ref":"","sealed_until":"","person":"00112233445566778899aabbccddeeff","fields":["a"],"action":"read","request_id":"r"}`))
	f.Add([]byte("dancu.access/v1\n{}"))
	f.Add([]byte("nonsense"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, person, err := audit.DecodeLeaf(b)
		if err != nil {
			return
		}
		if len(person) != audit.PseudonymSize || a.PIN != "" || a.Time.Location() != time.UTC {
			t.Fatalf("decoded %+v, person %x", a, person)
		}
	})
}

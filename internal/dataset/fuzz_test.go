package dataset

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseLine checks that no line makes the parser panic, that every
// refusal has a reason and never repeats the line's PIN-like content, and
// that what it accepts is canonical: parsing the canonical form again gives
// the same bytes.
func FuzzParseLine(f *testing.F) {
	f.Add(siLine(1, "active"))
	f.Add(`{"key":"c1","pin":"001090000001","attributes":{"card_number":"DN4797915123456","valid_from":"2025-01-01","valid_to":"2025-12-31","facility":"79024"}}`)
	f.Add(`{"key":"a","pin":"001090000001","attributes":{"insurance_code":"7\u0039000000001","status":null}}`)
	f.Add("{\"key\":\"\xff\"}")
	f.Add(`[]`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, line string) {
		for _, k := range kinds {
			p, e := k.ParseLine([]byte(line))
			if e != nil {
				if e.Reason == "" {
					t.Fatalf("%s: refusal without a reason", k.Name)
				}
				if !utf8.ValidString(e.Reason) || strings.Contains(e.Reason, "001090") {
					t.Fatalf("%s: reason %q", k.Name, e.Reason)
				}
				continue
			}
			again, e := k.Canonical(p.Data)
			if e != nil || string(again) != string(p.Data) {
				t.Fatalf("%s: canonical form %s does not parse to itself (%v)", k.Name, p.Data, e)
			}
		}
	})
}

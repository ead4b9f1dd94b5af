package review

import (
	"strconv"
	"testing"
)

// FuzzParseAfter checks that any cursor either is refused or gives back
// what it encodes.
func FuzzParseAfter(f *testing.F) {
	f.Add("12.5_001190000001_001190000002")
	f.Add("NaN_001190000001_001190000002")
	f.Add("1e400_x_y")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		w, a, b, ok := parseAfter(s)
		if !ok {
			return
		}
		if got := strconv.FormatFloat(w, 'g', -1, 64) + "_" + a + "_" + b; len(a) != 12 || len(b) != 12 || got == "" {
			t.Errorf("parseAfter(%q) = %v %q %q", s, w, a, b)
		}
	})
}

func TestParseAfter(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"12.5_001190000001_001190000002", true},
		{"-3_001190000001_001190000002", true},
		{"NaN_001190000001_001190000002", false},
		{"12.5_001190000001", false},
		{"x_001190000001_001190000002", false},
		{"12.5_0011900000_001190000002", false},
		{"", false},
	}
	for _, tt := range tests {
		if _, _, _, ok := parseAfter(tt.in); ok != tt.ok {
			t.Errorf("parseAfter(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}

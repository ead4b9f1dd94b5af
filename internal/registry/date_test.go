package registry

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"", Date{}, false},
		{"1985", Date{Year: 1985}, false},
		{"1985-03", Date{Year: 1985, Month: 3}, false},
		{"1985-03-02", Date{Year: 1985, Month: 3, Day: 2}, false},
		{"2024-02-29", Date{Year: 2024, Month: 2, Day: 29}, false},
		{"2023-02-29", Date{}, true},
		{"1985-13", Date{}, true},
		{"1985-00-01", Date{}, true},
		{"1985-3-2", Date{}, true},
		{"85", Date{}, true},
		{"1985/03/02", Date{}, true},
		{"+985-03-02", Date{}, true},
		{"1799", Date{}, true},
		{"١٩٨٥", Date{}, true},
	} {
		got, err := ParseDate(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err == nil && got.String() != tc.in {
			t.Errorf("ParseDate(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestDate_Before(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"1985", "1986-01-01", true},
		{"1985", "1985-12-31", false}, // 1985 may mean 31 December
		{"1985-03", "1985-04", true},
		{"1985-03-02", "1985-03", false},
		{"", "1985", false},
		{"1985", "", false},
	} {
		a, b := MustParseDate(tc.a), MustParseDate(tc.b)
		if got := a.Before(b); got != tc.want {
			t.Errorf("%q.Before(%q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestDate_AgeAt(t *testing.T) {
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		birth string
		want  int
	}{
		{"2006-05-01", 20},
		{"2006-05-02", 19},
		{"2006-04-30", 20},
		{"2006", 19}, // may be 31 December 2006
		{"2006-04", 20},
		{"2006-05", 19},
	} {
		if got := MustParseDate(tc.birth).AgeAt(at); got != tc.want {
			t.Errorf("AgeAt(%s) = %d, want %d", tc.birth, got, tc.want)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"", "1985", "1985-03", "1985-03-02", "2024-02-29", "9999-99-99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, d.String())
		}
		if d.Validate() != nil {
			t.Fatalf("ParseDate(%q) accepted an invalid date", s)
		}
		if !d.IsZero() && d.Latest().Before(d.Earliest()) {
			t.Fatalf("Latest before Earliest for %q", s)
		}
	})
}

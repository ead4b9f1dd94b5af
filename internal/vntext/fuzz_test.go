package vntext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fuzzSeeds are the seed inputs of every fuzz target: the awkward cases of
// the table tests.
var fuzzSeeds = []string{
	"", " ", "Nguyễn Thị Thủy", "NGUYE\u0302\u0303N  THI\u0323\tTHU\u0309Y", "Nguye\u0303\u0302n",
	"qúy gía hòa khỏe thủy", "Ðặng Ɖức ðạt ɖũng", "H’Hen Niê", "HʼHen", "H`Hen", "Ê-đê",
	"\uFEFFa\u200Bb", "Ng\xffuyen", "\xe1\xbb", "\u0301a", "a \u0301 b", "H\u1FEFHen", "Ολγα", "Ἀθῆναι",
	"Søren Groß", "İstanbul", "\u212Aelvin", "한국어", "Y Ngông Niê Kdăm", "Công Tằng Tôn Nữ Thị Hạnh",
	"ề\u0302", "e\u0301\u0308\u0302",
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%+q) = %+q, invalid UTF-8", s, n)
		}
		if !norm.NFC.IsNormalString(n) {
			t.Fatalf("Normalize(%+q) = %+q, not NFC", s, n)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%+q) = %+q, spaces not collapsed", s, n)
		}
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize not idempotent: %+q -> %+q -> %+q", s, n, again)
		}
	})
}

func FuzzFold(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs := Fold(s)
		if !utf8.ValidString(fs) {
			t.Fatalf("Fold(%+q) = %+q, invalid UTF-8", s, fs)
		}
		if again := Fold(fs); again != fs {
			t.Fatalf("Fold not idempotent: %+q -> %+q -> %+q", s, fs, again)
		}
		if got := Fold(Normalize(s)); got != fs {
			t.Fatalf("Fold(Normalize(%+q)) = %+q, Fold = %+q", s, got, fs)
		}
		_ = placeTonesString(Normalize(s))
	})
}

func FuzzKey(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Key(s)
		if !utf8.ValidString(k) {
			t.Fatalf("Key(%+q) = %+q, invalid UTF-8", s, k)
		}
		if again := Key(k); again != k {
			t.Fatalf("Key not idempotent: %+q -> %+q -> %+q", s, k, again)
		}
		if got := Key(Fold(s)); got != k {
			t.Fatalf("Key(Fold(%+q)) = %+q, Key = %+q", s, got, k)
		}
		if fast, ok := buildKey(s, false); ok {
			if slow, _ := buildKey(Fold(s), true); fast != slow {
				t.Fatalf("fast key of %+q = %+q, key of its fold = %+q", s, fast, slow)
			}
		}
		_ = HasDiacritics(s)
	})
}

func FuzzSplitName(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := SplitName(s)
		words := len(strings.Fields(p.Surname)) + len(strings.Fields(p.Middle)) + len(strings.Fields(p.Given))
		if want := len(strings.Fields(Normalize(s))); words != want {
			t.Fatalf("SplitName(%+q) = %+v has %d words, want %d", s, p, words, want)
		}
		if want := len(strings.Fields(Normalize(s))); want > 0 && p.Given == "" {
			t.Fatalf("SplitName(%+q) = %+v, no given name", s, p)
		}
	})
}

func FuzzValidName(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := ValidName(s); err == nil {
			n := Normalize(s)
			if n == "" || utf8.RuneCountInString(n) > MaxNameRunes || strings.ContainsAny(n, "0123456789") {
				t.Fatalf("ValidName(%+q) = nil for an unacceptable name", s)
			}
		}
	})
}

func FuzzCompare(f *testing.F) {
	f.Add("Hòa", "Hoà")
	f.Add("Nguyễn", "Nguyen")
	f.Add("\xff", "a")
	f.Fuzz(func(t *testing.T, a, b string) {
		c := Compare(a, b)
		if back := Compare(b, a); back != -c {
			t.Fatalf("Compare(%+q, %+q) = %d but reversed = %d", a, b, c, back)
		}
	})
}

package vntext

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// randomAlphabet holds the characters most likely to break the algebra of
// the package: Vietnamese letters in both cases, every combining mark a
// Vietnamese keyboard produces and some it does not, look-alikes,
// punctuation variants, white space, invisible characters, characters
// whose case mapping or canonical decomposition is unusual, and an
// invalid byte.
var randomAlphabet = func() []string {
	var out []string
	for _, r := range "aăâeêioôơuưyAĂÂEÊIOÔƠUƯYqQgGhnNtcđĐÐðƉɖ" +
		"àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ" +
		"ÀẢÃÁẠẰẲẴẮẶẦẨẪẤẬÈẺẼÉẸỀỂỄẾỆÒỎÕÓỌỒỔỖỐỘỜỞỠỚỢÙỦŨÚỤỪỬỮỨỰỲỶỸÝỴ" +
		"\u0300\u0301\u0302\u0303\u0306\u0309\u031B\u0323\u0308\u0307\u0340\u0341\u0345\u0327" +
		" \t\n\u00A0\u2000\u2001\u3000\u200B\u200D\uFEFF\u00AD'’ʼ`´-\u2010\u2013." +
		"İıſ\u212A\u2126ÅßøæΣσςΌ\u1FEF\u1FFD\u0387ǅǄȺⱥ한\u1100\u1161\u11A8\u0915\u093C\u09C7\u09BE" {
		out = append(out, string(r))
	}
	return append(out, "\xff", "\xe1\xbb")
}()

func randomString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(12) {
		b.WriteString(randomAlphabet[r.IntN(len(randomAlphabet))])
	}
	return b.String()
}

// TestProperties_random checks the properties the fuzz targets check, on
// random strings over randomAlphabet: the fuzzer mutates bytes and rarely
// builds the multi-byte sequences that matter here. VNTEXT_RANDOM_N
// raises the number of strings for a long run.
func TestProperties_random(t *testing.T) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("VNTEXT_RANDOM_N")); err == nil {
		n = v
	}
	r := rand.New(rand.NewPCG(1, 2))
	fails := 0
	for range n {
		s := randomString(r)
		nm, f, k := Normalize(s), Fold(s), Key(s)
		var problems []string
		if !utf8.ValidString(nm) || !utf8.ValidString(f) || !utf8.ValidString(k) {
			problems = append(problems, "invalid UTF-8")
		}
		if !norm.NFC.IsNormalString(nm) {
			problems = append(problems, "Normalize not NFC")
		}
		if Normalize(nm) != nm {
			problems = append(problems, "Normalize not idempotent: "+strconv.QuoteToASCII(Normalize(nm)))
		}
		if Fold(f) != f {
			problems = append(problems, "Fold not idempotent: "+strconv.QuoteToASCII(Fold(f)))
		}
		if Fold(nm) != f {
			problems = append(problems, "Fold(Normalize) != Fold")
		}
		if Key(k) != k {
			problems = append(problems, "Key not idempotent: "+strconv.QuoteToASCII(Key(k)))
		}
		if Key(f) != k {
			problems = append(problems, "Key(Fold) != Key: "+strconv.QuoteToASCII(Key(f)))
		}
		if fast, ok := buildKey(s, false); ok && fast != k {
			problems = append(problems, "fast key differs: "+strconv.QuoteToASCII(fast))
		}
		if len(problems) > 0 {
			fails++
			t.Errorf("%s: N=%s F=%s K=%s: %s", strconv.QuoteToASCII(s), strconv.QuoteToASCII(nm), strconv.QuoteToASCII(f), strconv.QuoteToASCII(k), strings.Join(problems, "; "))
			if fails > 20 {
				t.FailNow()
			}
		}
	}
}

package compare

import (
	"strings"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/vntext"
)

// Sexes compares two recorded sexes: Exact or Different, Missing when
// either is empty.
func Sexes(a, b registry.Sex) Level {
	switch {
	case a == "" || b == "":
		return Missing
	case a == b:
		return Exact
	}
	return Different
}

// NormalizePhone returns the national significant number of a Vietnamese
// phone number: digits only, without the trunk prefix 0 or the country code
// 84 ("+84 912 345 678", "0912345678" and "84912345678" all give
// "912345678"). Anything without digits gives "".
func NormalizePhone(s string) string {
	var b [24]byte
	d := b[:0]
	for i := 0; i < len(s) && len(d) < len(b); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	switch {
	case len(d) >= 11 && d[0] == '8' && d[1] == '4':
		d = d[2:]
	case len(d) >= 10 && d[0] == '0':
		d = d[1:]
	}
	return string(d)
}

// Phones compares two phone numbers after NormalizePhone: Exact when
// equal, Close when one typing error apart (one digit wrong or two
// adjacent digits swapped), Different otherwise, Missing when either has
// no digits.
func Phones(a, b string) Level {
	a, b = NormalizePhone(a), NormalizePhone(b)
	switch {
	case a == "" || b == "":
		return Missing
	case a == b:
		return Exact
	case OSA(a, b, 1) <= 1:
		return Close
	}
	return Different
}

// Places compares two administrative places given by codes: Exact for the
// same commune (and province, when both give one), Partial for the same
// province only, Different for another province, Missing when the
// province is unknown on either side. Codes are compared as given; the
// caller passes codes of the same period (the 2025 units for residences).
func Places(aProvince, aCommune, bProvince, bCommune string) Level {
	switch {
	case aProvince == "" || bProvince == "":
		if aCommune != "" && aCommune == bCommune {
			return Exact
		}
		return Missing
	case aProvince != bProvince:
		return Different
	case aCommune != "" && aCommune == bCommune:
		return Exact
	}
	return Partial
}

// Addresses compares two addresses written as free text (house number,
// street, hamlet, perhaps commune and province) on the keys of their words:
// Exact when both hold the same words, Close when the words of the
// shorter address are at least 90% in the longer one (the overlap
// coefficient of the word sets, so that word order, punctuation,
// diacritics and a commune or province written out on one side only do not
// matter), Partial from 50%, Different below, Missing when either is
// blank.
func Addresses(a, b string) Level {
	s := addressOverlap(a, b)
	switch {
	case s < 0:
		return Missing
	case s >= 1:
		return Exact
	case s >= 0.9:
		return Close
	case s >= 0.5:
		return Partial
	}
	return Different
}

// AddressSimilarity returns the word overlap of two addresses (as in
// Addresses) from 0 to 100, or 0 when either is blank.
func AddressSimilarity(a, b string) int {
	s := addressOverlap(a, b)
	if s < 0 {
		return 0
	}
	return int(s*100 + 0.5)
}

// addressOverlap returns the overlap coefficient of the address words'
// keys (1 only when the sets are equal), or -1 when either address has no
// words.
func addressOverlap(a, b string) float64 {
	wa, wb := addressWords(a), addressWords(b)
	if len(wa) == 0 || len(wb) == 0 {
		return -1
	}
	inter := 0
	for w := range wa {
		if wb[w] {
			inter++
		}
	}
	if inter == len(wa) && inter == len(wb) {
		return 1
	}
	return min(float64(inter)/float64(min(len(wa), len(wb))), 0.99)
}

// addressWords returns the set of word keys in an address, punctuation
// dropped.
func addressWords(s string) map[string]bool {
	k := vntext.Key(s)
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(k, func(r rune) bool {
		return r == ' ' || r == ',' || r == '.' || r == ';' || r == '/' || r == '(' || r == ')'
	}) {
		out[w] = true
	}
	return out
}

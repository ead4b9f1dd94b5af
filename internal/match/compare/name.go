package compare

import (
	"math"
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/vntext"
)

// Name is a full name prepared for comparison: split into its parts, each
// in its diacritic-preserving (Fold) and accent-free (Key) match forms.
// The zero Name is a missing name.
type Name struct {
	Fold, Key                          string // the whole name
	Surname, Middle, Given             string // keys of the parts
	SurnameFold, MiddleFold, GivenFold string // folds of the parts
}

// ParseName prepares a full name for comparison. It never fails: text that
// is not a name gives a Name whose parts are whatever words it holds, and
// blank text gives the zero (missing) Name.
func ParseName(full string) Name {
	parts := vntext.SplitName(full)
	if parts.Surname == "" && parts.Middle == "" && parts.Given == "" {
		return Name{}
	}
	n := Name{
		SurnameFold: vntext.Fold(parts.Surname),
		MiddleFold:  vntext.Fold(parts.Middle),
		GivenFold:   vntext.Fold(parts.Given),
	}
	n.Surname = vntext.Key(n.SurnameFold)
	n.Middle = vntext.Key(n.MiddleFold)
	n.Given = vntext.Key(n.GivenFold)
	n.Fold = joinNonEmpty(n.SurnameFold, n.MiddleFold, n.GivenFold)
	n.Key = joinNonEmpty(n.Surname, n.Middle, n.Given)
	return n
}

func joinNonEmpty(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

// IsZero reports whether the name is missing.
func (n Name) IsZero() bool { return n.Key == "" }

// Names compares two full names as wholes:
//
//   - Exact: equal folds (same letters and tones, whatever the tone-mark
//     placement, case or spacing);
//   - Close: equal keys (diacritics dropped or different), the same
//     surname and given name with a middle name missing on one side (all
//     of them, or one of several: "Nguyễn Thị Thuỷ" and "Nguyễn Thị Thanh
//     Thuỷ"), the
//     same words in another order (middle names swapped, given name
//     written first), or one typing error in the key;
//   - Partial: the same surname and given name with another middle name,
//     or two typing errors, or a Jaro–Winkler similarity of the keys of at
//     least 0.92 with the same given name's key;
//   - Different otherwise, Missing when either is missing.
func Names(a, b Name) Level {
	switch {
	case a.IsZero() || b.IsZero():
		return Missing
	case a.Fold == b.Fold:
		return Exact
	case a.Key == b.Key:
		return Close
	}
	sameEnds := a.Surname == b.Surname && a.Given == b.Given
	if sameEnds && (subWords(a.Middle, b.Middle) || subWords(b.Middle, a.Middle)) {
		return Close
	}
	if sameWords(a.Key, b.Key) {
		return Close
	}
	d := OSA(a.Key, b.Key, 2)
	switch {
	case d <= 1:
		return Close
	case sameEnds || d == 2:
		return Partial
	case a.Given == b.Given && JaroWinkler(a.Key, b.Key) >= 0.92:
		return Partial
	}
	return Different
}

// subWords reports whether the words of a appear, in order, among those
// of b (an empty a always does).
func subWords(a, b string) bool {
	wb := strings.Fields(b)
	i := 0
	for _, w := range strings.Fields(a) {
		for i < len(wb) && wb[i] != w {
			i++
		}
		if i == len(wb) {
			return false
		}
		i++
	}
	return true
}

// sameWords reports whether a and b hold the same words in another order.
func sameWords(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	wa, wb := strings.Fields(a), strings.Fields(b)
	if len(wa) != len(wb) {
		return false
	}
	slices.Sort(wa)
	slices.Sort(wb)
	return slices.Equal(wa, wb)
}

// Part compares one part of a name (a surname, a middle name or a given
// name, or a parent's whole name) given its fold and key on each side:
// Exact on equal folds, Close on equal keys or one typing error in keys of
// four bytes or more (shorter names such as "an" and "anh" are different
// names, not typos), Partial on a Jaro–Winkler similarity of at least 0.9
// or two errors in long keys, Different otherwise, Missing when either
// side is empty.
func Part(aFold, aKey, bFold, bKey string) Level {
	switch {
	case aKey == "" || bKey == "":
		return Missing
	case aFold == bFold:
		return Exact
	case aKey == bKey:
		return Close
	}
	short := min(len(aKey), len(bKey))
	d := OSA(aKey, bKey, 2)
	switch {
	case d <= 1 && short >= 4:
		return Close
	case d <= 2 && short >= 8:
		return Partial
	case JaroWinkler(aKey, bKey) >= 0.9:
		return Partial
	}
	return Different
}

// NameSimilarity returns how alike two names are, from 0 to 100, built
// from the parts so that two different people called "Nguyễn Thị Lan" and
// "Nguyễn Thị Hoa" are not judged alike for sharing the commonest surname
// and middle name: the given name counts for half, the surname for 30%,
// the middle name for 20%. Each part scores 100 on equal folds, 95 on equal
// keys and otherwise 85 times its Jaro–Winkler similarity (the typing
// errors of a true match stay above 70, unrelated names fall below 50); a
// middle name missing on one side scores 80, and the same words in another
// order score 90 overall. Either name missing gives 0.
func NameSimilarity(a, b Name) int {
	switch {
	case a.IsZero() || b.IsZero():
		return 0
	case a.Fold == b.Fold:
		return 100
	case a.Key == b.Key:
		return 95
	case sameWords(a.Key, b.Key):
		return 90
	}
	mid := 80.0
	if a.Middle != "" && b.Middle != "" {
		mid = partSimilarity(a.MiddleFold, a.Middle, b.MiddleFold, b.Middle)
	} else if a.Middle == "" && b.Middle == "" {
		mid = 100
	}
	sur := partSimilarity(a.SurnameFold, a.Surname, b.SurnameFold, b.Surname)
	giv := partSimilarity(a.GivenFold, a.Given, b.GivenFold, b.Given)
	return int(math.Round(0.3*sur + 0.2*mid + 0.5*giv))
}

func partSimilarity(aFold, aKey, bFold, bKey string) float64 {
	switch {
	case aKey == "" && bKey == "":
		return 100
	case aFold == bFold:
		return 100
	case aKey == bKey:
		return 95
	}
	return 85 * JaroWinkler(aKey, bKey)
}

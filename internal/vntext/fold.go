package vntext

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold returns the diacritic-preserving match form of s: Normalize, lower
// case, and one canonical tone-mark placement, so that "Hòa" and "Hoà"
// fold equal but "Hoa" does not.
//
// The canonical placement is the "new" rule (kiểu mới) of the 2018
// spelling rules for school textbooks, which most current software also
// follows; matching needs one placement, and this is the one new records
// are most likely to carry. It is applied to each syllable:
//   - a vowel with a shape mark (ă â ê ô ơ ư) takes the tone; in ươ it is
//     ơ ("người", "rượu");
//   - otherwise, in a syllable closed by a consonant the last vowel takes
//     it ("hoàng", "huỳnh");
//   - otherwise the open pairs oa, oe and uy put it on the second vowel
//     ("hoà", "khoẻ", "thuỷ"), other pairs on the first ("mùa", "kìa"),
//     and three vowels on the middle one ("ngoái", "khuỷu");
//   - the u of qu and the i of gi belong to the consonant when another vowel
//     follows, so the tone never sits on them ("quý", "giá", and the
//     mistyped "qúy", "gía" fold to those).
//
// Syllables that are not plain Vietnamese (more than one vowel group, more
// than one tone mark, or a combining mark that has no precomposed form with
// its letter) are left as they are.
//
// Fold also treats hyphens as spaces, so that "Ê-đê" and "Ê Đê" fold equal:
// both spellings are in use for minority names and ethnic groups.
// Apostrophes are kept ("h'hen"); Key drops them.
func Fold(s string) string {
	s = Normalize(s)
	if isASCII(s) {
		return foldASCII(s)
	}
	var arr [64]rune
	rs := arr[:0]
	hyphen, complex := false, false
	for _, r := range s {
		switch info := letter(r); {
		case r == '-':
			r, hyphen = ' ', true
		case info != nil:
			r = info.lower
		default:
			r = unicode.ToLower(r)
		}
		complex = complex || !stableRune(r)
		rs = append(rs, r)
	}
	if complex {
		// Lower case can compose where upper case did not: İ + acute
		// has no precomposed form, i + acute is í. Compose before
		// placing tones, so that the tone on í is seen.
		rs = []rune(norm.NFC.String(string(rs)))
	}
	placeTones(rs)
	if hyphen {
		rs = collapseSpaces(rs)
	}
	return string(rs)
}

// foldASCII folds normalised ASCII: lower case, hyphens as spaces.
func foldASCII(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c >= 'A' && c <= 'Z') || c == '-' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s))
	pending := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-':
			pending = pending || len(b) > 0
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if pending {
			b = append(b, ' ')
			pending = false
		}
		b = append(b, c)
	}
	return string(b)
}

// collapseSpaces trims spaces and collapses runs of them to one, in place.
func collapseSpaces(rs []rune) []rune {
	out := rs[:0]
	pending := false
	for _, r := range rs {
		if r == ' ' {
			pending = pending || len(out) > 0
			continue
		}
		if pending {
			out = append(out, ' ')
			pending = false
		}
		out = append(out, r)
	}
	return out
}

// placeTones moves the tone mark of every syllable of rs to its canonical
// position (see Fold), keeping the case of each letter. A syllable is a
// maximal run of letters and combining marks, so "H'Hen" has two.
func placeTones(rs []rune) {
	start := -1
	for i := 0; i <= len(rs); i++ {
		if i < len(rs) && (isLetter(rs[i]) || isMark(rs[i])) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			placeSyllableTone(rs[start:i])
			start = -1
		}
	}
}

// isMark reports whether r is a combining mark.
func isMark(r rune) bool {
	return r >= lowTableEnd && unicode.In(r, unicode.Mark)
}

// vowelInfo returns the table entry of r when r is a Vietnamese vowel.
func vowelInfo(r rune) (letterInfo, bool) {
	if info := letter(r); info != nil && info.vowel != 0 {
		return *info, true
	}
	return letterInfo{}, false
}

// placeSyllableTone applies the canonical tone placement to one syllable.
func placeSyllableTone(w []rune) {
	first, last := -1, -1
	toneAt, tones := -1, 0
	for k, r := range w {
		if isMark(r) {
			// A mark that did not compose (ơ̂, the ê̆ of Ê Đê): moving
			// a tone next to it would change what it sits on, and
			// the syllable is not plain Vietnamese anyway.
			return
		}
		info, ok := vowelInfo(r)
		if !ok {
			if first >= 0 && last < 0 {
				last = k - 1
			}
			continue
		}
		if last >= 0 {
			return // a second vowel group: not one Vietnamese syllable
		}
		if first < 0 {
			first = k
		}
		if info.tone != toneNone {
			tones++
			toneAt = k
		}
	}
	if tones != 1 {
		return
	}
	if last < 0 {
		last = len(w) - 1
	}
	closed := last < len(w)-1

	// The nucleus starts after the u of qu and the i of gi.
	ns := first
	if first == 1 && last > first {
		c := unicode.ToLower(w[0])
		v, _ := vowelInfo(w[1])
		if (c == 'q' && v.vowel == vowelU) || (c == 'g' && v.vowel == vowelI) {
			ns++
		}
	}

	target := -1
	for k := ns; k <= last; k++ {
		if v, _ := vowelInfo(w[k]); shapedVowel(v.vowel) {
			target = k
		}
	}
	if target < 0 {
		switch m := last - ns + 1; {
		case closed || m == 1:
			target = last
		case m == 2:
			a, _ := vowelInfo(w[ns])
			b, _ := vowelInfo(w[ns+1])
			switch {
			case a.vowel == vowelO && (b.vowel == vowelA || b.vowel == vowelE),
				a.vowel == vowelU && b.vowel == vowelY:
				target = ns + 1
			default:
				target = ns
			}
		case m == 3:
			target = ns + 1
		default:
			return
		}
	}
	if target == toneAt {
		return
	}
	from, _ := vowelInfo(w[toneAt])
	to, _ := vowelInfo(w[target])
	w[toneAt] = vowelForm(from.vowel, toneNone, from.upper)
	w[target] = vowelForm(to.vowel, from.tone, to.upper)
}

// vowelForm returns the precomposed letter for vowel number v with tone t.
func vowelForm(v, t uint8, upper bool) rune {
	u := 0
	if upper {
		u = 1
	}
	return tables.vowelForms[v-1][t][u]
}

// placeTonesString applies placeTones to a normalised string, keeping case;
// Compare and SortKey use it so that both placements sort as one name.
func placeTonesString(s string) string {
	if isASCII(s) {
		return s
	}
	// Only strings with a toned vowel can change.
	toned := false
	for _, r := range s {
		if info, ok := vowelInfo(r); ok && info.tone != toneNone {
			toned = true
			break
		}
	}
	if !toned {
		return s
	}
	rs := []rune(s)
	placeTones(rs)
	return string(rs)
}

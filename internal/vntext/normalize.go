package vntext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in NFC with white space trimmed and collapsed to
// single spaces (all Unicode spaces including NBSP, tabs and newlines),
// look-alike D letters mapped to Đ/đ, and apostrophe variants mapped to
// ASCII '. Case and tone placement are kept as typed: this is the display
// form to store.
//
// Beyond that, Normalize:
//   - reads each invalid UTF-8 byte as U+FFFD, so the result is always
//     valid UTF-8;
//   - drops invisible format characters (soft hyphen, zero-width space,
//     joiners, word joiner, byte order mark), which copy-and-paste leaves in
//     names and which no Latin-script name needs;
//   - maps hyphen and dash variants (U+2010–U+2013, U+2212, U+FE63, U+FF0D)
//     to ASCII '-';
//   - puts a shape mark (circumflex, breve) typed after a tone mark back
//     before it, so that "e" + acute + circumflex composes to "ế" as the
//     typist meant, instead of "é" + a stray circumflex.
//
// The apostrophe variants are ’ ‘ ‛ ʼ ʻ ′ ＇ and the spacing accents ` and ´,
// which keyboards without an apostrophe key produce in names like H'Hen.
//
// Normalize is idempotent. It returns s itself, without allocating, when s
// is already normal; for precomposed Vietnamese text it knows that from a
// table, without running the Unicode normalisation algorithm.
func Normalize(s string) string {
	dirty, complex := scanNormal(s)
	if dirty {
		s = cleanBuild(s)
	}
	if complex {
		var changed bool
		if s, changed = compose(s); changed {
			// Composition can produce a character that clean maps:
			// the Greek varia and oxia (U+1FEF, U+1FFD) are
			// canonically ` and ´.
			s = clean(s)
		}
	}
	return s
}

// scanNormal reports whether s needs cleaning (white space, invisible
// characters, invalid bytes, look-alikes) and whether it may not be in NFC.
// For ordinary Vietnamese text, which is precomposed, the answer comes
// from the letter table without asking the norm package.
func scanNormal(s string) (dirty, complex bool) {
	prevSpace := true // a space at the start would be leading
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ':
				dirty = dirty || prevSpace
				prevSpace = true
				continue
			case c == '`' || (c >= '\t' && c <= '\r'):
				dirty = true
			}
			prevSpace = false
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if (r == utf8.RuneError && n == 1) || isSpace(r) || isInvisible(r) || mapRune(r) != r {
			dirty = true
		}
		if !stableRune(r) {
			complex = true
		}
		prevSpace = false
	}
	if len(s) > 0 && s[len(s)-1] == ' ' {
		dirty = true
	}
	return dirty, complex
}

// isSpace reports whether r is white space that Normalize collapses.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return unicode.IsSpace(r)
}

// isInvisible reports whether r is an invisible format character that
// Normalize drops.
func isInvisible(r rune) bool {
	switch r {
	case '\u00AD', '\u180E', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return true
	}
	return false
}

// isApostrophe reports whether r is an apostrophe variant, ASCII ' included.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '`', '\u00B4', '\u02BB', '\u02BC', '\u2018', '\u2019', '\u201B', '\u2032', '\uFF07':
		return true
	}
	return false
}

// isHyphen reports whether r is a hyphen or dash variant, ASCII - included.
func isHyphen(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2212', '\uFE63', '\uFF0D':
		return true
	}
	return false
}

// mapRune maps look-alike letters and punctuation variants to the form
// Normalize stores.
func mapRune(r rune) rune {
	switch {
	case r == 'Ð' || r == 'Ɖ':
		return 'Đ'
	case r == 'ð' || r == 'ɖ':
		return 'đ'
	case r != '\'' && isApostrophe(r):
		return '\''
	case r != '-' && isHyphen(r):
		return '-'
	}
	return r
}

// clean replaces invalid bytes, collapses white space, drops invisible
// characters and maps look-alikes. It returns s unchanged when there is
// nothing to do.
func clean(s string) string {
	if dirty, _ := scanNormal(s); !dirty {
		return s
	}
	return cleanBuild(s)
}

// cleanBuild does the work of clean.
func cleanBuild(s string) string {
	b := make([]byte, 0, len(s)+utf8.UTFMax)
	pending := false
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			// An invalid byte decodes as RuneError with n == 1, which
			// is exactly the U+FFFD we want to write.
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		i += n
		switch {
		case isSpace(r):
			pending = pending || len(b) > 0
			continue
		case isInvisible(r):
			continue
		}
		if pending {
			b = append(b, ' ')
			pending = false
		}
		b = utf8.AppendRune(b, mapRune(r))
	}
	return string(b)
}

// compose returns s in NFC, with Vietnamese shape marks typed after a tone
// mark moved before it, and whether that changed s.
func compose(s string) (string, bool) {
	t := norm.NFC.String(s)
	changed := t != s
	// After NFC, a misordered shape mark is left over as a combining
	// circumflex (U+0302) or breve (U+0306); without one there is
	// nothing to reorder.
	if !strings.Contains(t, "\u0302") && !strings.Contains(t, "\u0306") {
		return t, changed
	}
	rs := []rune(norm.NFD.String(t))
	if !reorderMarks(rs) {
		return t, changed
	}
	return norm.NFC.String(string(rs)), true
}

// reorderMarks moves circumflex and breve ahead of the tone marks that
// share their combining class in each run of marks after a, e or o, in
// NFD text. Canonical ordering cannot do this because all of these marks
// have combining class 230, so their typed order is significant to
// Unicode, though never to Vietnamese. It reports whether it changed rs.
func reorderMarks(rs []rune) bool {
	changed := false
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case 'a', 'e', 'o', 'A', 'E', 'O':
		default:
			continue
		}
		j := i + 1
		for j < len(rs) && isCombining(rs[j]) {
			j++
		}
		// A stable bubble pass over the run: tone before shape swaps.
		for swapped := true; swapped; {
			swapped = false
			for k := i + 1; k+1 < j; k++ {
				if isToneMark(rs[k]) && isShapeMark(rs[k+1]) {
					rs[k], rs[k+1] = rs[k+1], rs[k]
					swapped, changed = true, true
				}
			}
		}
		i = j - 1
	}
	return changed
}

// isCombining reports whether r is a combining mark (non-zero combining
// class).
func isCombining(r rune) bool {
	return norm.NFD.PropertiesString(string(r)).CCC() != 0
}

// isToneMark reports whether r is one of the combining tone marks of
// combining class 230 (dot below, class 220, is always ordered first).
func isToneMark(r rune) bool {
	switch r {
	case '\u0300', '\u0301', '\u0303', '\u0309':
		return true
	}
	return false
}

// isShapeMark reports whether r is a combining circumflex or breve.
func isShapeMark(r rune) bool {
	return r == '\u0302' || r == '\u0306'
}

// isASCII reports whether s is pure ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

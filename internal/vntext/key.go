package vntext

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Key returns the accent-free match key of s: Fold, then diacritics
// removed, đ mapped to d and apostrophes removed, so that
// "Nguyễn Thị Thuỷ", "nguyen thi thuy", "NGUYỄN THỊ THỦY" and
// "Nguyen  Thi Thuy" all give "nguyen thi thuy". Like Fold, Key treats
// hyphens as spaces.
//
// Vietnamese input always gives an ASCII key. Letters with no ASCII base
// (ø, ß, other scripts) are kept, lower-cased and without their
// non-spacing marks, in NFC.
//
// Key returns s itself, without allocating, when s is already an ASCII
// key, and allocates once for other Vietnamese input; it does not
// decompose Vietnamese letters at run time but looks their base letter up
// in a table.
func Key(s string) string {
	if isASCIIKey(s) {
		return s
	}
	if k, ok := buildKey(s, false); ok {
		return k
	}
	k, _ := buildKey(Fold(s), true)
	return k
}

// keyASCII maps each ASCII byte to what it becomes in a key: the byte
// itself, its lower case, ' ' for white space and hyphens, or keyDrop.
var keyASCII = buildKeyASCII()

// keyDrop marks an ASCII byte that a key leaves out (apostrophes).
const keyDrop = 0xFF

func buildKeyASCII() (t [utf8.RuneSelf]byte) {
	for c := range t {
		b := byte(c)
		switch {
		case b >= 'A' && b <= 'Z':
			b += 'a' - 'A'
		case b == '\'' || b == '`':
			b = keyDrop
		case b == '-' || isSpace(rune(b)):
			b = ' '
		}
		t[c] = b
	}
	return t
}

// isASCIIKey reports whether s is ASCII that Key would return unchanged.
func isASCIIKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || keyASCII[c] != c {
			return false
		}
		if c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ') {
			return false
		}
	}
	return true
}

// buildKey builds the key of s in one pass. In the fast mode (slow false)
// it handles ASCII, the letters of the Latin tables, white space,
// apostrophes, hyphens, invisible characters and the combining diacritics
// of U+0300–U+036F, and reports false on anything else, so that the caller
// can fall back to Fold. In the slow mode s must already be folded, and any
// other character is lower-cased, decomposed and stripped of its
// non-spacing marks, with NFC applied to the result.
//
// Both modes give the same key for the input the fast mode accepts: Fold
// only recomposes letters and moves tone marks, and every diacritic is
// removed here anyway, so the base letters seen are the same.
func buildKey(s string, slow bool) (string, bool) {
	var arr [128]byte
	b := arr[:0]
	if len(s) > len(arr) {
		b = make([]byte, 0, len(s))
	}
	pending, other := false, false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch k := keyASCII[c]; k {
			case keyDrop:
			case ' ':
				pending = pending || len(b) > 0
			default:
				if pending {
					b = append(b, ' ')
					pending = false
				}
				b = append(b, k)
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if info := letter(r); info != nil && info.base != 0 {
			if pending {
				b = append(b, ' ')
				pending = false
			}
			b = append(b, info.base)
			continue
		}
		switch {
		case r == utf8.RuneError && n == 1:
			// Invalid byte: let Fold turn it into U+FFFD.
			if !slow {
				return "", false
			}
		case isSpace(r) || isHyphen(r):
			pending = pending || len(b) > 0
			continue
		case isApostrophe(r) || isInvisible(r):
			continue
		case r >= '\u0300' && r <= '\u036F':
			continue // combining diacritical marks
		}
		if !slow {
			return "", false
		}
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if pending {
			b = append(b, ' ')
			pending = false
		}
		for _, d := range norm.NFD.String(string(unicode.ToLower(r))) {
			if !unicode.Is(unicode.Mn, d) {
				b = utf8.AppendRune(b, d)
			}
		}
		other = true
	}
	out := string(b)
	if other {
		out = norm.NFC.String(out)
	}
	return out, true
}

// HasDiacritics reports whether s, after Normalize, contains any
// Vietnamese diacritic or đ. A search typed without diacritics matches on
// Key only; one typed with them also requires Fold equality.
//
// Any letter with a diacritic counts (a Latin letter outside Vietnamese
// such as ñ too), as does a stray combining mark, since either shows that
// the typist meant the marks. HasDiacritics does not allocate.
func HasDiacritics(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if info := letter(r); info != nil {
			if info.diacritic {
				return true
			}
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			return true
		}
	}
	return false
}

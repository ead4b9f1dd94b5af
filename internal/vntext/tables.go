package vntext

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Tone indices, numbered in the order Vietnamese dictionaries sort them.
const (
	toneNone  = iota // ngang: no mark
	toneGrave        // huyền
	toneHook         // hỏi
	toneTilde        // ngã
	toneAcute        // sắc
	toneDot          // nặng
	numTones
)

// toneMarks holds the combining character of each tone.
var toneMarks = [numTones]rune{0, '\u0300', '\u0309', '\u0303', '\u0301', '\u0323'}

// vowelRunes lists the twelve Vietnamese vowel letters without tone; a
// vowel is referred to by its index in this list plus one, so that zero
// means "not a vowel".
var vowelRunes = [...]rune{'a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'}

// Vowel numbers (index in vowelRunes plus one) that the tone-placement
// rules refer to by name.
const (
	vowelA = 1 + iota
	vowelABreve
	vowelACirc
	vowelE
	vowelECirc
	vowelI
	vowelO
	vowelOCirc
	vowelOHorn
	vowelU
	vowelUHorn
	vowelY
)

// shapedVowel reports whether vowel number v carries a shape diacritic
// (breve, circumflex or horn), which always takes the tone mark.
func shapedVowel(v uint8) bool {
	switch v {
	case vowelABreve, vowelACirc, vowelECirc, vowelOCirc, vowelOHorn, vowelUHorn:
		return true
	}
	return false
}

// letterInfo describes one precomposed Latin letter.
type letterInfo struct {
	// base is the lower-case ASCII letter left when every diacritic is
	// removed (đ gives d), or 0 when the letter has none (ø, æ, ß).
	base byte
	// diacritic is set when the letter carries a diacritic or is đ.
	diacritic bool
	// vowel is the Vietnamese vowel number (see vowelRunes), or 0.
	vowel uint8
	// tone is the tone mark the vowel carries.
	tone uint8
	// upper is set for upper-case letters.
	upper bool
	// isLetter caches unicode.IsLetter.
	isLetter bool
	// stable is set when the rune is in NFC and nothing composes with it
	// from before, so that text made only of such runes (and ASCII) is
	// known to be in NFC without asking the norm package.
	stable bool
	// lower caches unicode.ToLower.
	lower rune
}

// The table covers Latin-1 Supplement, Latin Extended-A and -B, IPA
// Extensions (up to U+02AF, for the look-alike ɖ) and Latin Extended
// Additional (U+1E00–U+1EFF), where every precomposed Vietnamese letter
// lives; runes elsewhere take the slow path.
const (
	lowTableEnd   = 0x2B0
	extTableStart = 0x1E00
	extTableEnd   = 0x1F00
)

// letterTables holds the letter tables.
type letterTables struct {
	low [lowTableEnd]letterInfo
	ext [extTableEnd - extTableStart]letterInfo
	// vowelForms[v-1][tone][upper] is the precomposed letter for vowel
	// number v with the given tone, lower case (0) or upper case (1).
	vowelForms [len(vowelRunes)][numTones][2]rune
}

// tables is built by a variable initialiser rather than an init function
// so that Go's initialisation order runs it before any other package-level
// variable whose initialiser calls Fold or Key.
var tables = buildTables()

// letter returns the table entry for r, or nil when r is outside the
// table's ranges.
func letter(r rune) *letterInfo {
	switch {
	case r < lowTableEnd:
		return &tables.low[r]
	case r >= extTableStart && r < extTableEnd:
		return &tables.ext[r-extTableStart]
	}
	return nil
}

// buildTables computes the tables from the Unicode decompositions rather
// than having them typed in, so that they cannot disagree with the slow
// path of Key, which uses the same decompositions.
func buildTables() *letterTables {
	t := new(letterTables)
	letter := func(r rune) *letterInfo {
		if r < lowTableEnd {
			return &t.low[r]
		}
		return &t.ext[r-extTableStart]
	}
	fill := func(r rune) {
		info := letter(r)
		info.lower = unicode.ToLower(r)
		p := norm.NFC.PropertiesString(string(r))
		info.stable = p.CCC() == 0 && p.BoundaryBefore() && norm.NFC.IsNormalString(string(r))
		if !unicode.IsLetter(r) {
			return
		}
		info.isLetter = true
		info.upper = unicode.IsUpper(r)
		if r < utf8.RuneSelf {
			info.base = byte(info.lower)
			return
		}
		d := norm.NFD.String(string(info.lower))
		b, n := utf8.DecodeRuneInString(d)
		if b >= 'a' && b <= 'z' && onlyMarks(d[n:]) {
			info.base = byte(b)
			info.diacritic = n < len(d)
		}
	}
	for r := rune(0); r < lowTableEnd; r++ {
		fill(r)
	}
	for r := rune(extTableStart); r < extTableEnd; r++ {
		fill(r)
	}
	// Đ has no decomposition, and the look-alikes Ð (Icelandic eth) and
	// Ɖ (African D) are what bad data holds in its place.
	for _, r := range []rune{'Đ', 'đ', 'Ð', 'ð', 'Ɖ', 'ɖ'} {
		info := letter(r)
		info.base, info.diacritic = 'd', true
	}
	for i, v := range vowelRunes {
		for tone := range numTones {
			s := string(v)
			if tone != toneNone {
				s += string(toneMarks[tone])
			}
			s = norm.NFC.String(s)
			lo, n := utf8.DecodeRuneInString(s)
			if n != len(s) {
				panic("vntext: no precomposed form for a Vietnamese vowel")
			}
			up := unicode.ToUpper(lo)
			t.vowelForms[i][tone] = [2]rune{lo, up}
			for _, r := range []rune{lo, up} {
				info := letter(r)
				info.vowel, info.tone = uint8(i+1), uint8(tone)
			}
		}
	}
	return t
}

// stableRune reports whether r is ASCII or a stable table entry (see
// letterInfo.stable).
func stableRune(r rune) bool {
	if r < utf8.RuneSelf {
		return true
	}
	info := letter(r)
	return info != nil && info.stable
}

// isLetter is unicode.IsLetter with the Latin letters looked up in the
// table.
func isLetter(r rune) bool {
	if info := letter(r); info != nil {
		return info.isLetter
	}
	return unicode.IsLetter(r)
}

// onlyMarks reports whether s consists of non-spacing marks only.
func onlyMarks(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

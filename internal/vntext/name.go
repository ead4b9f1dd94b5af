package vntext

import (
	"strings"
)

// NameParts is a full name split into its parts, each in the display form
// that Normalize returns.
type NameParts struct {
	// Surname is the family name, one word or a compound such as
	// "Tôn Thất"; empty when the name has a single word.
	Surname string
	// Middle holds the words between surname and given name, joined by
	// single spaces; it may be empty or hold several words.
	Middle string
	// Given is the given name, the part people are called by and the
	// first key of Vietnamese alphabetical lists of people.
	Given string
}

// compoundSurnames lists the multi-word surnames SplitName recognises,
// Kinh order (surname first). Longer entries win over their prefixes, so
// "Công Tằng Tôn Nữ" is taken whole rather than as "Công". The royal
// Nguyễn Phúc (Phước) line and its branches Tôn Thất, Tôn Nữ and Công
// Tằng/Công Huyền Tôn Nữ are the compounds that occur in the registry in
// numbers; the Sino-Vietnamese two-syllable surnames are rarer.
var compoundSurnames = []string{
	"Tôn Thất",
	"Tôn Nữ",
	"Nguyễn Phúc",
	"Nguyễn Phước",
	"Công Tằng Tôn Nữ",
	"Công Huyền Tôn Nữ",
	"Công Tôn Nữ",
	"Âu Dương",
	"Tư Mã",
	"Gia Cát",
	"Hoàng Phủ",
	"Thượng Quan",
	// Gia Rai clan names of two words, written first like Kinh surnames
	// ("Rơ Châm Ớt").
	"Rơ Châm",
	"Rơ Mah",
	"Rơ Lan",
	"Rah Lan",
}

// surnameLastCompounds lists multi-word family names of the peoples (Ê Đê
// and others) who write the family name last.
var surnameLastCompounds = []string{
	"Niê Kdăm",
}

// nameWord is one word of a name with its match forms.
type nameWord struct {
	fold, key string
	marked    bool // typed with diacritics
}

// splitWords returns the match forms of each space-separated word of s.
func splitWords(s string) []nameWord {
	f := strings.Fields(s)
	ws := make([]nameWord, len(f))
	for i, w := range f {
		ws[i] = nameWord{fold: Fold(w), key: Key(w), marked: HasDiacritics(w)}
	}
	return ws
}

// Surnames as their match forms, computed once.
var (
	compoundSurnameWords     = wordLists(compoundSurnames)
	surnameLastCompoundWords = wordLists(surnameLastCompounds)
)

func wordLists(names []string) [][]nameWord {
	out := make([][]nameWord, len(names))
	for i, n := range names {
		out[i] = splitWords(n)
	}
	return out
}

// wordsMatch reports whether the words typed match the words of a listed
// name, with the search rule of the package: keys must be equal, and a
// word typed with diacritics must also fold equal, so "Ton That" and
// "Tôn Thất" match "Tôn Thất" but "Tồn Thất" does not.
func wordsMatch(typed, listed []nameWord) bool {
	if len(typed) != len(listed) {
		return false
	}
	for i := range typed {
		if typed[i].key != listed[i].key {
			return false
		}
		if typed[i].marked && typed[i].fold != listed[i].fold {
			return false
		}
	}
	return true
}

// SplitName splits a full name into surname, middle and given name. The
// parts come from Normalize(full), keeping the spelling as typed.
//
// Kinh names put the surname first and the given name last: "Nguyễn Văn
// An" is Nguyễn / Văn / An, "Tôn Nữ Thị Ninh" is Tôn Nữ / Thị / Ninh. A
// compound surname (see compoundSurnames) is only taken whole when a given
// name is left after it, so "Nguyễn Phúc" alone is Nguyễn / Phúc.
//
// Ê Đê names (and those of neighbouring peoples who follow the same
// custom) put the family name last, after a given name that starts with the
// gender prefix H' (women) or Y (men, also written joined as Y-Moan):
// "H'Hen Niê" is given H'Hen, surname
// Niê; "Y Ngông Niê Kdăm" is given "Y Ngông", surname "Niê Kdăm". For these,
// Middle is empty and Given holds everything before the family name.
//
// A one-word name is Given only; an empty name gives empty parts.
func SplitName(full string) NameParts {
	full = Normalize(full)
	words := strings.Fields(full)
	switch len(words) {
	case 0:
		return NameParts{}
	case 1:
		return NameParts{Given: words[0]}
	}
	ws := splitWords(full)

	if n, ok := surnameLastCount(words, ws); ok {
		cut := len(words) - n
		return NameParts{
			Surname: strings.Join(words[cut:], " "),
			Given:   strings.Join(words[:cut], " "),
		}
	}

	n := 1
	for _, c := range compoundSurnameWords {
		if len(c) > n && len(c) < len(ws) && wordsMatch(ws[:len(c)], c) {
			n = len(c)
		}
	}
	return NameParts{
		Surname: strings.Join(words[:n], " "),
		Middle:  strings.Join(words[n:len(words)-1], " "),
		Given:   words[len(words)-1],
	}
}

// surnameLastCount reports whether words is a surname-last name and, if so,
// how many words at the end are the family name: none when the words are
// only a prefixed given name ("Y Moan").
func surnameLastCount(words []string, ws []nameWord) (int, bool) {
	first := words[0]
	minWords := 0
	switch {
	case len(first) > 2 && (first[0] == 'H' || first[0] == 'h') && first[1] == '\'':
		minWords = 2 // H'Hen Niê
	case ws[0].key == "y" && !ws[0].marked:
		minWords = 3 // Y + given + family name
	case strings.HasPrefix(ws[0].key, "y ") && (first[0] == 'Y' || first[0] == 'y'):
		minWords = 2 // Y-Moan Ênuôl
	default:
		return 0, false
	}
	if len(words) < minWords {
		return 0, true
	}
	n := 1
	for _, c := range surnameLastCompoundWords {
		if len(c) > n && len(ws)-len(c) >= minWords-1 && wordsMatch(ws[len(ws)-len(c):], c) {
			n = len(c)
		}
	}
	return n, true
}

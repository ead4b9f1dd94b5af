package vntext

import (
	"errors"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes is the longest name ValidName accepts, in characters of
// its normalised form. Vietnamese names rarely pass 40; the limit is there
// to stop garbage, not to judge unusual names.
const MaxNameRunes = 100

// Reasons ValidName gives, to be checked with errors.Is. They name the
// problem and never include the name, so that they can be logged and
// returned to clients.
var (
	// ErrNameEmpty means the name is empty or only white space.
	ErrNameEmpty = errors.New("vntext: name is empty")
	// ErrNameTooLong means the normalised name has more than MaxNameRunes
	// characters.
	ErrNameTooLong = errors.New("vntext: name is longer than " + strconv.Itoa(MaxNameRunes) + " characters")
	// ErrNameEncoding means the name is not valid UTF-8.
	ErrNameEncoding = errors.New("vntext: name is not valid UTF-8")
	// ErrNameControl means the name holds a control character other than
	// white space (tabs and newlines are read as spaces).
	ErrNameControl = errors.New("vntext: name contains a control character")
	// ErrNameDigit means the name holds a decimal digit of any script.
	ErrNameDigit = errors.New("vntext: name contains a digit")
	// ErrNameCharacter means the name holds a character other than Latin
	// letters, combining marks on them, spaces, apostrophes, hyphens and
	// dots.
	ErrNameCharacter = errors.New("vntext: name contains a character other than Latin letters, spaces, apostrophes, hyphens and dots")
	// ErrNameNoLetter means the name is only punctuation.
	ErrNameNoLetter = errors.New("vntext: name contains no letter")
)

// ValidName reports why a person's name is unacceptable, or nil. The name
// is judged in its normalised form (what the registry stores), so NBSP,
// tabs, curly apostrophes and NFD input are fine. A name is unacceptable
// when it is empty, longer than MaxNameRunes, contains digits, control
// characters, or characters other than Latin letters (Vietnamese ones
// included), spaces, apostrophes, hyphens and dots, or has no letter at
// all. The error is one of the ErrName values, to be checked with
// errors.Is.
//
// A combining mark is accepted after a Latin letter: the Ê Đê alphabet
// writes ê̆, ô̆ and ơ̆, which have no precomposed form.
func ValidName(s string) error {
	if !utf8.ValidString(s) {
		return ErrNameEncoding
	}
	s = Normalize(s)
	if s == "" {
		return ErrNameEmpty
	}
	if utf8.RuneCountInString(s) > MaxNameRunes {
		return ErrNameTooLong
	}
	letters := 0
	afterLetter := false
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return ErrNameControl
		case unicode.IsDigit(r):
			return ErrNameDigit
		case unicode.IsLetter(r) && unicode.Is(unicode.Latin, r):
			letters++
			afterLetter = true
		case unicode.Is(unicode.Mn, r) && afterLetter:
			// a mark on the preceding letter
		case r == ' ' || r == '\'' || r == '-' || r == '.':
			afterLetter = false
		default:
			return ErrNameCharacter
		}
	}
	if letters == 0 {
		return ErrNameNoLetter
	}
	return nil
}

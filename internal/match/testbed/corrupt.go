package testbed

import (
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/vntext"
)

// Kind names a corruption.
type Kind string

// The corruptions a Corrupter applies.
const (
	// NameTypo is one typing error in the name: a letter replaced by a
	// neighbour on the keyboard, dropped, doubled, or two letters swapped.
	NameTypo Kind = "name_typo"
	// DiacriticsDropped removes every diacritic (and đ) from the name, as
	// typed on a keyboard without a Vietnamese input method.
	DiacriticsDropped Kind = "diacritics_dropped"
	// DiacriticsPartly removes the diacritics of one word of the name.
	DiacriticsPartly Kind = "diacritics_partly_dropped"
	// TonePlacement moves a tone mark between the old and the new
	// placement ("Hòa" and "Hoà", "Thủy" and "Thuỷ"); a name without such
	// a syllable is left unchanged.
	TonePlacement Kind = "tone_placement"
	// WrongTone replaces the tone of one syllable with another ("Thủy"
	// typed "Thùy").
	WrongTone Kind = "wrong_tone"
	// MiddleMissing drops the middle name ("Nguyễn Văn An" as "Nguyễn An").
	MiddleMissing Kind = "middle_missing"
	// MiddleSwapped swaps two middle names ("Trần Thị Mai Lan" as "Trần Mai
	// Thị Lan"); with a single middle name it writes the given name first.
	MiddleSwapped Kind = "middle_swapped"
	// DayMonthSwapped swaps the day and the month of the date of birth
	// (only where the day is a valid month and differs from it).
	DayMonthSwapped Kind = "day_month_swapped"
	// YearOnly keeps only the year of the date of birth.
	YearOnly Kind = "year_only"
	// YearMonthOnly keeps only the year and month of the date of birth.
	YearMonthOnly Kind = "year_month_only"
	// DayTypo mistypes one digit of the day of birth.
	DayTypo Kind = "day_typo"
	// Moved gives the person another permanent residence (another address
	// in another commune of the same province, or of another province).
	Moved Kind = "moved"
	// PhoneDropped removes the phone number.
	PhoneDropped Kind = "phone_dropped"
	// ParentsUnaccented drops the diacritics of the parents' names.
	ParentsUnaccented Kind = "parents_unaccented"
	// ParentsMissing removes the parents from the record.
	ParentsMissing Kind = "parents_missing"
	// OtherPIN: a claim carries another person's PIN (Claims only).
	OtherPIN Kind = "other_pin"
	// Died: the copy is of a person recorded as dead (Claims and
	// Duplicates mark it; the copy itself may say alive).
	Died Kind = "died"
)

// NameKinds, DateKinds and OtherKinds group the corruptions a Corrupter
// draws from.
var (
	NameKinds  = []Kind{NameTypo, DiacriticsDropped, DiacriticsPartly, TonePlacement, WrongTone, MiddleMissing, MiddleSwapped}
	DateKinds  = []Kind{DayMonthSwapped, YearOnly, YearMonthOnly, DayTypo}
	OtherKinds = []Kind{Moved, PhoneDropped, ParentsUnaccented, ParentsMissing}
)

// Corrupter applies corruptions with its own random stream.
type Corrupter struct {
	rng *rand.Rand
}

// NewCorrupter returns a Corrupter whose choices depend only on seed.
func NewCorrupter(seed uint64) *Corrupter {
	return &Corrupter{rng: rand.New(rand.NewPCG(seed, 0x7465737462656421))}
}

// Copy returns a deep copy of p with the corruptions in kinds applied, in
// order, and the kinds that changed something (a swap of day and month on
// the 20th, for example, changes nothing and is left out).
func (c *Corrupter) Copy(p *registry.Person, kinds ...Kind) (*registry.Person, []Kind) {
	q := clone(p)
	var applied []Kind
	for _, k := range kinds {
		if c.apply(q, k) {
			applied = append(applied, k)
		}
	}
	return q, applied
}

// Random returns a copy of p with one to three corruptions drawn from
// the groups: a name corruption with probability 0.7, a date corruption
// with 0.4, another with 0.4 — at least one that changes something where
// the record allows it.
func (c *Corrupter) Random(p *registry.Person) (*registry.Person, []Kind) {
	for range 8 {
		var kinds []Kind
		if c.rng.Float64() < 0.7 {
			kinds = append(kinds, NameKinds[c.rng.IntN(len(NameKinds))])
		}
		if c.rng.Float64() < 0.4 {
			kinds = append(kinds, DateKinds[c.rng.IntN(len(DateKinds))])
		}
		if c.rng.Float64() < 0.4 {
			kinds = append(kinds, OtherKinds[c.rng.IntN(len(OtherKinds))])
		}
		if q, applied := c.Copy(p, kinds...); len(applied) > 0 {
			return q, applied
		}
	}
	return c.Copy(p, DiacriticsDropped)
}

func (c *Corrupter) apply(q *registry.Person, k Kind) bool {
	switch k {
	case NameTypo:
		return c.setName(&q.FullName, c.typo(q.FullName))
	case DiacriticsDropped:
		return c.setName(&q.FullName, unaccent(q.FullName))
	case DiacriticsPartly:
		w := strings.Fields(q.FullName)
		var marked []int
		for i, x := range w {
			if unaccent(x) != x {
				marked = append(marked, i)
			}
		}
		if len(marked) == 0 {
			return false
		}
		i := marked[c.rng.IntN(len(marked))]
		w[i] = unaccent(w[i])
		return c.setName(&q.FullName, strings.Join(w, " "))
	case TonePlacement:
		return c.setName(&q.FullName, switchTonePlacement(q.FullName))
	case WrongTone:
		return c.setName(&q.FullName, c.wrongTone(q.FullName))
	case MiddleMissing:
		parts := vntext.SplitName(q.FullName)
		if parts.Middle == "" || parts.Surname == "" {
			return false
		}
		return c.setName(&q.FullName, parts.Surname+" "+parts.Given)
	case MiddleSwapped:
		parts := vntext.SplitName(q.FullName)
		m := strings.Fields(parts.Middle)
		switch {
		case parts.Surname == "" || len(m) == 0:
			return false
		case len(m) == 1:
			return c.setName(&q.FullName, parts.Given+" "+parts.Surname+" "+parts.Middle)
		}
		i := c.rng.IntN(len(m) - 1)
		m[i], m[i+1] = m[i+1], m[i]
		return c.setName(&q.FullName, parts.Surname+" "+strings.Join(m, " ")+" "+parts.Given)
	case DayMonthSwapped:
		d := q.BirthDate
		if !d.IsFull() || d.Day > 12 || d.Day == d.Month {
			return false
		}
		// A day of at most 12 is a month, and a month is a valid day in any month.
		q.BirthDate = registry.Date{Year: d.Year, Month: d.Day, Day: d.Month}
		return true
	case YearOnly:
		if q.BirthDate.Month == 0 {
			return false
		}
		q.BirthDate = registry.Date{Year: q.BirthDate.Year}
		return true
	case YearMonthOnly:
		if q.BirthDate.Day == 0 {
			return false
		}
		q.BirthDate.Day = 0
		return true
	case DayTypo:
		d := q.BirthDate
		if !d.IsFull() {
			return false
		}
		for range 10 {
			nd := d
			if d.Day >= 10 && c.rng.IntN(2) == 0 {
				nd.Day = (c.rng.IntN(3))*10 + d.Day%10
			} else {
				nd.Day = d.Day/10*10 + c.rng.IntN(10)
			}
			if nd.Day != d.Day && nd.Day > 0 && nd.Validate() == nil {
				q.BirthDate = nd
				return true
			}
		}
		return false
	case Moved:
		if q.PermanentResidence == nil {
			return false
		}
		r := *q.PermanentResidence
		// Another commune of the same province or, one time in three, of
		// another province (a second registration after a move across
		// the country); the codes need not exist, since only their
		// inequality matters to matching.
		r.Commune += "9"
		if c.rng.IntN(3) == 0 {
			ps := pin.Provinces()
			for {
				if p := ps[c.rng.IntN(len(ps))].Code[1:]; p != r.Province {
					r.Province = p
					break
				}
			}
		}
		r.Address = "Số " + itoa(1+c.rng.IntN(300)) + " đường " + []string{"Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Quang Trung", "Nguyễn Huệ"}[c.rng.IntN(5)]
		q.PermanentResidence = &r
		return true
	case PhoneDropped:
		if q.Phone == "" {
			return false
		}
		q.Phone = ""
		return true
	case ParentsUnaccented:
		changed := false
		for _, r := range []*registry.Relative{q.Father, q.Mother} {
			if r != nil && unaccent(r.FullName) != r.FullName {
				r.FullName = unaccent(r.FullName)
				changed = true
			}
		}
		return changed
	case ParentsMissing:
		if q.Father == nil && q.Mother == nil {
			return false
		}
		q.Father, q.Mother = nil, nil
		return true
	case Died:
		return false // a mark of the truth, not a change of the copy
	}
	return false
}

func (c *Corrupter) setName(dst *string, name string) bool {
	name = vntext.Normalize(name)
	if name == "" || name == *dst {
		return false
	}
	*dst = name
	return true
}

// keyboard holds each letter's neighbours on a QWERTY keyboard.
var keyboard = map[rune]string{
	'a': "qwsz", 'b': "vghn", 'c': "xdfv", 'd': "serfcx", 'e': "wsdr", 'f': "drtgvc",
	'g': "ftyhbv", 'h': "gyujnb", 'i': "ujko", 'j': "huikmn", 'k': "jiolm", 'l': "kop",
	'm': "njk", 'n': "bhjm", 'o': "iklp", 'p': "ol", 'q': "wa", 'r': "edft", 's': "awedxz",
	't': "rfgy", 'u': "yhji", 'v': "cfgb", 'w': "qase", 'x': "zsdc", 'y': "tghu", 'z': "asx",
}

// typo makes one typing error in a word of at least three letters.
func (c *Corrupter) typo(name string) string {
	words := strings.Fields(name)
	var long []int
	for i, w := range words {
		if len([]rune(w)) >= 3 {
			long = append(long, i)
		}
	}
	if len(long) == 0 {
		return name
	}
	i := long[c.rng.IntN(len(long))]
	r := []rune(words[i])
	pos := 1 + c.rng.IntN(len(r)-1) // keep the capital letter
	switch c.rng.IntN(4) {
	case 0: // neighbour
		base := []rune(vntext.Key(string(r[pos])))
		if len(base) == 1 {
			if nb := keyboard[base[0]]; nb != "" {
				r[pos] = rune(nb[c.rng.IntN(len(nb))])
				break
			}
		}
		r = slices.Delete(r, pos, pos+1)
	case 1: // dropped
		r = slices.Delete(r, pos, pos+1)
	case 2: // doubled
		r = slices.Insert(r, pos, r[pos])
	default: // swapped with the previous letter, unless it is the capital
		if pos >= 2 {
			r[pos-1], r[pos] = r[pos], r[pos-1]
		} else if pos+1 < len(r) {
			r[pos], r[pos+1] = r[pos+1], r[pos]
		}
	}
	words[i] = string(r)
	return strings.Join(words, " ")
}

// tones are the combining tone marks: grave, acute, tilde, hook, dot below.
var tones = []rune{'\u0300', '\u0301', '\u0303', '\u0309', '\u0323'}

func isTone(r rune) bool { return slices.Contains(tones, r) }

// wrongTone changes the tone of one toned syllable to another tone.
func (c *Corrupter) wrongTone(name string) string {
	words := strings.Fields(name)
	var toned []int
	for i, w := range words {
		if strings.ContainsFunc(norm.NFD.String(w), isTone) {
			toned = append(toned, i)
		}
	}
	if len(toned) == 0 {
		return name
	}
	i := toned[c.rng.IntN(len(toned))]
	rs := []rune(norm.NFD.String(words[i]))
	for j, r := range rs {
		if isTone(r) {
			for {
				t := tones[c.rng.IntN(len(tones))]
				if t != r {
					rs[j] = t
					break
				}
			}
			break
		}
	}
	words[i] = norm.NFC.String(string(rs))
	return strings.Join(words, " ")
}

// unaccent removes every diacritic and maps đ to d, keeping the case.
func unaccent(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		case r == 'Đ':
			b.WriteRune('D')
		default:
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// switchTonePlacement moves the tone of open syllables ending in oa, oe or
// uy between the two vowels: new placement (hoà, thuỷ) to old (hòa, thủy)
// and back.
func switchTonePlacement(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		rs := []rune(norm.NFD.String(w))
		// Collect base letters with their tone.
		type letter struct {
			base []rune
			tone rune
		}
		var ls []letter
		for _, r := range rs {
			if isTone(r) && len(ls) > 0 {
				ls[len(ls)-1].tone = r
				continue
			}
			if unicode.Is(unicode.Mn, r) && len(ls) > 0 {
				ls[len(ls)-1].base = append(ls[len(ls)-1].base, r)
				continue
			}
			ls = append(ls, letter{base: []rune{r}})
		}
		n := len(ls)
		if n < 2 {
			continue
		}
		pair := strings.ToLower(string(ls[n-2].base) + string(ls[n-1].base))
		if pair != "oa" && pair != "oe" && pair != "uy" {
			continue
		}
		switch {
		case ls[n-1].tone != 0 && ls[n-2].tone == 0:
			ls[n-2].tone, ls[n-1].tone = ls[n-1].tone, 0
		case ls[n-2].tone != 0 && ls[n-1].tone == 0:
			ls[n-1].tone, ls[n-2].tone = ls[n-2].tone, 0
		default:
			continue
		}
		var out []rune
		for _, l := range ls {
			out = append(out, l.base...)
			if l.tone != 0 {
				out = append(out, l.tone)
			}
		}
		words[i] = norm.NFC.String(string(out))
	}
	return strings.Join(words, " ")
}

// clone deep-copies the parts of a person that corruptions change.
func clone(p *registry.Person) *registry.Person {
	q := *p
	if p.Father != nil {
		f := *p.Father
		q.Father = &f
	}
	if p.Mother != nil {
		m := *p.Mother
		q.Mother = &m
	}
	if p.PermanentResidence != nil {
		r := *p.PermanentResidence
		q.PermanentResidence = &r
	}
	q.LinkedPINs = slices.Clone(p.LinkedPINs)
	return &q
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

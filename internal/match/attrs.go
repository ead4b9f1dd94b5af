package match

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/units"
	"github.com/dancu/dancu/internal/vntext"
)

// Attribute names, as the API and the result files spell them.
const (
	AttrFullName  = "full_name"
	AttrBirthDate = "birth_date"
	AttrSex       = "sex"
	AttrAddress   = "address"
	AttrPhone     = "phone"
	AttrDocument  = "document_number"
)

// Claim is what a caller says about a person. Empty fields are not claimed.
type Claim struct {
	FullName  string
	BirthDate registry.Date // zero: not claimed
	Sex       registry.Sex  // "": not claimed
	Address   string
	// Province and Commune are codes of the 2025 units: the structured
	// part of the address attribute, which a claim may give instead of or
	// with the free text.
	Province string
	Commune  string
	Phone    string
	Document string
}

// Claimed lists the attributes the claim gives, in a fixed order.
func (c *Claim) Claimed() []string {
	var out []string
	if c.FullName != "" {
		out = append(out, AttrFullName)
	}
	if !c.BirthDate.IsZero() {
		out = append(out, AttrBirthDate)
	}
	if c.Sex != "" {
		out = append(out, AttrSex)
	}
	if c.Address != "" || c.Province != "" || c.Commune != "" {
		out = append(out, AttrAddress)
	}
	if c.Phone != "" {
		out = append(out, AttrPhone)
	}
	if c.Document != "" {
		out = append(out, AttrDocument)
	}
	return out
}

// needsDocument reports whether comparing the claim needs the person's
// document rather than only the store's index columns.
func (c *Claim) needsDocument() bool {
	return c.Address != "" || c.Province != "" || c.Commune != "" || c.Phone != "" || c.Document != ""
}

// Record is what verification compares a claim with: the registry's values
// of one person. It never leaves this package's answers.
type Record struct {
	PIN       string
	NameFold  string // vntext.Fold of the full name
	OtherFold string // vntext.Fold of the other name, "" if none
	BirthDate registry.Date
	Sex       registry.Sex
	State     registry.LifeState
	Phone     string   // national form (0 and 9 digits), "" if none
	Documents []string // numbers of identity documents, digits only
	// Residences are the residences on record, for comparators that look
	// at their parts.
	Residences []registry.Residence
	// full says whether the document was read (phone, documents,
	// addresses are known).
	full bool
}

// personDoc is the part of a person's document verification reads: the
// JSON decoder skips the rest without building it.
type personDoc struct {
	OtherName   string `json:"other_name"`
	OldIDNumber string `json:"old_id_number"`
	Documents   []struct {
		Number string `json:"number"`
	} `json:"documents"`
	PermanentResidence *registry.Residence `json:"permanent_residence"`
	TemporaryResidence *registry.Residence `json:"temporary_residence"`
	CurrentResidence   *registry.Residence `json:"current_residence"`
	Phone              string              `json:"phone"`
}

// recordOf builds a Record from a store row, reading the document when the
// row carries one.
func recordOf(row store.VerifyRow) (Record, error) {
	r := Record{PIN: row.PIN, NameFold: row.NameFold, Sex: registry.Sex(row.Sex), State: registry.LifeState(row.State)}
	if row.BirthDate != "" {
		d, err := registry.ParseDate(row.BirthDate)
		if err != nil {
			return r, err
		}
		r.BirthDate = d
	}
	if row.Data == nil {
		return r, nil
	}
	var doc personDoc
	if err := json.Unmarshal(row.Data, &doc); err != nil {
		return r, err
	}
	r.full = true
	if doc.OtherName != "" {
		r.OtherFold = vntext.Fold(doc.OtherName)
	}
	r.Phone = normPhone(doc.Phone)
	r.Documents = append(r.Documents, row.PIN) // the chip card's number is the PIN
	if d := digits(doc.OldIDNumber); d != "" {
		r.Documents = append(r.Documents, d)
	}
	for _, d := range doc.Documents {
		if n := digits(d.Number); n != "" {
			r.Documents = append(r.Documents, n)
		}
	}
	for _, res := range []*registry.Residence{doc.PermanentResidence, doc.CurrentResidence, doc.TemporaryResidence} {
		if res == nil {
			continue
		}
		r.Residences = append(r.Residences, *res)
	}
	return r, nil
}

// addressForms are the normalised spellings of a residence an exact
// comparison accepts: the street part alone, and the street part with the
// commune's and the province's names.
func addressForms(res registry.Residence) []string {
	street := normAddress(res.Address)
	forms := []string{}
	if street != "" {
		forms = append(forms, street)
	}
	at := time.Now()
	if res.ValidFrom.Year > 0 {
		at = res.ValidFrom.Earliest()
	}
	var parts []string
	if street != "" {
		parts = append(parts, street)
	}
	if c, ok := units.LookupCommune(res.Commune, at); ok {
		parts = append(parts, normAddress(c.Name))
	} else if c, ok := units.LookupCommune(res.Commune, time.Now()); ok {
		parts = append(parts, normAddress(c.Name))
	}
	if p, ok := units.LookupProvince(res.Province, at); ok {
		parts = append(parts, normAddress(p.Name))
	} else if p, ok := units.LookupProvince(res.Province, time.Now()); ok {
		parts = append(parts, normAddress(p.Name))
	}
	if len(parts) > 1 {
		forms = append(forms, strings.Join(parts, " "))
	}
	return forms
}

// normName is the exact-comparison form of a name.
func normName(s string) string { return vntext.Fold(s) }

// normAddress is the exact-comparison form of an address: folded, with
// punctuation turned into spaces, so that "12 Lê Lợi, P. Bến Nghé" and
// "12 lê lợi p bến nghé" are equal.
func normAddress(s string) string {
	f := vntext.Fold(s)
	var b strings.Builder
	b.Grow(len(f))
	space := true
	for _, r := range f {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// digits keeps the ASCII digits of s.
func digits(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// normPhone returns a Vietnamese phone number in its national form ("0"
// and 9 or 10 digits): +84 and 84 prefixes become 0, separators go. Other
// input comes back as its digits.
func normPhone(s string) string {
	d := digits(s)
	switch {
	case strings.HasPrefix(d, "84") && (len(d) == 11 || len(d) == 12):
		return "0" + d[2:]
	case len(d) == 9 && d[0] != '0': // a spreadsheet dropped the leading 0
		return "0" + d
	}
	return d
}

// parseSex reads a sex as carriers and agencies write it.
func parseSex(s string) (registry.Sex, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "male", "m", "nam", "1":
		return registry.Male, true
	case "female", "f", "nữ", "nu", "nư", "2":
		return registry.Female, true
	}
	if utf8.ValidString(s) && vntext.Key(s) == "nu" {
		return registry.Female, true
	}
	return "", false
}

// parseBirthDate reads an ISO date (YYYY, YYYY-MM, YYYY-MM-DD) or the
// Vietnamese DD/MM/YYYY and MM/YYYY.
func parseBirthDate(s string) (registry.Date, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		parts := strings.Split(s, "/")
		switch len(parts) {
		case 3:
			s = parts[2] + "-" + pad2(parts[1]) + "-" + pad2(parts[0])
		case 2:
			s = parts[1] + "-" + pad2(parts[0])
		default:
			return registry.Date{}, false
		}
	}
	d, err := registry.ParseDate(s)
	if err != nil || d.IsZero() {
		return registry.Date{}, false
	}
	return d, true
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// datesAgree reports whether two possibly partial dates agree on every part
// both know. An unknown recorded date agrees with nothing, so that a claim
// is never verified by the absence of data.
func datesAgree(a, b registry.Date) bool {
	if a.IsZero() || b.IsZero() || a.Year != b.Year {
		return false
	}
	if a.Month == 0 || b.Month == 0 {
		return true
	}
	if a.Month != b.Month {
		return false
	}
	return a.Day == 0 || b.Day == 0 || a.Day == b.Day
}

// The attributes in their fixed order, for verdict arrays.
var attrOrder = [...]string{AttrFullName, AttrBirthDate, AttrSex, AttrAddress, AttrPhone, AttrDocument}

// verdicts holds, per attribute in attrOrder, 0 when not claimed, 1 when
// it matches, -1 when it does not: the bulk path answers millions of
// lines and keeps them off the heap.
type verdicts [len(attrOrder)]int8

// judge answers each claimed attribute with the exact strategy. rec must
// have been read with its document when the claim needs it.
func judge(c *Claim, rec *Record) verdicts {
	var v verdicts
	set := func(i int, ok bool) {
		v[i] = -1
		if ok {
			v[i] = 1
		}
	}
	if c.FullName != "" {
		f := normName(c.FullName)
		set(0, f != "" && (f == rec.NameFold || f == rec.OtherFold))
	}
	if !c.BirthDate.IsZero() {
		set(1, datesAgree(c.BirthDate, rec.BirthDate))
	}
	if c.Sex != "" {
		set(2, c.Sex == rec.Sex)
	}
	if c.Address != "" || c.Province != "" || c.Commune != "" {
		set(3, addressMatches(c, rec))
	}
	if c.Phone != "" {
		p := normPhone(c.Phone)
		set(4, p != "" && p == rec.Phone)
	}
	if c.Document != "" {
		d := digits(c.Document)
		ok := false
		for _, n := range rec.Documents {
			if d != "" && d == n {
				ok = true
				break
			}
		}
		set(5, ok)
	}
	return v
}

// compareExact is judge as a map from attribute name to match.
func compareExact(c *Claim, rec *Record) map[string]bool {
	v := judge(c, rec)
	out := make(map[string]bool, len(v))
	for i, x := range v {
		if x != 0 {
			out[attrOrder[i]] = x > 0
		}
	}
	return out
}

// addressMatches reports whether the claimed address is one of the
// record's residences: the free text (if given) equal to one of the
// residence's spellings, and the codes (if given) equal to its own.
func addressMatches(c *Claim, rec *Record) bool {
	a := normAddress(c.Address)
	if c.Address != "" && a == "" {
		return false
	}
	for _, res := range rec.Residences {
		if c.Province != "" && c.Province != res.Province || c.Commune != "" && c.Commune != res.Commune {
			continue
		}
		if c.Address == "" {
			return true
		}
		for _, f := range addressForms(res) {
			if a == f {
				return true
			}
		}
	}
	return false
}

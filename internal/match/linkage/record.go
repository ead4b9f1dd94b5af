package linkage

import (
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/match/compare"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/vntext"
)

// Record is a person prepared for linkage: the match forms of the fields
// the comparators read, computed once. A batch over 1,000,000 people holds
// one Record each (about 400 bytes), never the full registry records.
type Record struct {
	PIN  string
	Name compare.Name
	// Words is the name's key with its words sorted, the same for "Nguyễn
	// Văn An" and "An Nguyễn Văn".
	Words string
	// Birth is the date of birth, possibly partial.
	Birth registry.Date
	Sex   registry.Sex
	// BirthProvince is the (pre-2025) province code of the place of birth
	// registration, which the PIN's prefix encodes.
	BirthProvince string
	// Province and Commune are the 2025 codes of the permanent residence.
	Province, Commune string
	// FatherFold, FatherKey, MotherFold and MotherKey are the match forms
	// of the parents' full names.
	FatherFold, FatherKey string
	MotherFold, MotherKey string
	// Phone is the national significant number (compare.NormalizePhone).
	Phone string
	// MergedInto is set on a record already merged into another: such a
	// record is never a candidate again.
	MergedInto string
	// Linked lists the PINs already linked to this one (LinkedPINs): a
	// pair already linked is not proposed again.
	Linked []string
}

// RecordOf prepares a registry person for linkage.
func RecordOf(p *registry.Person) Record {
	r := Record{
		PIN:           p.PIN,
		Name:          compare.ParseName(p.FullName),
		Birth:         p.BirthDate,
		Sex:           p.Sex,
		BirthProvince: p.BirthRegistrationPlace.Province,
		Phone:         compare.NormalizePhone(p.Phone),
		MergedInto:    p.MergedInto,
		Linked:        p.LinkedPINs,
	}
	r.Words = sortedWords(r.Name.Key)
	if res := p.PermanentResidence; res != nil {
		r.Province, r.Commune = res.Province, res.Commune
	}
	if f := p.Father; f != nil {
		r.FatherFold = vntext.Fold(f.FullName)
		r.FatherKey = vntext.Key(r.FatherFold)
	}
	if m := p.Mother; m != nil {
		r.MotherFold = vntext.Fold(m.FullName)
		r.MotherKey = vntext.Key(r.MotherFold)
	}
	return r
}

// linked reports whether a and b are already linked either way.
func linked(a, b *Record) bool {
	for _, p := range a.Linked {
		if p == b.PIN {
			return true
		}
	}
	for _, p := range b.Linked {
		if p == a.PIN {
			return true
		}
	}
	return false
}

// sortedWords returns the words of s sorted and joined by spaces.
func sortedWords(s string) string {
	w := strings.Fields(s)
	if slices.IsSorted(w) {
		return s
	}
	slices.Sort(w)
	return strings.Join(w, " ")
}

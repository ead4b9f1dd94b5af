package match

import (
	"github.com/dancu/dancu/internal/match/compare"
)

// Comparators is the "partial" strategy's Scorer built on package compare:
// the claim's name, date of birth, sex, address and phone are scored
// against the record with compare.Score, once for each residence on record
// (the best counts), and a claimed document number, which has no
// similarity worth the name, must be exact or the claim does not match.
type Comparators struct{}

var _ Scorer = Comparators{}

// DefaultMatchValue implements Scorer: compare.DefaultThreshold, the value
// at which the test bed keeps precision at or above 99.9%.
func (Comparators) DefaultMatchValue() int { return compare.DefaultThreshold }

// Score implements Scorer.
func (Comparators) Score(c *Claim, r *Record) (int, map[string]int) {
	claim := compare.Attributes{FullName: c.FullName, BirthDate: c.BirthDate, Sex: c.Sex, Address: c.Address,
		Province: c.Province, Commune: c.Commune, Phone: c.Phone}
	rec := compare.Attributes{FullName: r.NameFold, BirthDate: r.BirthDate, Sex: r.Sex, Phone: r.Phone}
	best := compare.Score(claim, rec)
	if c.Address != "" || c.Province != "" || c.Commune != "" {
		for _, res := range r.Residences {
			rec.Address, rec.Province, rec.Commune = res.Address, res.Province, res.Commune
			if got := compare.Score(claim, rec); got.Score > best.Score {
				best = got
			}
		}
	}
	attrs := make(map[string]int, len(best.Fields)+1)
	for _, f := range best.Fields {
		attrs[f.Field] = f.Similarity
	}
	overall := best.Score
	if c.Document != "" {
		ok := compareExact(&Claim{Document: c.Document}, r)[AttrDocument]
		attrs[AttrDocument] = 0
		if ok {
			attrs[AttrDocument] = 100
		} else {
			overall = 0
		}
		if c.FullName == "" && c.BirthDate.IsZero() && c.Sex == "" && c.Address == "" && c.Province == "" && c.Commune == "" && c.Phone == "" {
			overall = attrs[AttrDocument]
		}
	}
	if r.OtherFold != "" && c.FullName != "" {
		// A name the person also goes by counts as well as the birth name.
		other := compare.Score(compare.Attributes{FullName: c.FullName}, compare.Attributes{FullName: r.OtherFold})
		if other.Score > attrs[AttrFullName] {
			attrs[AttrFullName] = other.Score
		}
	}
	return overall, attrs
}

package compare

import (
	"math"

	"github.com/dancu/dancu/internal/registry"
)

// Attributes are the attributes of a person that Score compares. Empty
// fields are not given. Province and Commune are codes of the 2025 units;
// Address is free text and may include the commune and province by name.
type Attributes struct {
	FullName  string
	BirthDate registry.Date
	Sex       registry.Sex
	Address   string
	Province  string
	Commune   string
	Phone     string
}

// The attribute names of FieldResult.Field, in the snake_case of the API.
const (
	FieldFullName  = "full_name"
	FieldBirthDate = "birth_date"
	FieldSex       = "sex"
	FieldAddress   = "address"
	FieldPhone     = "phone"
)

// FieldResult is how one attribute of a claim compares with the record.
type FieldResult struct {
	Field      string // one of the Field constants
	Level      Level
	Similarity int // 0–100
}

// Result is the outcome of Score.
type Result struct {
	// Score is the overall similarity, 0–100, over the attributes the claim
	// gives; 0 when it gives none.
	Score int
	// Fields holds one result per attribute the claim gives, in the order
	// full_name, birth_date, sex, address, phone.
	Fields []FieldResult
}

// Field returns the result for one attribute, and whether the claim gave it.
func (r Result) Field(name string) (FieldResult, bool) {
	for _, f := range r.Fields {
		if f.Field == name {
			return f, true
		}
	}
	return FieldResult{}, false
}

// The weights of the attributes in Score.
const (
	weightName    = 4
	weightDate    = 3
	weightAddress = 2
	weightPhone   = 2
	weightSex     = 1
)

// DefaultThreshold is the match value recommended for the "partial"
// strategy: on the test bed it keeps precision at or above 99.9% (a claim
// about another person almost never scores this high) while accepting the
// corrupted attributes of the true person. The test bed's tests measure it;
// change it only with them.
const DefaultThreshold = 80

// capDisagreement is the highest Score of a claim whose sex or date of
// birth is Different: below DefaultThreshold, whatever the other fields.
const capDisagreement = DefaultThreshold - 10

// Score compares the attributes a claim gives with a record's. See the
// package documentation for how the overall figure is built. It is
// symmetric in no sense: only attributes given in claim count, and one
// the record lacks scores 0 (Level Missing).
func Score(claim, record Attributes) Result {
	var r Result
	var sum, weight float64
	add := func(field string, w float64, l Level, sim int) {
		r.Fields = append(r.Fields, FieldResult{Field: field, Level: l, Similarity: sim})
		sum += w * float64(sim)
		weight += w
	}
	capped := false
	if claim.FullName != "" {
		a, b := ParseName(claim.FullName), ParseName(record.FullName)
		add(FieldFullName, weightName, Names(a, b), NameSimilarity(a, b))
	}
	if !claim.BirthDate.IsZero() {
		l := Dates(claim.BirthDate, record.BirthDate)
		capped = capped || l == Different
		add(FieldBirthDate, weightDate, l, DateSimilarity(claim.BirthDate, record.BirthDate))
	}
	if claim.Sex != "" {
		l := Sexes(claim.Sex, record.Sex)
		capped = capped || l == Different
		add(FieldSex, weightSex, l, l.Similarity())
	}
	if claim.Address != "" || claim.Commune != "" || claim.Province != "" {
		l, sim := addressLevel(claim, record)
		add(FieldAddress, weightAddress, l, sim)
	}
	if claim.Phone != "" {
		l := Phones(claim.Phone, record.Phone)
		add(FieldPhone, weightPhone, l, l.Similarity())
	}
	if weight > 0 {
		r.Score = int(math.Round(sum / weight))
	}
	if capped && r.Score > capDisagreement {
		r.Score = capDisagreement
	}
	return r
}

// addressLevel compares the address of a claim with a record's: the
// better of the place codes (when the claim gives them) and the free text
// (when it gives one). Free text is compared with the record's address
// line; equal communes count as Exact.
func addressLevel(claim, record Attributes) (Level, int) {
	best, sim := Missing, 0
	if claim.Province != "" || claim.Commune != "" {
		l := Places(claim.Province, claim.Commune, record.Province, record.Commune)
		best, sim = l, l.Similarity()
	}
	if claim.Address != "" {
		l := Addresses(claim.Address, record.Address)
		if s := AddressSimilarity(claim.Address, record.Address); l > best || (l == best && s > sim) {
			best, sim = l, s
		}
	}
	return best, sim
}

package linkage

import (
	"github.com/dancu/dancu/internal/match/compare"
)

// Field is one attribute compared in the Fellegi–Sunter model.
type Field int

// The fields compared, in the order of a comparison vector.
const (
	Surname Field = iota
	Middle
	Given
	BirthDate
	Sex
	BirthProvince
	Residence
	Father
	Mother
	Phone
	NumFields
)

var fieldNames = [NumFields]string{
	"surname", "middle_name", "given_name", "birth_date", "sex",
	"birth_province", "residence", "father", "mother", "phone",
}

// String returns the field's snake_case name ("given_name").
func (f Field) String() string {
	if f < 0 || f >= NumFields {
		return "invalid"
	}
	return fieldNames[f]
}

// Vector is a comparison vector: one compare.Level per field.
type Vector [NumFields]compare.Level

// Compare compares two records field by field.
func Compare(a, b *Record) Vector {
	var v Vector
	v[Surname] = compare.Part(a.Name.SurnameFold, a.Name.Surname, b.Name.SurnameFold, b.Name.Surname)
	v[Middle] = compare.Part(a.Name.MiddleFold, a.Name.Middle, b.Name.MiddleFold, b.Name.Middle)
	v[Given] = compare.Part(a.Name.GivenFold, a.Name.Given, b.Name.GivenFold, b.Name.Given)
	if v[Surname] != compare.Exact || v[Middle] != compare.Exact || v[Given] != compare.Exact {
		// Parts in another order (given name written first, middle names
		// swapped), split differently, or one of several middle names
		// missing: judge the whole name, and credit the parts with it when
		// it is close.
		if l := compare.Names(a.Name, b.Name); l >= compare.Close {
			v[Surname], v[Given] = max(v[Surname], l), max(v[Given], l)
			if a.Name.Middle != "" || b.Name.Middle != "" {
				v[Middle] = max(v[Middle], min(l, compare.Close))
			}
		}
	}
	v[BirthDate] = compare.Dates(a.Birth, b.Birth)
	v[Sex] = compare.Sexes(a.Sex, b.Sex)
	v[BirthProvince] = codes(a.BirthProvince, b.BirthProvince)
	v[Residence] = compare.Places(a.Province, a.Commune, b.Province, b.Commune)
	v[Father] = compare.Part(a.FatherFold, a.FatherKey, b.FatherFold, b.FatherKey)
	v[Mother] = compare.Part(a.MotherFold, a.MotherKey, b.MotherFold, b.MotherKey)
	v[Phone] = phoneLevel(a.Phone, b.Phone)
	return v
}

// phoneLevel compares two already normalised phone numbers.
func phoneLevel(a, b string) compare.Level {
	switch {
	case a == "" || b == "":
		return compare.Missing
	case a == b:
		return compare.Exact
	case compare.OSA(a, b, 1) <= 1:
		return compare.Close
	}
	return compare.Different
}

// pattern encodes a vector as one number (base NumLevels), the key of the
// pattern counts that expectation–maximisation works on.
func (v Vector) pattern() uint32 {
	var p uint32
	for f := NumFields - 1; f >= 0; f-- {
		p = p*compare.NumLevels + uint32(v[f])
	}
	return p
}

// vectorOf decodes a pattern.
func vectorOf(p uint32) Vector {
	var v Vector
	for f := range NumFields {
		v[f] = compare.Level(p % compare.NumLevels)
		p /= compare.NumLevels
	}
	return v
}

// codes compares two codes: Exact when equal, Different otherwise, Missing
// when either is empty.
func codes(a, b string) compare.Level {
	switch {
	case a == "" || b == "":
		return compare.Missing
	case a == b:
		return compare.Exact
	}
	return compare.Different
}

// Plausible reports whether a comparison vector can describe one person
// at all, whatever the model says: the given name and the surname agree
// at least partly (a typing error, another spelling), the year of birth
// is the same (or a digit off) and the sex is not different. Only such
// pairs are candidates. The rule keeps out what the model alone can be
// talked into on a registry with few duplicates — twins and siblings,
// who share surname, parents, province of birth and address, and
// namesakes — and keeps every corruption of the test bed.
func Plausible(v Vector) bool {
	return v[Given] >= compare.Partial && v[Surname] >= compare.Partial &&
		v[BirthDate] >= compare.Partial && v[Sex] != compare.Different
}

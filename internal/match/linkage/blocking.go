package linkage

import (
	"strconv"
)

// Rule is a blocking rule: only records that agree on a rule's key are
// compared. Records are compared if any rule brings them together (the
// union of the blocks), so that a pair missed by one rule because of a
// typing error in a name is found by another that does not read the name.
type Rule struct {
	// Name identifies the rule in statistics.
	Name string
	// key returns the rule's key for a record, or false when the record
	// lacks a field the rule needs.
	key func(r *Record, h *hasher) bool
}

// Rules are the blocking rules of a batch, in the order they are tried.
// Each reads the birth year or the full date of birth, which every
// corruption of the test bed keeps but name typos do not:
//
//   - year + the name's words (keys, sorted): the same name up to
//     diacritics, tone marks, case and word order (given name written
//     first, middle names swapped), in the same year;
//   - full date + given name: another surname or middle name;
//   - full date + surname: a typing error in the given name;
//   - year + month + surname + given: a middle name missing or swapped,
//     with the day of birth mistyped or unknown;
//   - year + given + province of birth registration: a typing error in
//     the surname and a date only partly known;
//   - year + surname + province of birth + initial of the given name: a
//     typing error in the given name and a date only partly known;
//   - year + mother's name: a name changed altogether;
//   - phone number.
var Rules = []Rule{
	{"year_name", func(r *Record, h *hasher) bool {
		return r.Birth.Year != 0 && r.Words != "" && h.int(r.Birth.Year).str(r.Words).ok()
	}},
	{"date_given", func(r *Record, h *hasher) bool {
		return r.Birth.IsFull() && r.Name.Given != "" && h.date(r).str(r.Name.Given).ok()
	}},
	{"date_surname", func(r *Record, h *hasher) bool {
		return r.Birth.IsFull() && r.Name.Surname != "" && h.date(r).str(r.Name.Surname).ok()
	}},
	{"month_surname_given", func(r *Record, h *hasher) bool {
		return r.Birth.Month != 0 && r.Name.Surname != "" && r.Name.Given != "" &&
			h.int(r.Birth.Year*100+r.Birth.Month).str(r.Name.Surname).str(r.Name.Given).ok()
	}},
	{"year_given_birthprovince", func(r *Record, h *hasher) bool {
		return r.Birth.Year != 0 && r.Name.Given != "" && r.BirthProvince != "" &&
			h.int(r.Birth.Year).str(r.Name.Given).str(r.BirthProvince).ok()
	}},
	{"year_surname_birthprovince_initial", func(r *Record, h *hasher) bool {
		return r.Birth.Year != 0 && r.Name.Surname != "" && r.Name.Given != "" && r.BirthProvince != "" &&
			h.int(r.Birth.Year).str(r.Name.Surname).str(r.BirthProvince).str(r.Name.Given[:1]).ok()
	}},
	{"year_mother", func(r *Record, h *hasher) bool {
		return r.Birth.Year != 0 && r.MotherKey != "" && h.int(r.Birth.Year).str(r.MotherKey).ok()
	}},
	{"phone", func(r *Record, h *hasher) bool {
		return r.Phone != "" && h.str(r.Phone).ok()
	}},
}

// hasher computes a 64-bit FNV-1a hash of a rule's key parts, each
// followed by a separator so that ("ab","c") and ("a","bc") differ.
type hasher struct{ h uint64 }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (h *hasher) reset() *hasher { h.h = fnvOffset; return h }

func (h *hasher) str(s string) *hasher {
	x := h.h
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= fnvPrime
	}
	x ^= 0xff
	x *= fnvPrime
	h.h = x
	return h
}

func (h *hasher) int(n int) *hasher {
	var b [20]byte
	return h.str(string(strconv.AppendInt(b[:0], int64(n), 10)))
}

func (h *hasher) date(r *Record) *hasher {
	return h.int(r.Birth.Year*10000 + r.Birth.Month*100 + r.Birth.Day)
}

// ok ends a key: 0 is reserved for "no key".
func (h *hasher) ok() bool {
	if h.h == 0 {
		h.h = 1
	}
	return true
}

// keyOf returns rule's key for r, or 0.
func keyOf(rule Rule, r *Record) uint64 {
	var h hasher
	h.reset()
	if !rule.key(r, &h) {
		return 0
	}
	return h.h
}

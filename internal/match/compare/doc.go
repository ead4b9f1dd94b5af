// Package compare owns the Vietnamese-aware comparators of record matching:
// how alike two names, dates, sexes, addresses, places and phone numbers
// are. Demographic verification (package match, strategy "partial") and
// duplicate detection (package linkage) both build on it.
//
// # Two outputs per comparison
//
// Every comparator returns a graded Level, the agreement pattern of the
// Fellegi–Sunter model:
//
//	Missing    one side or both have no value: no evidence either way
//	Different  the values disagree
//	Partial    weak agreement (same year of birth only, same province only,
//	           a name two typing errors apart, same surname and given name
//	           but another middle name)
//	Close      agreement up to the usual noise of registry data: dropped or
//	           misplaced diacritics, one typing error, a missing or swapped
//	           middle name, day and month swapped, a partial date that fits
//	           a full one
//	Exact      equal after normalisation (NFC, case, spacing, old and new
//	           tone-mark placement, the look-alikes of Đ)
//
// and, for a whole set of attributes, a similarity from 0 to 100 (Score),
// which is what the "partial" strategy of demographic verification compares
// with the match value a grant allows.
//
// # Names
//
// A full name is split by vntext.SplitName into surname (compound surnames
// such as Tôn Thất and Tôn Nữ are one surname), middle and given names, and
// each part is compared on two forms: vntext.Fold (diacritics kept, one
// tone-mark placement) and vntext.Key (no diacritics). Typing errors are
// measured on keys with the optimal-string-alignment variant of the
// Damerau–Levenshtein distance (a transposition is one error) and with
// Jaro–Winkler similarity. ParseName does the splitting and folding once, so
// that a bulk job compares prepared names without allocating.
//
// # Score
//
// Score(claim, record) compares the attributes the claim gives with the
// record's and returns the overall similarity and one FieldResult per
// attribute. The overall figure is the weighted mean of the attributes'
// similarities over those the claim gives (full name 4, date of birth 3,
// address 2, phone 2, sex 1); an attribute the record lacks counts as 0, so
// that a claim is never verified by the absence of data. A claim whose sex
// or date of birth is Different is capped below DefaultThreshold whatever
// its name, because a name can be shared but a second person rarely shares
// the exact identity. DefaultThreshold is the match value at which the test
// bed (package testbed) gives at least 99.9% precision.
//
// The comparators never log or return attribute values; results carry only
// levels and figures.
package compare

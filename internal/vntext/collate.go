package vntext

import (
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// collator is a Vietnamese collator with its key buffer. A
// collate.Collator keeps scratch state and is not safe for concurrent use,
// so each goroutine borrows one from collators.
type collator struct {
	c   *collate.Collator
	buf collate.Buffer
}

// collators pools collators: building one is costly (it loads the
// tailoring), and a pool scales better under bulk sorting than one
// collator behind a mutex.
var collators = sync.Pool{
	New: func() any { return &collator{c: collate.New(language.Vietnamese)} },
}

// collationForm is what Compare and SortKey collate: the display form with
// the canonical tone placement, so that "Hòa" and "Hoà" sort as one name
// while case still orders "an" before "An".
func collationForm(s string) string {
	return placeTonesString(Normalize(s))
}

// Compare compares a and b in Vietnamese alphabetical order and returns
// -1, 0 or +1. Letters sort a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t
// u ư v x y; tones are secondary differences, in the order ngang, huyền,
// hỏi, ngã, sắc, nặng ("ma" < "mà" < "mả" < "mã" < "má" < "mạ" < "mb");
// case is a tertiary difference. Both strings are normalised first, so the
// old and new tone placements of a name compare equal.
//
// Compare is safe for concurrent use. To sort people the Vietnamese way,
// compare given names first, then surnames and middle names (see
// SplitName).
func Compare(a, b string) int {
	c := collators.Get().(*collator)
	defer collators.Put(c)
	return c.c.CompareString(collationForm(a), collationForm(b))
}

// SortKey returns a collation key for s: for any a and b,
// bytes.Compare(SortKey(a), SortKey(b)) == Compare(a, b). The key can be
// stored in a database index (a BLOB or bytea column compared bytewise) to
// sort by Vietnamese order without collation support in the database. Keys
// are only comparable with keys made by the same version of
// golang.org/x/text; rebuild stored keys when it is upgraded.
//
// SortKey is safe for concurrent use; the returned slice is the caller's.
func SortKey(s string) []byte {
	c := collators.Get().(*collator)
	defer collators.Put(c)
	k := c.c.KeyFromString(&c.buf, collationForm(s))
	out := make([]byte, len(k))
	copy(out, k)
	c.buf.Reset()
	return out
}

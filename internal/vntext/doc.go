// Package vntext owns Vietnamese text handling for dancu: the display form
// of names and places (Normalize), the match forms used to compare them
// (Fold, which keeps diacritics, and Key, which drops them), splitting a
// full name into surname, middle and given names (SplitName), Vietnamese
// alphabetical order (Compare, SortKey) and the acceptance rules for a
// person's name (ValidName).
//
// The registry stores what Normalize returns, so that a name keeps the
// spelling its holder uses, and indexes what Fold and Key return, so that
// the many ways the same name reaches the system compare equal: decomposed
// (NFD) input from some keyboards and operating systems, combining marks
// typed in the wrong order, the old and new tone-mark placement ("Hòa" and
// "Hoà", "Thủy" and "Thuỷ"), upper case, stray white space, the look-alike
// letters Ð, Ɖ, ð and ɖ typed for Đ and đ, and the several apostrophes used
// in minority names such as H'Hen.
//
// A search typed without diacritics ("nguyen thi thuy") matches on Key
// alone; one typed with them must also agree on Fold, so that "Hoa" does not
// find "Hòa". HasDiacritics tells the two cases apart.
//
// Key runs tens of millions of times in bulk matching jobs, so it has an
// allocation-free path for input that is already a key, an ASCII path, and
// a table lookup for precomposed Latin letters; only unusual input (other
// scripts, letters without an ASCII base) goes through full Unicode
// normalisation.
//
// Invalid UTF-8 never makes these functions fail or panic: each invalid
// byte is read as U+FFFD REPLACEMENT CHARACTER, so every function returns
// valid UTF-8, and ValidName rejects such input outright.
package vntext

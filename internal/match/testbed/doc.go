// Package testbed generates corrupted copies of registry records with a
// known truth, so that the quality of demographic verification and of
// duplicate detection is measured, not guessed.
//
// A Corrupter applies named corruptions (Kind) to a person: a typing error
// in a name, diacritics dropped from one word or from the whole name, the
// old instead of the new tone-mark placement (or the reverse), another
// tone typed, a missing or swapped middle name, day and month swapped, a
// date known only by its year (or year and month), a mistyped digit of the
// day, another address, no phone. Corruptions are those seen in real
// registers; each keeps the copy a plausible record of the same person.
//
// Two generators build on it:
//
//   - Claims: for verification, attribute sets sent with a PIN, each with
//     its truth: the attributes describe the PIN's holder (possibly
//     corrupted), or they describe another person (another person's PIN —
//     half of these a near neighbour with a similar name and the same birth
//     year, the hard case), and whether the PIN's holder is dead.
//   - Duplicates: for duplicate detection, corrupted copies of a fraction
//     of the people registered a second time under a new PIN, with the
//     true pairs.
//
// Everything is deterministic: the same seed and input give the same
// output, so that a quality figure can be reproduced. People come from
// package synth through Population, which streams the current version of
// each synthetic person without a store.
package testbed

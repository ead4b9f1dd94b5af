// Package pin owns the 12-digit personal identification number (PIN, "số định
// danh cá nhân") and the table of province codes its first three digits use.
//
// A PIN has the form PPP G YY RRRRRR (Decree 137/2015 art. 13, Circular 59/2021
// art. 4):
//
//   - PPP is the code of the province where the birth was registered, taken from
//     the list of 63 provinces in force before the 2025 merger. The prefix keeps
//     meaning the old province for ever: a PIN is never reinterpreted with the 34
//     province codes of 2025, and births registered after the merger get the
//     prefix of the 2025 province's own code (see PrefixFor2025).
//   - G encodes century and sex: 0/1 for male/female born 1900–1999, 2/3 for
//     2000–2099, and so on up to 8/9 for 2300–2399. Even digits are male.
//   - YY is the last two digits of the birth year.
//   - RRRRRR is random. There is no check digit, so a mistyped serial cannot be
//     detected here; only the registry knows whether a number was issued.
//
// The package parses, builds and checks numbers; it does not allocate them.
// Uniqueness is enforced by the store, so Random only proposes a candidate.
//
// A PIN is personal data. Errors from this package name the part that is wrong
// and why, never the digits, so they are safe to log and to return to clients.
// PIN implements slog.LogValuer and logs as a redacted placeholder for the same
// reason.
//
// The province table is data/pin-province-codes.csv, a copy of
// reference/pin-province-codes.csv embedded in the binary.
package pin

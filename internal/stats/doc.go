// Package stats is the big data centre's statistics: an analytics store
// holding a pseudonymised, columnar copy of what statistics need (Store,
// implemented on DuckDB by package duckstore), fed continuously from the
// registry's outbox (Feeder) and rebuilt from the registry on demand
// (Rebuild); the catalogue of planning indicators (Indicator, Register);
// and disclosure control (Protect), which suppresses small counts and
// enough others that no suppressed count can be recovered from published
// totals.
//
// Nothing here holds a PIN or a name: people are keyed by a pseudonym, an
// HMAC of the PIN under an instance key kept in the registry's settings.
package stats

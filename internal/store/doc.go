// Package store defines the storage interfaces of dancu and their contracts:
// what is atomic, in what order results come, and what a missing record
// returns. The backends live in the sub-packages sqlite (the embedded default)
// and postgres (for several processes sharing one database); package storetest
// holds the conformance suite that every backend passes.
//
// The store keeps documents it does not interpret, next to the index columns
// the domain packages derive from them, so that the schema stays small and the
// domain rules live in one place.
package store

// Package match verifies what people and businesses say about a person
// against the registry: demographic authentication for connected agencies
// (one PIN and some attributes in, match or no match per attribute and
// overall out, never the registry's values) and bulk verification jobs that
// check carriers' subscriber lists line by line.
//
// # Strategies
//
// "exact" (the default) compares each attribute after normalisation: names
// on vntext.Fold (NFC, case, spacing, old and new tone-mark placement, the
// look-alikes of Đ), dates as possibly partial dates that must agree on
// every part both sides know, sex, phone numbers in their national form,
// addresses without punctuation, document numbers as digits. "partial"
// compares with a similarity score from 0 to 100 built on the comparators of
// package compare, and matches when the score reaches the match value the
// caller names. Each strategy must be allowed by the agency's grant; partial
// requests are counted against a daily quota per agency and logged as such,
// because a similarity can verify the wrong person.
//
// # No oracle of PINs
//
// An agency whose grant releases no registry field must not learn from
// verification whether a PIN exists. For a PIN no one holds, the answer is
// computed against a stand-in person derived from the PIN itself (sex and
// year of birth, as the PIN encodes them) and from a keyed hash of it (day
// and month of birth), so that repeated probing gives consistent answers
// indistinguishable from a real person's; the person's status is released
// only with an overall match. An agency whose grant releases fields reads
// people by PIN anyway and gets a plain not_found.
//
// # Bulk jobs
//
// An uploaded CSV or NDJSON file is stored on disk. A first pass reads it
// whole and marks, two bits per line, the lines over the subscription limit
// (OVER_LIMIT) and the first line of each PIN: the lines' PINs are spread
// over partitions by a hash (spilled to files beyond a few thousand lines
// each) and each partition is counted in one map, so memory is bounded by
// a partition whatever the number of distinct PINs; the marks are kept in a
// file beside the input (marks.go). Then the file is read in batches: each
// batch's PINs are looked up in one store query (the batches of one job may
// share a read snapshot a few seconds old, store.ShareSnapshot), its lines
// answered, the people it names for the first time recorded in the access
// log (one entry per person and job), its results appended to the result
// file and synced, and then the job's checkpoint (input offset, result
// length, summary) is committed. A job resumed after a crash truncates the
// result file to the checkpointed length and reads on from the checkpointed
// offset, so no line is answered twice and none is lost.
package match

// Package audit keeps the access log: every use of a person's data by anyone
// but the person — agency lookups, dataset reads, feed deliveries, officer
// views and events — as an entry in an append-only Merkle tree (RFC 6962
// hashing) with signed checkpoints, so that a citizen can list who used their
// data and check each entry's inclusion proof without trusting the server.
//
// Handlers depend only on the Recorder interface; the log behind it batches
// appends and answers each caller once its entry is durable.
package audit

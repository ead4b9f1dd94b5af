// Package lease runs single-writer work — the access log's checkpoint signer
// and person indexer, the outbox relay — in exactly one of the dancu
// processes that share a database, and moves it to another process within
// seconds when its holder dies.
//
// Run keeps trying to take a named lease in the store (store.Leases). While
// it holds the lease it runs the work with a context that it cancels, and
// waits for, as soon as it can no longer be sure of the lease: when a renewal
// says another process took it, or when renewals have failed for a third of
// the lease's life. The lease is renewed every third of its life, so a
// healthy holder keeps it through two failed renewals, and a dead holder's
// lease passes on after at most its TTL.
//
// A lease is not a fence: work that was cancelled may still be finishing a
// step when another holder starts. Every piece of work run under a lease is
// therefore also correct when briefly run twice — the signer re-checks the
// tree before it signs, deliveries are at least once and the relay's cursor
// only moves forward, indexing is idempotent — and the lease only keeps them
// from contending all the time.
//
// Members keeps a process a member of a group (the serve processes sharing
// a store) by a heartbeat in the same table, and counts the live members:
// each process takes that share of the cluster-wide rate limits. The
// heartbeat is a small write, rate-limited, so it is also readiness's probe
// of whether the store accepts writes.
package lease

// Package ratelimit keeps a token bucket per key — a client address, an
// agency — so that a flood from one source is refused early and cheaply while
// every other source keeps being served.
//
// Buckets live in the process's memory, bounded by a maximum number of keys:
// idle buckets (full again) are dropped first when the table is full, so a
// flood of fresh addresses costs memory only up to the bound.
//
// With several dancu processes behind a load balancer, the configured rate
// is for all of them together: each process takes an equal share
// (Limiter.Share), re-evaluated as processes come and go (lease.Members
// counts the live ones every two seconds through the database). Whatever
// way the balancer spreads a source's requests, the source cannot get more
// than the configured rate in all; it gets all of it when the balancer
// spreads evenly (round robin, least connections), and only its share when
// the balancer pins a source to one process (hashing on the address). A
// limiter that counted in the database would be exact either way, but would
// cost a write per request — the load the limiter exists to shed.
package ratelimit

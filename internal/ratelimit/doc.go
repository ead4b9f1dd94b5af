// Package ratelimit keeps a token bucket per key — a client address, an
// agency — so that a flood from one source is refused early and cheaply while
// every other source keeps being served.
//
// Buckets live in the process's memory, bounded by a maximum number of keys:
// idle buckets (full again) are dropped first when the table is full, so a
// flood of fresh addresses costs memory only up to the bound. With several
// dancu processes behind a load balancer each keeps its own buckets, so a
// source may reach the configured rate once per process; configure the rate
// per process accordingly (a shared, database-backed limiter would cost a
// write per request, which is the load the limiter exists to shed).
package ratelimit

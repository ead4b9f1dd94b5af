package store

import (
	"context"
	"time"
)

// Leases keeps named leases, so that work that must have one doer at a time
// — signing the access log's checkpoints, relaying the outbox, indexing —
// runs in exactly one of the processes sharing a database, and moves to
// another within seconds when its holder dies. A lease is held until its
// expiry unless renewed; the store's clock (the database server's, for
// PostgreSQL) decides expiry, so the processes' clocks need not agree.
type Leases interface {
	// TryLease takes the lease name for holder for ttl, or renews it if
	// holder holds it already. It takes it only when it is free, expired,
	// or holder's own, in one atomic statement, and reports whether holder
	// holds it afterwards.
	TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder holds it, so that another
	// process may take it at once; otherwise it does nothing.
	ReleaseLease(ctx context.Context, name, holder string) error
	// LeaseHolder returns who holds the lease name now and until when, or
	// ErrNotFound when nobody does (never taken, released, or expired).
	LeaseHolder(ctx context.Context, name string) (holder string, expires time.Time, err error)
	// Heartbeat marks holder a live member of group until ttl from now,
	// forgets the members whose time ran out, and returns how many members
	// are live, holder included: how the processes sharing a store learn
	// how many they are. It is a write, so it also shows that the store
	// accepts writes. Members are leases named MemberLease(group, holder);
	// a member leaves at once by releasing its lease.
	Heartbeat(ctx context.Context, group, holder string, ttl time.Duration) (live int, err error)
}

// MemberLease is the name of holder's lease as a member of group (see
// Leases.Heartbeat). Single-writer lease names have no "/", so they never
// count as members.
func MemberLease(group, holder string) string { return group + "/" + holder }

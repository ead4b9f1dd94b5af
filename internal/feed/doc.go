// Package feed delivers the registry's outbox downstream: to agencies as a
// pull feed (GET /v1/feed) and as webhooks signed per Standard Webhooks, and
// optionally, in full, to a NATS JetStream stream for internal consumers.
//
// # What an agency receives
//
// An agency receives the life events its grant for a purpose lists
// (Grant.EventTypes), each with the person filtered to the grant's fields
// (exchange.Evaluate and exchange.FilterPerson, the same policy as the
// lookups). Grants are read again every few seconds by the relay and on
// every pull-feed request, so a revoked grant stops deliveries promptly;
// while a subscription's agency holds no active grant its relay delivers
// nothing and skips nothing (its cursor waits).
//
// Every release of a person to an agency is an access-log entry with action
// "feed". The pull feed records before it answers. A webhook records before
// each attempt to send, whether or not the attempt succeeds: an attempt
// that timed out may have reached the receiver, so the log errs on the side
// of too many entries rather than too few. (A message held back in its
// batch behind a failure for the same person keeps the entry recorded for
// the batch, and gets another when it is retried.)
//
// # Order and delivery guarantees
//
// Delivery is at-least-once and ordered per person. The relay reads each
// subscription's outbox after its cursor in batches, delivers the rows in
// parallel across people (rows are partitioned by PIN, each partition in
// Seq order), and then stores, in one transaction, the new cursor and the
// messages that failed. A failed message for person P holds back P's later
// messages in that subscription (they join the retry queue behind it
// untried) but not anyone else's: a receiver that rejects one record does
// not stall a whole agency, which strict Seq order with head-of-line
// blocking would. Each person's oldest pending message is retried with
// exponential backoff and jitter (Backoff) for up to three days from its
// first attempt, then dead-lettered, which releases the person's next
// message. When every attempt of a batch fails (the receiver is down), the
// subscription stops reading new rows until the first retry is due, so an
// outage does not turn the whole outbox into retries; everything is
// delivered once the receiver is back. An operator can redeliver a dead
// letter; it then goes out after any later message of the same person that
// was already delivered — the one exception to per-person order, made by
// hand.
//
// Nothing is lost in a crash: a batch whose outcome was not stored is sent
// again after a restart, with the same webhook-id, which receivers use to
// drop duplicates.
//
// # Single writer
//
// Each subscription's state has exactly one writer: the relay keeps the
// subscription's cursor in memory between passes. With several processes on
// one PostgreSQL, serve runs the relay under a lease (package lease), so one
// process relays at a time and another takes over within seconds when it
// dies; the new holder starts from the stored cursor and retry queue, which
// is what at-least-once, in-order-per-person delivery needs
// (test/crash's TestCluster_KillLeaseHolder kills the holder mid-stream).
//
// # Pull feed
//
// GET /v1/feed?purpose=P&after=CURSOR&limit=N returns the agency's events
// after the cursor. Cursors are opaque: the outbox position with an HMAC
// over it, the agency and the purpose, under a key kept in Settings (the
// same for every process). A malformed cursor, a forged one, or one issued
// to another agency or purpose is refused with 400 before anything else is
// looked up; an agency only ever reads its own grant's events.
package feed

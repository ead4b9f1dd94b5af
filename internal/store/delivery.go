package store

import (
	"context"
	"time"
)

// Deliveries keeps the state of the outbox's downstream consumers — a
// webhook subscription, the NATS publisher: how far each has read the
// outbox (its cursor), the messages it still has to retry, and the messages
// it gave up on (the dead-letter queue). A consumer is named by a string
// such as "webhook:<id>" or "nats". The messages themselves stay in the
// outbox; these rows only point at them by Seq.
type Deliveries interface {
	// DeliveryCursor returns the Seq a consumer has read the outbox up to,
	// 0 if it has never read.
	DeliveryCursor(ctx context.Context, consumer string) (int64, error)
	// AdvanceDelivery records, in one transaction, that a consumer has read
	// the outbox up to seq and that the messages in pending still need
	// another attempt. The cursor never moves backwards, and a pending
	// message that is already recorded (a batch read again after a crash)
	// is left as it is, so that replaying a batch is harmless.
	AdvanceDelivery(ctx context.Context, consumer string, seq int64, pending []PendingDelivery) error
	// PendingDeliveries returns up to limit messages a consumer still has to
	// retry, with Seq > afterSeq, in Seq order.
	PendingDeliveries(ctx context.Context, consumer string, afterSeq int64, limit int) ([]PendingDelivery, error)
	// RetryDelivery replaces the attempt count, first and next attempt
	// times and last error of a pending message, or returns ErrNotFound.
	RetryDelivery(ctx context.Context, consumer string, p PendingDelivery) error
	// FinishDelivery removes a pending message: delivered, or (dead true)
	// moved to the dead-letter queue with its attempts and last error, in
	// one transaction. ErrNotFound if it is not pending.
	FinishDelivery(ctx context.Context, consumer string, seq int64, dead bool, at time.Time) error
	// DeadLetters returns up to limit dead-lettered messages of a consumer
	// with Seq > afterSeq, in Seq order.
	DeadLetters(ctx context.Context, consumer string, afterSeq int64, limit int) ([]DeadLetter, error)
	// RedeliverDeadLetter moves a dead-lettered message back to pending with
	// no attempts, due at at, in one transaction. ErrNotFound if it is not
	// in the queue.
	RedeliverDeadLetter(ctx context.Context, consumer string, seq int64, at time.Time) error
}

// PendingDelivery is a message a consumer has tried and must try again.
// PIN is kept so that the consumer can hold back a person's later messages
// while an earlier one is pending; LastError never holds personal data
// (a status code or a network error class).
type PendingDelivery struct {
	Seq       int64
	PIN       string
	Attempts  int       // 0 for a message held back behind another, not tried yet
	FirstAt   time.Time // the first attempt, when Attempts > 0; the retry window counts from it
	NextAt    time.Time
	LastError string
}

// DeadLetter is a message a consumer gave up on after its retry window.
type DeadLetter struct {
	Seq       int64
	PIN       string
	Attempts  int
	FirstAt   time.Time
	DeadAt    time.Time
	LastError string
}

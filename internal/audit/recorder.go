package audit

import (
	"context"
	"time"
)

// Access is one use of one person's data, as a handler reports it.
type Access struct {
	Time      time.Time // zero: the log fills in the time of the append
	ActorKind string    // "admin", "staff", "client"
	Actor     string    // the principal's id: a staff account or an API client
	Agency    string    // the agency of a client; "" for staff
	Purpose   string    // the purpose code the request named
	CaseRef   string    // the caller's case reference, if any
	// SealedUntil hides the entry from the person (not from auditors) until
	// this ISO date, for sealed law-enforcement cases; "" for none.
	SealedUntil string
	PIN         string   // the person; the log stores a keyed pseudonym, never the PIN
	Fields      []string // the registry fields read or written
	Action      string   // "read", "write", "verify", "feed", "release"
	RequestID   string
}

// Recorder appends accesses to the log. Record returns once every access is
// durable: a handler must not answer before Record returned nil, and answers
// 503 when it fails.
type Recorder interface {
	Record(ctx context.Context, accesses ...Access) error
}

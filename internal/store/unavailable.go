package store

import (
	"sync/atomic"
	"time"
)

// unavailableError keeps the backend's own error, for the code that
// inspects it (a SQLite result code, a SQLSTATE), and adds ErrUnavailable,
// for the code that only needs to know to answer "try again later".
type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return e.err.Error() }
func (e *unavailableError) Unwrap() []error { return []error{e.err, ErrUnavailable} }

// lastUnavailable is when a store in this process last reported
// ErrUnavailable, in Unix nanoseconds; 0 if never.
var lastUnavailable atomic.Int64

// Unavailable marks err, a backend's error that its classification found
// to mean the storage cannot serve now (see ErrUnavailable), so that
// errors.Is(err, ErrUnavailable) holds while errors.As still finds the
// backend's error. It also notes the time for LastUnavailable. Marking an
// error twice does nothing more.
func Unavailable(err error) error {
	lastUnavailable.Store(time.Now().UnixNano())
	if _, ok := err.(*unavailableError); ok {
		return err
	}
	return &unavailableError{err: err}
}

// LastUnavailable returns when a store in this process last reported
// ErrUnavailable, or the zero time if none has. Readiness uses it: a disk
// that is full refuses a large write while a small probe may still fit in
// space already allocated, so a probe that succeeds does not prove that
// writes do. It is per process, as readiness is.
func LastUnavailable() time.Time {
	if n := lastUnavailable.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

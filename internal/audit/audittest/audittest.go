// Package audittest provides an in-memory audit.Recorder for the tests of
// packages whose handlers record accesses.
package audittest

import (
	"context"
	"sync"

	"github.com/dancu/dancu/internal/audit"
)

// Recorder keeps the accesses it is given, or fails with the error set by
// Fail. It is safe for concurrent use. The zero Recorder records.
type Recorder struct {
	mu  sync.Mutex
	got []audit.Access
	err error
}

// Failing returns a Recorder that refuses every access with err.
func Failing(err error) *Recorder { return &Recorder{err: err} }

// Record implements audit.Recorder.
func (r *Recorder) Record(_ context.Context, as ...audit.Access) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.got = append(r.got, as...)
	return nil
}

// Fail makes every later Record fail with err; nil makes it record again.
func (r *Recorder) Fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

// All returns a copy of every access recorded so far.
func (r *Recorder) All() []audit.Access {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]audit.Access(nil), r.got...)
}

// Take returns the accesses recorded so far and forgets them.
func (r *Recorder) Take() []audit.Access {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// ForRequest returns the accesses recorded with the given request id.
func (r *Recorder) ForRequest(id string) []audit.Access {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []audit.Access
	for _, a := range r.got {
		if a.RequestID == id {
			out = append(out, a)
		}
	}
	return out
}

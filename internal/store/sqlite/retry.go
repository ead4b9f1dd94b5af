package sqlite

import (
	"context"
	"math/rand/v2"
	"time"
)

// maxAttempts bounds how often a transaction is tried. With the busy timeout
// already spent waiting inside SQLite, a few more attempts are enough to ride
// out a long checkpoint or another process's bulk load batch.
const maxAttempts = 5

// retry calls fn until it succeeds, fails with an error again does not accept,
// the attempts run out or ctx ends. The backoff is short and jittered, so that
// writers that collided do not collide again in step.
func retry(ctx context.Context, fn func() error, again func(error) bool) error {
	backoff := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == maxAttempts || !again(err) {
			return err
		}
		d := backoff/2 + rand.N(backoff)
		backoff *= 2
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

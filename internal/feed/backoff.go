package feed

import (
	"math/rand/v2"
	"time"
)

// Backoff is the retry schedule of a webhook delivery: exponential with
// full jitter between Base and Max, for at most Window from the first
// attempt, after which the message is dead-lettered.
type Backoff struct {
	Base   time.Duration // the delay after the first failure; default 5s
	Max    time.Duration // the longest delay; default 1h
	Window time.Duration // how long to keep trying; default 72h (3 days)
}

// Default retry schedule: the issue asks for up to 3 days of retries.
const (
	DefaultBackoffBase   = 5 * time.Second
	DefaultBackoffMax    = time.Hour
	DefaultBackoffWindow = 72 * time.Hour
)

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Max < b.Base {
		b.Max = b.Base
	}
	if b.Window <= 0 {
		b.Window = DefaultBackoffWindow
	}
	return b
}

// Delay returns the wait after the attempts-th failed attempt (1 for the
// first): Base·2^(attempts-1), capped at Max, of which a random half is
// jitter so that many messages failing together do not retry together.
func (b Backoff) Delay(attempts int) time.Duration {
	b = b.withDefaults()
	d := b.Base
	for i := 1; i < attempts && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	half := d / 2
	return half + rand.N(half+1)
}

// Expired reports whether a message first tried at first has used up its
// retry window at now.
func (b Backoff) Expired(first, now time.Time) bool {
	return now.Sub(first) >= b.withDefaults().Window
}

package credential

import "time"

// Lockout is a policy of growing delays after consecutive failures: from
// the Threshold-th failure the subject (an account, a source address) is
// locked for Base, doubling with each further failure up to Max. Attempts
// while locked are meant to be refused unchecked and not counted, so that a
// guesser gets one guess per lock period and cannot extend a lock faster
// than the doubling allows.
type Lockout struct {
	Threshold int
	Base      time.Duration
	Max       time.Duration
}

// Duration is how long the n-th consecutive failure locks the subject: 0
// below the threshold.
func (l Lockout) Duration(n int) time.Duration {
	if n < l.Threshold || l.Threshold < 1 {
		return 0
	}
	d := l.Base
	for i := l.Threshold; i < n && d < l.Max; i++ {
		d *= 2
	}
	return min(d, l.Max)
}

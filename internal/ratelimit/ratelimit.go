package ratelimit

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// Limiter is a set of token buckets, one per key, all with the same rate and
// burst. It is safe for concurrent use.
type Limiter struct {
	total, totalBurst float64 // the configured rate and burst, for all processes
	maxKeys           int
	now               func() time.Time

	mu      sync.Mutex
	rate    float64 // this process's share of total, tokens per second
	burst   float64 // this process's share of totalBurst
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// New returns a limiter allowing each key perSecond requests per second on
// average and burst at once, keeping at most maxKeys buckets (at least 1024).
// perSecond <= 0 returns nil, and a nil *Limiter allows everything.
func New(perSecond float64, burst, maxKeys int) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	l := &Limiter{
		total: perSecond, totalBurst: float64(max(burst, 1)), maxKeys: max(maxKeys, 1024),
		now: time.Now, buckets: make(map[string]*bucket),
	}
	l.Share(1)
	return l
}

// Share makes this limiter one of n that together allow the configured
// rate and burst: each allows a key rate/n per second and burst/n at once
// (at least one). The processes sharing a database call it with the number
// of live processes (lease.Members), so that behind a load balancer that
// spreads a source's requests over them, the source gets the configured
// rate in all, not once per process. Tokens a bucket holds beyond the new
// burst are dropped at its next use.
func (l *Limiter) Share(n int) {
	if l == nil {
		return
	}
	n = max(n, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rate = l.total / float64(n)
	l.burst = max(l.totalBurst/float64(n), 1)
}

// Allow takes a token from key's bucket. When there is none it returns false
// and how long until there is one.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.maxKeys {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := (1 - b.tokens) / l.rate
	return false, time.Duration(math.Ceil(wait * float64(time.Second)))
}

func (l *Limiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at).Seconds(); d > 0 {
		b.tokens = min(l.burst, b.tokens+d*l.rate)
		b.at = now
	}
}

// evict drops the buckets that are full again (their key has been idle long
// enough to forget), and if that frees nothing, half the table: a flood of
// distinct keys then loses its own history, never memory without bound.
func (l *Limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) < l.maxKeys {
		return
	}
	n := len(l.buckets) / 2
	for k := range l.buckets {
		if n == 0 {
			break
		}
		delete(l.buckets, k)
		n--
	}
}

// Len returns the number of buckets kept, for metrics and tests.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// AddressKey is the key of a client address: an IPv4 address as it is, an
// IPv6 address by its /64 network, since one subscriber commonly holds a
// whole /64 and could otherwise rotate through it.
func AddressKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

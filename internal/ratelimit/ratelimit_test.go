package ratelimit

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestLimiter_Allow(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := New(10, 5, 0)
	l.now = func() time.Time { return now }
	for i := range 5 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("after the burst: %v, retry after %v; want refused, 100ms", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key was refused because of the first")
	}
	now = now.Add(250 * time.Millisecond) // 2.5 tokens
	for i := range 2 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("refill: request %d refused", i+1)
		}
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("refill gave more than the elapsed time allows")
	}
	now = now.Add(time.Hour)
	n := 0
	for {
		if ok, _ := l.Allow("a"); !ok {
			break
		}
		n++
	}
	if n != 5 {
		t.Fatalf("after an hour idle: %d allowed, want the burst of 5", n)
	}
}

func TestLimiter_boundedKeys(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := New(1, 1, 1024)
	l.now = func() time.Time { return now }
	for i := range 100_000 {
		l.Allow(fmt.Sprint("k", i))
	}
	if got := l.Len(); got > 1024 {
		t.Fatalf("%d keys kept, want at most 1024", got)
	}
	var nilLimiter *Limiter
	if ok, _ := nilLimiter.Allow("x"); !ok || New(0, 1, 0) != nil {
		t.Fatal("a nil limiter must allow everything, and rate 0 must give nil")
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":                "203.0.113.7",
		"::ffff:203.0.113.7":         "203.0.113.7",
		"2001:db8:1:2:3:4:5:6":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:0:1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":            "2001:db8:1:3::/64",
	} {
		if got := AddressKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("AddressKey(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestLimiter_Share runs three limiters, each taking a third of the
// configured rate, as three processes behind a round-robin balancer do:
// the source gets the configured rate in all, not three times it.
func TestLimiter_Share(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	const rate, burst = 30, 9
	var procs []*Limiter
	for range 3 {
		l := New(rate, burst, 0)
		l.now = func() time.Time { return now }
		l.Share(3)
		procs = append(procs, l)
	}
	allowed := 0
	const seconds, perSecond = 10, 300 // a flood ten times the limit
	for i := range seconds * perSecond {
		now = now.Add(time.Second / perSecond)
		if ok, _ := procs[i%3].Allow("a"); ok {
			allowed++
		}
	}
	if max := burst + rate*seconds; allowed > max || allowed < max*9/10 {
		t.Fatalf("three shares allowed %d in %ds, want about and at most %d", allowed, seconds, max)
	}

	// One process left: the others take its share up again.
	l := procs[0]
	l.Share(1)
	now = now.Add(time.Hour)
	n := 0
	for {
		if ok, _ := l.Allow("a"); !ok {
			break
		}
		n++
	}
	if n != burst {
		t.Fatalf("after Share(1): a burst of %d, want %d", n, burst)
	}
	l.Share(0) // nonsense counts as one
	var nilLimiter *Limiter
	nilLimiter.Share(2)
}

// BenchmarkLimiter_Allow is the cost of the limit on every request, shared
// or not: Share only changes the numbers Allow divides by.
func BenchmarkLimiter_Allow(b *testing.B) {
	for _, share := range []int{1, 3} {
		b.Run(fmt.Sprintf("share=%d", share), func(b *testing.B) {
			l := New(1e9, 1e9, 0)
			l.Share(share)
			keys := make([]string, 1024)
			for i := range keys {
				keys[i] = fmt.Sprint("203.0.113.", i)
			}
			b.ResetTimer()
			for i := range b.N {
				l.Allow(keys[i%len(keys)])
			}
		})
	}
}

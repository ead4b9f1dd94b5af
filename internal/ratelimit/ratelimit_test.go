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

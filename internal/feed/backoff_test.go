package feed

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := Backoff{} // the defaults: 5s doubling to 1h, for 72h
	tests := []struct {
		attempts int
		max      time.Duration
	}{
		{1, 5 * time.Second},
		{2, 10 * time.Second},
		{5, 80 * time.Second},
		{11, time.Hour}, // 5s·2^10 is past the cap
		{1000, time.Hour},
	}
	for _, tc := range tests {
		for range 50 {
			d := b.Delay(tc.attempts)
			if d < tc.max/2 || d > tc.max {
				t.Fatalf("Delay(%d) = %v, want within [%v, %v]", tc.attempts, d, tc.max/2, tc.max)
			}
		}
	}
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	windows := []struct {
		after time.Duration
		want  bool
	}{{71 * time.Hour, false}, {72 * time.Hour, true}, {100 * time.Hour, true}}
	for _, w := range windows {
		if got := b.Expired(first, first.Add(w.after)); got != w.want {
			t.Errorf("Expired after %v = %v, want %v", w.after, got, w.want)
		}
	}
	// Retrying from the first failure until the window closes takes about
	// 80 attempts with the defaults: the schedule reaches the cap within
	// the first hour and then tries hourly.
	n, at := 0, first
	for !b.Expired(first, at) {
		n++
		at = at.Add(b.Delay(n))
	}
	if n < 70 || n > 160 {
		t.Errorf("%d attempts in the window, want 70-160", n)
	}
}

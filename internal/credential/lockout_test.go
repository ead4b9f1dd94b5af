package credential

import (
	"testing"
	"time"
)

func TestLockout_Duration(t *testing.T) {
	l := Lockout{Threshold: 5, Base: time.Minute, Max: time.Hour}
	for n, want := range map[int]time.Duration{
		0: 0, 1: 0, 4: 0, 5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute,
		10: 32 * time.Minute, 11: time.Hour, 12: time.Hour, 1000: time.Hour,
	} {
		if got := l.Duration(n); got != want {
			t.Errorf("Duration(%d) = %v, want %v", n, got, want)
		}
	}
	if got := (Lockout{}).Duration(10); got != 0 {
		t.Errorf("zero policy: Duration(10) = %v, want 0", got)
	}
}

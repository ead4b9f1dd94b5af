package eid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/store"
)

// Kinds of short-lived records.
const (
	kindThrottle = "throttle"
	kindRegister = "register"
	kindSignIn   = "signin"
)

// getTransient reads a live short-lived record into v and returns its
// version, or ErrNotFound.
func getTransient(ctx context.Context, st store.EID, kind, id string, v any) (int64, error) {
	r, err := st.EIDTransient(ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("eid: read %s: %w", kind, err)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		return 0, fmt.Errorf("eid: decode %s: %w", kind, err)
	}
	return r.Version, nil
}

// updateTransient applies fn to a short-lived record (zero if there is
// none, with exists false) and writes it with the expiry fn returns,
// starting again when another process wrote in between. fn may run several
// times and must keep no state beyond *T.
func updateTransient[T any](ctx context.Context, st store.EID, kind, id string, fn func(v *T, exists bool) (time.Time, error)) (T, error) {
	for range 8 {
		var v T
		ver, err := getTransient(ctx, st, kind, id, &v)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return v, err
		}
		exp, err := fn(&v, exists)
		if err != nil {
			return v, err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return v, err
		}
		err = st.PutEIDTransient(ctx, store.EIDTransient{Kind: kind, ID: id, Version: ver + 1, Expires: exp, Data: data})
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			return v, fmt.Errorf("eid: write %s: %w", kind, err)
		}
		return v, nil
	}
	var zero T
	return zero, fmt.Errorf("eid: write %s: %w", kind, store.ErrConflict)
}

// throttle is a failure counter of an account or a source address, or an
// attempt counter of a rate limit.
type throttle struct {
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	// Count attempts since WindowStart, for rate limits.
	Count       int       `json:"count,omitempty"`
	WindowStart time.Time `json:"window_start,omitzero"`
}

// Lock-out policies. An account locks from its 5th consecutive failure, 1
// minute doubling to an hour, like an officer's. A source address gets more
// room, since many people share one address behind carrier-grade NAT, but
// the same doubling: 20 failures, then 1 minute doubling to an hour.
var (
	accountLockout = credential.Lockout{Threshold: 5, Base: time.Minute, Max: time.Hour}
	addressLockout = credential.Lockout{Threshold: 20, Base: time.Minute, Max: time.Hour}
)

// throttleTTL is how long a failure counter is kept after its last change:
// a day without failures starts the count again.
const throttleTTL = 24 * time.Hour

// lockedUntil returns when the lock of key ends, or the zero time.
func (s *Service) lockedUntil(ctx context.Context, key string) (time.Time, error) {
	var t throttle
	_, err := getTransient(ctx, s.st, kindThrottle, key, &t)
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	if s.now().Before(t.LockedUntil) {
		return t.LockedUntil, nil
	}
	return time.Time{}, nil
}

// fail counts a failure of key under policy and returns the count.
func (s *Service) fail(ctx context.Context, key string, policy credential.Lockout) (int, error) {
	now := s.now()
	t, err := updateTransient(ctx, s.st, kindThrottle, key, func(t *throttle, _ bool) (time.Time, error) {
		t.Failures++
		if d := policy.Duration(t.Failures); d > 0 {
			t.LockedUntil = now.Add(d)
		}
		return now.Add(throttleTTL), nil
	})
	return t.Failures, err
}

// clearFailures resets the failure count of key after a success.
func (s *Service) clearFailures(ctx context.Context, key string) error {
	now := s.now()
	_, err := updateTransient(ctx, s.st, kindThrottle, key, func(t *throttle, exists bool) (time.Time, error) {
		*t = throttle{}
		return now.Add(time.Second), nil
	})
	return err
}

// rateLimit counts an attempt of key and refuses it (ErrRateLimited) when
// more than limit attempts fall in the current window.
func (s *Service) rateLimit(ctx context.Context, key string, limit int, window time.Duration) error {
	now := s.now()
	var refused bool
	t, err := updateTransient(ctx, s.st, kindThrottle, key, func(t *throttle, _ bool) (time.Time, error) {
		refused = false
		if t.WindowStart.IsZero() || now.Sub(t.WindowStart) >= window {
			t.WindowStart, t.Count = now, 0
		}
		if t.Count >= limit {
			refused = true
		} else {
			t.Count++
		}
		return t.WindowStart.Add(window), nil
	})
	if err != nil {
		return err
	}
	if refused {
		return &RetryError{Err: ErrRateLimited, Until: t.WindowStart.Add(window)}
	}
	return nil
}

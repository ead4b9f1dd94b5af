package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	leaseTests = []conformanceTest{
		{"LeaseLifecycle", testLeaseLifecycle},
		{"LeaseOneHolderUnderContention", testLeaseContention},
		{"HeartbeatCountsLiveMembers", testHeartbeat},
	}
}

// leaseTests are the cases for the Leases interface.
var leaseTests []conformanceTest

func testLeaseLifecycle(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, _, err := s.LeaseHolder(ctx, "relay"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LeaseHolder of a lease never taken: %v, want ErrNotFound", err)
	}
	try := func(holder string, ttl time.Duration, want bool) {
		t.Helper()
		got, err := s.TryLease(ctx, "relay", holder, ttl)
		if err != nil || got != want {
			t.Fatalf("TryLease(%s) = %v, %v; want %v", holder, got, err, want)
		}
	}
	try("a", time.Minute, true)
	try("b", time.Minute, false) // held by a
	try("a", time.Minute, true)  // renewed
	if h, exp, err := s.LeaseHolder(ctx, "relay"); err != nil || h != "a" || time.Until(exp) < 30*time.Second {
		t.Fatalf("LeaseHolder = %q until %v, %v; want a for about a minute", h, exp, err)
	}
	if ok, err := s.TryLease(ctx, "other", "b", time.Minute); err != nil || !ok {
		t.Fatalf("another lease name: %v, %v", ok, err)
	}
	// Releasing someone else's lease does nothing; releasing one's own frees it.
	if err := s.ReleaseLease(ctx, "relay", "b"); err != nil {
		t.Fatal(err)
	}
	try("b", time.Minute, false)
	if err := s.ReleaseLease(ctx, "relay", "a"); err != nil {
		t.Fatal(err)
	}
	try("b", 150*time.Millisecond, true)
	// An expired lease goes to whoever asks next.
	time.Sleep(300 * time.Millisecond)
	if _, _, err := s.LeaseHolder(ctx, "relay"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LeaseHolder of an expired lease: %v, want ErrNotFound", err)
	}
	try("c", time.Minute, true)
	try("b", time.Minute, false)
}

func testLeaseContention(t *testing.T, s store.Store) {
	ctx := context.Background()
	const rounds, contenders = 20, 8
	for r := range rounds {
		name := fmt.Sprintf("job-%d", r)
		var mu sync.Mutex
		var winners []string
		var wg sync.WaitGroup
		for c := range contenders {
			wg.Go(func() {
				holder := fmt.Sprintf("p%d", c)
				ok, err := s.TryLease(ctx, name, holder, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					winners = append(winners, holder)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d holders %v, want exactly one", r, len(winners), winners)
		}
	}
}

func testHeartbeat(t *testing.T, s store.Store) {
	ctx := context.Background()
	beat := func(group, holder string, ttl time.Duration, want int) {
		t.Helper()
		if got, err := s.Heartbeat(ctx, group, holder, ttl); err != nil || got != want {
			t.Fatalf("Heartbeat(%s, %s) = %d, %v; want %d live", group, holder, got, err, want)
		}
	}
	// A single-writer lease whose name starts like the group's is no member.
	if ok, err := s.TryLease(ctx, "serve.relay", "x", time.Minute); err != nil || !ok {
		t.Fatalf("TryLease: %v, %v", ok, err)
	}
	beat("serve", "a", time.Minute, 1)
	beat("serve", "b", time.Minute, 2)
	beat("serve", "a", time.Minute, 2) // a renewal is not a new member
	beat("other", "a", time.Minute, 1) // groups are counted apart
	beat("serve", "c", 50*time.Millisecond, 3)
	time.Sleep(150 * time.Millisecond)
	beat("serve", "b", time.Minute, 2) // c's time ran out
	if _, _, err := s.LeaseHolder(ctx, store.MemberLease("serve", "c")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an expired member is still held: %v", err)
	}
	if err := s.ReleaseLease(ctx, store.MemberLease("serve", "b"), "b"); err != nil {
		t.Fatal(err)
	}
	beat("serve", "a", time.Minute, 1) // b left
}

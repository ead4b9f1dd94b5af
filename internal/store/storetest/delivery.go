package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	deliveryTests = []conformanceTest{
		{"DeliveryCursorAdvances", testDeliveryCursor},
		{"DeliveryPendingLifecycle", testDeliveryPending},
		{"DeliveryDeadLetterRedeliver", testDeliveryDeadLetter},
	}
}

// deliveryTests are the cases for the Deliveries interface.
var deliveryTests []conformanceTest

func testDeliveryCursor(t *testing.T, s store.Store) {
	ctx := context.Background()
	tests := []struct {
		name     string
		consumer string
		advance  int64
		want     int64
	}{
		{"new consumer starts at 0", "webhook:a", 0, 0},
		{"moves forward", "webhook:a", 10, 10},
		{"never moves back", "webhook:a", 5, 10},
		{"consumers are separate", "nats", 3, 3},
	}
	for _, tc := range tests {
		if tc.advance > 0 {
			if err := s.AdvanceDelivery(ctx, tc.consumer, tc.advance, nil); err != nil {
				t.Fatalf("%s: AdvanceDelivery: %v", tc.name, err)
			}
		}
		got, err := s.DeliveryCursor(ctx, tc.consumer)
		if err != nil || got != tc.want {
			t.Errorf("%s: DeliveryCursor = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
}

func testDeliveryPending(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := t0.Truncate(time.Microsecond)
	ps := []store.PendingDelivery{
		{Seq: 3, PIN: "079190000001", Attempts: 1, FirstAt: at, NextAt: at.Add(time.Second), LastError: "status 500"},
		{Seq: 7, PIN: "079190000001", Attempts: 0, FirstAt: at, NextAt: at},
		{Seq: 5, PIN: "079190000002", Attempts: 1, FirstAt: at, NextAt: at.Add(2 * time.Second), LastError: "timeout"},
	}
	if err := s.AdvanceDelivery(ctx, "c", 7, ps); err != nil {
		t.Fatal(err)
	}
	// Replaying the batch (after a crash) changes nothing.
	replay := append([]store.PendingDelivery(nil), ps...)
	replay[0].Attempts = 99
	if err := s.AdvanceDelivery(ctx, "c", 7, replay); err != nil {
		t.Fatal(err)
	}
	got, err := s.PendingDeliveries(ctx, "c", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Seq != 3 || got[1].Seq != 5 || got[2].Seq != 7 {
		t.Fatalf("PendingDeliveries = %+v, want seqs 3, 5, 7", got)
	}
	if got[0].Attempts != 1 || got[0].LastError != "status 500" || !got[0].NextAt.Equal(at.Add(time.Second)) || got[0].PIN != "079190000001" {
		t.Errorf("pending 3 = %+v", got[0])
	}
	if other, _ := s.PendingDeliveries(ctx, "other", 0, 10); len(other) != 0 {
		t.Errorf("another consumer sees %d pending", len(other))
	}
	if after, _ := s.PendingDeliveries(ctx, "c", 3, 1); len(after) != 1 || after[0].Seq != 5 {
		t.Errorf("PendingDeliveries(after 3, limit 1) = %+v", after)
	}
	upd := got[0]
	upd.Attempts, upd.FirstAt, upd.NextAt, upd.LastError = 2, at.Add(time.Second), at.Add(time.Minute), "status 503"
	if err := s.RetryDelivery(ctx, "c", upd); err != nil {
		t.Fatal(err)
	}
	got, _ = s.PendingDeliveries(ctx, "c", 0, 1)
	if got[0].Attempts != 2 || got[0].LastError != "status 503" || !got[0].NextAt.Equal(at.Add(time.Minute)) || !got[0].FirstAt.Equal(at.Add(time.Second)) {
		t.Errorf("after RetryDelivery: %+v", got[0])
	}
	if err := s.FinishDelivery(ctx, "c", 3, false, at); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishDelivery(ctx, "c", 3, false, at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second FinishDelivery: %v, want ErrNotFound", err)
	}
	if err := s.RetryDelivery(ctx, "c", upd); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RetryDelivery of a finished message: %v, want ErrNotFound", err)
	}
	if d, _ := s.DeadLetters(ctx, "c", 0, 10); len(d) != 0 {
		t.Errorf("a delivered message is in the dead-letter queue: %+v", d)
	}
}

func testDeliveryDeadLetter(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := t0.Truncate(time.Microsecond)
	p := store.PendingDelivery{Seq: 4, PIN: "079190000003", Attempts: 12, FirstAt: at, NextAt: at, LastError: "status 500"}
	if err := s.AdvanceDelivery(ctx, "c", 4, []store.PendingDelivery{p}); err != nil {
		t.Fatal(err)
	}
	dead := at.Add(72 * time.Hour)
	if err := s.FinishDelivery(ctx, "c", 4, true, dead); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.PendingDeliveries(ctx, "c", 0, 10); len(got) != 0 {
		t.Errorf("dead-lettered message still pending: %+v", got)
	}
	ds, err := s.DeadLetters(ctx, "c", 0, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("DeadLetters = %+v, %v", ds, err)
	}
	d := ds[0]
	if d.Seq != 4 || d.PIN != p.PIN || d.Attempts != 12 || d.LastError != "status 500" || !d.DeadAt.Equal(dead) || !d.FirstAt.Equal(at) {
		t.Errorf("dead letter = %+v", d)
	}
	again := dead.Add(time.Hour)
	if err := s.RedeliverDeadLetter(ctx, "c", 4, again); err != nil {
		t.Fatal(err)
	}
	if err := s.RedeliverDeadLetter(ctx, "c", 4, again); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second redeliver: %v, want ErrNotFound", err)
	}
	ps, _ := s.PendingDeliveries(ctx, "c", 0, 10)
	if len(ps) != 1 || ps[0].Attempts != 0 || !ps[0].NextAt.Equal(again) || ps[0].PIN != p.PIN {
		t.Errorf("after redeliver pending = %+v", ps)
	}
	if ds, _ := s.DeadLetters(ctx, "c", 0, 10); len(ds) != 0 {
		t.Errorf("redelivered message still dead: %+v", ds)
	}
}

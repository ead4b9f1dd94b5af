package feed

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// fastRelay is a relay configuration for tests: short polls, timeouts and
// backoff, so that hours of retrying take milliseconds.
func fastRelay(window time.Duration) RelayConfig {
	return RelayConfig{
		Workers: 8, Batch: 100, Poll: 5 * time.Millisecond, Reload: 50 * time.Millisecond,
		AttemptTimeout: 100 * time.Millisecond,
		Backoff:        Backoff{Base: 5 * time.Millisecond, Max: 40 * time.Millisecond, Window: window},
	}
}

// subscribe creates the insurer's subscription to rc's server.
func subscribe(t *testing.T, svc *Service, rc *receiver, url string) *Subscription {
	t.Helper()
	sub, err := svc.AddSubscription(context.Background(), Subscription{
		ID: "vss-main", Agency: "vss", Purpose: "insurance", URL: url, EventTypes: []string{"death", "marriage"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secret = sub.Secret
	rc.mu.Unlock()
	return sub
}

// startRelay runs a relay until the returned stop is called.
func startRelay(t *testing.T, svc *Service, cfg RelayConfig) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.NewRelay(cfg).Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// wanted lists the seqs of the outbox rows of the given types.
func wanted(t *testing.T, st store.Store, types ...string) map[int64]bool {
	t.Helper()
	rows, err := st.Outbox(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]bool{}
	for _, r := range rows {
		if slices.Contains(types, r.EventType) {
			out[r.Seq] = true
		}
	}
	return out
}

func TestRelayDeliversThroughFailures(t *testing.T) {
	tests := []struct {
		name   string
		decide func(up *atomic.Bool) func(seq int64, pin string, n int) int
	}{
		{"500 then timeout then success", func(*atomic.Bool) func(int64, string, int) int {
			return func(seq int64, _ string, n int) int {
				switch {
				case seq%5 == 0 && n == 1:
					return http.StatusInternalServerError
				case seq%5 == 0 && n == 2:
					return 0 // hang: the relay times out
				case seq%7 == 0 && n < 4:
					return http.StatusServiceUnavailable
				}
				return http.StatusOK
			}
		}},
		{"receiver down, then up", func(up *atomic.Bool) func(int64, string, int) int {
			return func(int64, string, int) int {
				if !up.Load() {
					return http.StatusBadGateway
				}
				return http.StatusNoContent
			}
		}},
	}
	for _, b := range backends() {
		for _, tc := range tests {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				st := b.open(t)
				appendEvents(t, st, 300, 20, "death", "marriage", "birth_registration")
				rec := &memRecorder{}
				svc, err := New(context.Background(), st, newFakeExchange(insurerGrant, bankGrant), rec, nil)
				if err != nil {
					t.Fatal(err)
				}
				var up atomic.Bool
				rc := newReceiver(t, tc.decide(&up))
				srv := httptest.NewServer(rc)
				defer srv.Close()
				subscribe(t, svc, rc, srv.URL)
				stop := startRelay(t, svc, fastRelay(time.Hour))
				time.Sleep(150 * time.Millisecond)
				up.Store(true)
				want := wanted(t, st, "death", "marriage")
				waitFor(t, 20*time.Second, "every message", func() bool {
					p, _ := st.PendingDeliveries(context.Background(), "webhook:vss-main", 0, 10)
					return len(checkPerPersonOrder(t, rc.deliveries())) >= len(want) && len(p) == 0
				})
				stop()
				got := checkPerPersonOrder(t, rc.deliveries())
				for seq := range got {
					if !want[seq] {
						t.Errorf("message %d was delivered but its type is not subscribed", seq)
					}
				}
				if rc.bad > 0 {
					t.Errorf("%d requests failed signature verification", rc.bad)
				}
				for _, r := range rc.deliveries() {
					var msg struct {
						Data Event `json:"data"`
					}
					json.Unmarshal(r.body, &msg)
					for f := range msg.Data.Person {
						if !slices.Contains([]string{"pin", "status", "full_name", "birth_date"}, f) {
							t.Fatalf("field %q delivered outside the grant", f)
						}
					}
				}
				accessed := map[string]bool{}
				for _, a := range rec.accesses() {
					if a.Action != "feed" || a.Agency != "vss" || a.Purpose != "insurance" {
						t.Fatalf("access %+v", a)
					}
					accessed[a.RequestID] = true
				}
				for seq := range want {
					if !accessed[webhookID(seq)] {
						t.Fatalf("message %d delivered without an access-log entry", seq)
					}
				}
			})
		}
	}
}

// TestRelayRestart stops a relay in the middle of the stream, as a crash
// would, and starts another over the same store (another process): every
// message arrives, in order for each person.
func TestRelayRestart(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			appendEvents(t, st, 400, 25, "death", "marriage")
			ex := newFakeExchange(insurerGrant)
			rc := newReceiver(t, func(int64, string, int) int {
				time.Sleep(time.Millisecond)
				return http.StatusOK
			})
			srv := httptest.NewServer(rc)
			defer srv.Close()
			svc1, err := New(context.Background(), st, ex, &memRecorder{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			subscribe(t, svc1, rc, srv.URL)
			cfg := fastRelay(time.Hour)
			cfg.Batch = 40
			stop := startRelay(t, svc1, cfg)
			waitFor(t, 10*time.Second, "some deliveries", func() bool { return len(rc.deliveries()) >= 60 })
			stop()
			before := len(checkPerPersonOrder(t, rc.deliveries()))
			if before >= 400 {
				t.Skip("the first relay delivered everything before it was stopped")
			}
			svc2, err := New(context.Background(), st, ex, &memRecorder{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			startRelay(t, svc2, cfg)
			waitFor(t, 20*time.Second, "every message", func() bool {
				return len(checkPerPersonOrder(t, rc.deliveries())) == 400
			})
			t.Logf("%d distinct before the restart, %d requests in all", before, len(rc.deliveries()))
		})
	}
}

// TestDeadLetterAndRedeliver has one person's messages refused until they
// are dead-lettered, while everyone else's flow; then the receiver is fixed
// and the dead letters are redelivered, in order.
func TestDeadLetterAndRedeliver(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			st := b.open(t)
			appendEvents(t, st, 40, 4, "death", "marriage")
			svc, err := New(ctx, st, newFakeExchange(insurerGrant), &memRecorder{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			const sick = "079190000001"
			var fixed atomic.Bool
			rc := newReceiver(t, func(_ int64, pin string, _ int) int {
				if pin == sick && !fixed.Load() {
					return http.StatusInternalServerError
				}
				return http.StatusOK
			})
			srv := httptest.NewServer(rc)
			defer srv.Close()
			sub := subscribe(t, svc, rc, srv.URL)
			// Only the sick person's messages may fail: an attempt timeout
			// of 100 ms, met on a loaded machine, dead-lettered healthy
			// ones too and delivered others twice (at least once).
			cfg := fastRelay(60 * time.Millisecond)
			cfg.AttemptTimeout = 10 * time.Second
			startRelay(t, svc, cfg)
			waitFor(t, 30*time.Second, "the others' messages and 10 dead letters", func() bool {
				d, _ := svc.DeadLetters(ctx, sub.ID, 0, 100)
				return len(checkPerPersonOrder(t, rc.deliveries())) == 30 && len(d) == 10
			})
			for _, r := range rc.deliveries() {
				if r.pin == sick {
					t.Fatalf("a refused message counts as delivered")
				}
			}
			dead, _ := svc.DeadLetters(ctx, sub.ID, 0, 100)
			for _, d := range dead {
				if d.PIN != sick || d.Attempts < 2 || d.LastError != "status 500" {
					t.Errorf("dead letter %+v", d)
				}
			}
			fixed.Store(true)
			for _, d := range dead {
				if err := svc.Redeliver(ctx, sub.ID, d.Seq); err != nil {
					t.Fatal(err)
				}
			}
			if err := svc.Redeliver(ctx, sub.ID, dead[0].Seq); err == nil {
				t.Error("redelivering a message no longer dead-lettered succeeded")
			}
			waitFor(t, 20*time.Second, "the redelivered messages", func() bool { return len(checkPerPersonOrder(t, rc.deliveries())) == 40 })
			checkPerPersonOrder(t, rc.deliveries())
			if d, _ := svc.DeadLetters(ctx, sub.ID, 0, 100); len(d) != 0 {
				t.Errorf("%d dead letters left", len(d))
			}
		})
	}
}

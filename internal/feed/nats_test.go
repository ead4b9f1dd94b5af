package feed

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsURL is the local test server; tests skip when it is not running,
// unless DANCU_REQUIRE_NATS is set (then they fail).
const natsURL = "nats://127.0.0.1:4222"

func natsOrSkip(t *testing.T) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(natsURL, nats.Timeout(time.Second))
	if err != nil {
		if os.Getenv("DANCU_REQUIRE_NATS") != "" {
			t.Fatalf("NATS at %s: %v", natsURL, err)
		}
		t.Skipf("NATS at %s not reachable: %v", natsURL, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// TestNATSPublisher publishes the outbox, stops the publisher midway, has
// another publisher send everything again, resumes the first, and checks
// the stream holds every message exactly once, on its event type's
// subject, in seq order.
func TestNATSPublisher(t *testing.T) {
	nc := natsOrSkip(t)
	ctx := context.Background()
	st := openSQLite(t)
	const n = 3000
	appendEvents(t, st, n, 50, "death", "marriage")
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	cfg := NATSConfig{URL: natsURL, Stream: "DANCU_TEST_" + tag, Subject: "dancutest." + tag, Batch: 200, Poll: 5 * time.Millisecond}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { js.DeleteStream(context.Background(), cfg.Stream) })

	run := func(until func() bool) {
		p, err := NewNATSPublisher(ctx, st, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); p.Run(rctx) }()
		waitFor(t, 20*time.Second, "publishing", until)
		cancel()
		<-done
	}
	cursor := func(c string) func() int64 {
		return func() int64 { v, _ := st.DeliveryCursor(ctx, c); return v }
	}
	first := cursor("nats")
	run(func() bool { return first() >= 600 })
	// A publisher that lost its cursor (the worst crash: every message
	// goes out again) under another consumer name, from the start: the
	// server drops every duplicate by message id.
	cfg.Consumer = "nats-replay"
	replay := cursor("nats-replay")
	run(func() bool { return replay() == n })
	cfg.Consumer = ""
	run(func() bool { return first() == n })

	s, err := js.Stream(ctx, cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != n {
		t.Fatalf("stream holds %d messages, want %d", info.State.Msgs, n)
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	count := 0
	for m := range batch.Messages() {
		seq, err := strconv.ParseInt(m.Headers().Get(jetstream.MsgIDHeader), 10, 64)
		if err != nil || seq <= last {
			t.Fatalf("message id %q after %d", m.Headers().Get(jetstream.MsgIDHeader), last)
		}
		last = seq
		typ := "death"
		if (seq-1)%2 == 1 {
			typ = "marriage"
		}
		if m.Subject() != fmt.Sprintf("%s.%s", cfg.Subject, typ) {
			t.Fatalf("message %d on %s", seq, m.Subject())
		}
		count++
	}
	if count != n {
		t.Errorf("read %d messages, want %d", count, n)
	}
}

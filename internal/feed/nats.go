package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS defaults.
const (
	DefaultNATSStream  = "DANCU_EVENTS"
	DefaultNATSSubject = "dancu.events"
	natsConsumer       = "nats"
)

// NATSConfig configures the JetStream publisher.
type NATSConfig struct {
	URL string // nats://host:port
	// Stream is the JetStream stream, created (or updated) at start to
	// hold Subject.>; default DANCU_EVENTS.
	Stream string
	// Subject is the subject prefix: a message goes to
	// <Subject>.<event_type>; default dancu.events.
	Subject string
	// Batch is how many outbox rows one publish round sends; default 1000.
	Batch int
	// Poll is the wait when the outbox had nothing new; default 250ms.
	Poll time.Duration
	// Consumer names the publisher's cursor in the store; default "nats".
	// Tests use their own.
	Consumer string
}

// NATSPublisher publishes every outbox message, in full, to a JetStream
// stream for internal consumers (analytics): no agency policy applies,
// and no access is logged, since the stream stays inside the platform —
// anyone outside it receives changes through webhooks or the pull feed,
// which do both. The JetStream message id is the outbox seq, so a batch
// published again after a crash is dropped by the server's duplicate
// window instead of stored twice.
type NATSPublisher struct {
	st  Store
	nc  *nats.Conn
	js  jetstream.JetStream
	cfg NATSConfig
	log *slog.Logger
}

// NewNATSPublisher connects to the server and makes sure the stream exists.
func NewNATSPublisher(ctx context.Context, st Store, cfg NATSConfig, log *slog.Logger) (*NATSPublisher, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultNATSStream
	}
	if cfg.Subject == "" {
		cfg.Subject = DefaultNATSSubject
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 250 * time.Millisecond
	}
	if cfg.Consumer == "" {
		cfg.Consumer = natsConsumer
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	nc, err := nats.Connect(cfg.URL, nats.Name("dancu outbox"), nats.MaxReconnects(-1))
	if err != nil {
		// The URL may hold credentials: the error does not repeat it.
		return nil, errors.New("feed: cannot connect to NATS")
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(cfg.Batch))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("feed: jetstream: %w", err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: cfg.Stream, Subjects: []string{cfg.Subject + ".>"},
		Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute,
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("feed: jetstream stream %s: %w", cfg.Stream, err)
	}
	return &NATSPublisher{st: st, nc: nc, js: js, cfg: cfg, log: log}, nil
}

// Close closes the connection.
func (p *NATSPublisher) Close() { p.nc.Close() }

// Run publishes until ctx is done. It implements Publisher.
func (p *NATSPublisher) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		n, err := p.publishBatch(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.Warn("feed: NATS publish failed; will retry", "error", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(p.cfg.Poll):
		}
	}
	return nil
}

// publishBatch publishes the rows after the cursor, waits for every ack,
// and only then advances the cursor. Publishes are pipelined, so messages
// are normally stored in seq order; after a failed round they are sent
// again and may then land after later ones, which is why each carries its
// seq (Nats-Msg-Id) for consumers that must restore the order.
func (p *NATSPublisher) publishBatch(ctx context.Context) (int, error) {
	cursor, err := p.st.DeliveryCursor(ctx, p.cfg.Consumer)
	if err != nil {
		return 0, err
	}
	rows, err := p.st.Outbox(ctx, cursor, p.cfg.Batch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	futures := make([]jetstream.PubAckFuture, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		msg := nats.NewMsg(p.cfg.Subject + "." + r.EventType)
		msg.Data = r.Data
		msg.Header.Set("Dancu-Event-Id", r.EventID)
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(strconv.FormatInt(r.Seq, 10)))
		if err != nil {
			return 0, err
		}
		futures = append(futures, f)
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return 0, err
		case <-wait.Done():
			return 0, wait.Err()
		}
	}
	if err := p.st.AdvanceDelivery(ctx, p.cfg.Consumer, rows[len(rows)-1].Seq, nil); err != nil {
		return 0, err
	}
	return len(rows), nil
}

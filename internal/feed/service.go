package feed

import (
	"context"
	"log/slog"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

// Store is what the change feeds keep and read: the outbox, the delivery
// state, webhook subscriptions in the Directory and the cursor-signing key
// in Settings.
type Store interface {
	store.Directory
	store.Deliveries
	store.Settings
	Outbox(ctx context.Context, afterSeq int64, limit int) ([]store.OutboxRow, error)
}

// Exchange is the part of the exchange that says what an agency may
// receive. *exchange.Service provides it.
type Exchange interface {
	Agency(ctx context.Context, id string) (*exchange.Agency, error)
	Grants(ctx context.Context, agency string) ([]exchange.Grant, error)
}

// Service manages webhook subscriptions and their dead-letter queues and
// answers the pull feed. It is safe for concurrent use; the delivery itself
// is the Relay's.
type Service struct {
	st  Store
	ex  Exchange
	rec audit.Recorder
	log *slog.Logger
	now func() time.Time

	cursorKey []byte
}

// Option changes a Service.
type Option func(*Service)

// WithClock makes the service read the time from now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns the feed service. It loads (or creates, once for all
// processes sharing the store) the key that signs pull-feed cursors.
func New(ctx context.Context, st Store, ex Exchange, rec audit.Recorder, log *slog.Logger, opts ...Option) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{st: st, ex: ex, rec: rec, log: log, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	key, err := loadCursorKey(ctx, st)
	if err != nil {
		return nil, err
	}
	s.cursorKey = key
	return s, nil
}

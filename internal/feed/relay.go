package feed

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

// RelayConfig tunes the relay. Zero values take the defaults.
type RelayConfig struct {
	// Workers is how many messages of one subscription are in flight at
	// once, each for a different person. Default 32.
	Workers int
	// Batch is how many outbox rows one pass reads. Default 2000.
	Batch int
	// Poll is the wait between passes when there was nothing to do.
	// Default 250ms.
	Poll time.Duration
	// Reload is how often subscriptions and grants are read again, so that
	// a new subscription starts and a revoked grant stops deliveries within
	// this time. Default 5s.
	Reload time.Duration
	// AttemptTimeout bounds one delivery attempt. Default 15s.
	AttemptTimeout time.Duration
	// MaxPending is the retry queue length of a subscription beyond which
	// it stops reading new rows until the queue drains. Default 10,000.
	MaxPending int
	// Backoff is the retry schedule.
	Backoff Backoff
	// Client sends the webhooks; default a client with keep-alive
	// connections for Workers requests at once that follows no redirects.
	Client *http.Client
	// Publishers are further consumers of the outbox (NATS) that the relay
	// runs alongside the webhooks.
	Publishers []Publisher
}

// Publisher is a consumer of the whole outbox that keeps its own cursor,
// such as the NATS JetStream publisher. Run returns when ctx is done.
type Publisher interface {
	Run(ctx context.Context) error
}

func (c RelayConfig) withDefaults() RelayConfig {
	if c.Workers <= 0 {
		c.Workers = 32
	}
	if c.Batch <= 0 {
		c.Batch = 2000
	}
	if c.Poll <= 0 {
		c.Poll = 250 * time.Millisecond
	}
	if c.Reload <= 0 {
		c.Reload = 5 * time.Second
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 15 * time.Second
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 10000
	}
	c.Backoff = c.Backoff.withDefaults()
	if c.Client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = c.Workers * 2
		c.Client = &http.Client{
			Transport: t,
			// A redirect is a failure: the message was not taken, and
			// following it could carry personal data to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c
}

// Relay delivers the outbox to every active webhook subscription and runs
// the configured publishers. Run it once per process (see the package
// documentation on the single writer).
type Relay struct {
	svc *Service
	cfg RelayConfig
}

// NewRelay returns a relay over the service's store and exchange.
func (s *Service) NewRelay(cfg RelayConfig) *Relay {
	return &Relay{svc: s, cfg: cfg.withDefaults()}
}

// running is a subscription's delivery goroutine.
type running struct {
	sender  *sender
	version int64
	cancel  context.CancelFunc
	done    chan struct{}
}

// Run delivers until ctx is done, then waits for deliveries in flight to
// end; what they did not finish is delivered again after a restart.
func (r *Relay) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range r.cfg.Publishers {
		wg.Go(func() {
			if err := p.Run(ctx); err != nil && ctx.Err() == nil {
				r.svc.log.Error("feed: publisher stopped", "error", err)
			}
		})
	}
	subs := map[string]*running{}
	defer func() {
		for _, rn := range subs {
			rn.cancel()
			<-rn.done
		}
		wg.Wait()
	}()
	t := time.NewTicker(r.cfg.Reload)
	defer t.Stop()
	for {
		if err := r.reload(ctx, subs); err != nil && ctx.Err() == nil {
			r.svc.log.Warn("feed: reloading subscriptions failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// reload starts, updates and stops subscriptions' senders to match the
// directory and the agencies' grants.
func (r *Relay) reload(ctx context.Context, subs map[string]*running) error {
	all, err := r.svc.subscriptions(ctx, "")
	if err != nil {
		return err
	}
	grants := map[string][]exchange.Grant{}
	seen := map[string]bool{}
	for _, sub := range all {
		if sub.Status != exchange.Active {
			continue
		}
		g, ok := grants[sub.Agency]
		if !ok {
			a, err := r.svc.ex.Agency(ctx, sub.Agency)
			if err == nil && a.Status == exchange.Active {
				if g, err = r.svc.ex.Grants(ctx, sub.Agency); err != nil {
					return err
				}
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			grants[sub.Agency] = g
		}
		seen[sub.ID] = true
		pol := newPolicy(g, sub.Agency, sub.Purpose, sub.EventTypes)
		if rn, ok := subs[sub.ID]; ok && rn.version == sub.Version {
			rn.sender.policy.Store(pol)
			continue
		} else if ok {
			rn.cancel()
			<-rn.done
		}
		snd, err := r.newSender(sub)
		if err != nil {
			r.svc.log.Error("feed: subscription cannot be served", "subscription", sub.ID, "error", err)
			continue
		}
		snd.policy.Store(pol)
		sctx, cancel := context.WithCancel(ctx)
		rn := &running{sender: snd, version: sub.Version, cancel: cancel, done: make(chan struct{})}
		subs[sub.ID] = rn
		go func() {
			defer close(rn.done)
			snd.run(sctx)
		}()
	}
	for id, rn := range subs {
		if !seen[id] {
			rn.cancel()
			<-rn.done
			delete(subs, id)
		}
	}
	return nil
}

// sender delivers one subscription. It is the only writer of the
// subscription's delivery state, so it may keep its cursor in memory.
type sender struct {
	r        *Relay
	sub      Subscription
	key      []byte
	consumer string
	policy   atomic.Pointer[policy] // nil: no active grant; deliver nothing, skip nothing
	seed     maphash.Seed

	cursor     int64
	pauseUntil time.Time
}

func (r *Relay) newSender(sub Subscription) (*sender, error) {
	key, err := secretKey(sub.Secret)
	if err != nil {
		return nil, err
	}
	return &sender{r: r, sub: sub, key: key, consumer: sub.consumer(), seed: maphash.MakeSeed(), cursor: -1}, nil
}

// run is the sender's loop: retry what is due, then forward new rows, and
// rest when there was nothing to do or the store failed.
func (w *sender) run(ctx context.Context) {
	log := w.r.svc.log.With("subscription", w.sub.ID)
	for ctx.Err() == nil {
		worked, err := w.pass(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("feed: delivery pass failed", "error", err)
		}
		if worked && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(w.r.cfg.Poll):
		}
	}
}

// pass does one round of work and reports whether there was any.
func (w *sender) pass(ctx context.Context) (bool, error) {
	st := w.r.svc.st
	pol := w.policy.Load()
	if pol == nil {
		return false, nil
	}
	if w.cursor < 0 {
		c, err := st.DeliveryCursor(ctx, w.consumer)
		if err != nil {
			return false, err
		}
		w.cursor = c
	}
	// The retry queue is read from the store on every pass rather than
	// kept in memory, so that a redelivery requested through any process
	// is seen, and so that a restart loses nothing.
	pend, err := st.PendingDeliveries(ctx, w.consumer, 0, w.r.cfg.MaxPending)
	if err != nil {
		return false, err
	}
	retried, err := w.retry(ctx, pol, pend)
	if err != nil {
		return retried, err
	}
	if len(pend) >= w.r.cfg.MaxPending || w.r.svc.now().Before(w.pauseUntil) {
		return retried, nil
	}
	forwarded, err := w.forward(ctx, pol, pend)
	return retried || forwarded, err
}

// retry attempts each person's oldest pending message if it is due: a
// person's later messages wait behind it (per-person order).
func (w *sender) retry(ctx context.Context, pol *policy, pend []store.PendingDelivery) (bool, error) {
	now := w.r.svc.now()
	heads := map[string]bool{}
	var due []store.PendingDelivery
	for _, p := range pend {
		if heads[p.PIN] {
			continue
		}
		heads[p.PIN] = true
		if !p.NextAt.After(now) {
			due = append(due, p)
		}
	}
	if len(due) == 0 {
		return false, nil
	}
	st := w.r.svc.st
	var firstErr error
	var mu sync.Mutex
	var ok atomic.Bool
	sem := make(chan struct{}, w.r.cfg.Workers)
	var wg sync.WaitGroup
	for _, p := range due {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := w.retryOne(ctx, st, pol, p)
			if err == nil {
				ok.Store(true)
				return
			}
			if errors.Is(err, errDeliveryFailed) {
				return // recorded for the next attempt; not the relay's fault
			}
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if ok.Load() {
		w.pauseUntil = time.Time{}
	}
	return true, firstErr
}

// retryOne attempts one pending message and records the outcome. It
// returns an error only when the store or the access log failed.
func (w *sender) retryOne(ctx context.Context, st Store, pol *policy, p store.PendingDelivery) error {
	rows, err := st.Outbox(ctx, p.Seq-1, 1)
	if err != nil {
		return err
	}
	if len(rows) == 0 || rows[0].Seq != p.Seq || !pol.allows(&rows[0]) {
		// The row is gone, or the grant no longer releases its type:
		// nothing may be sent, and holding the person's later messages
		// behind it would block them for ever.
		return st.FinishDelivery(ctx, w.consumer, p.Seq, false, w.r.svc.now())
	}
	if err := w.record(ctx, pol, rows[:1]); err != nil {
		return err
	}
	sendErr := w.send(ctx, pol, &rows[0])
	if sendErr != nil && ctx.Err() != nil {
		return ctx.Err() // stopping: the attempt does not count
	}
	// The outcome is stored even if the relay is stopping meanwhile, so
	// that a delivered message is not sent again after a restart.
	ctx = context.WithoutCancel(ctx)
	now := w.r.svc.now()
	if sendErr == nil {
		return st.FinishDelivery(ctx, w.consumer, p.Seq, false, now)
	}
	if p.Attempts == 0 {
		// Held back behind an earlier message, or redelivered: this is
		// its first attempt, and its retry window starts now.
		p.FirstAt = now
	}
	p.Attempts++
	p.LastError = sendErr.Error()
	p.NextAt = now.Add(w.r.cfg.Backoff.Delay(p.Attempts))
	if err := st.RetryDelivery(ctx, w.consumer, p); err != nil {
		return err
	}
	if w.r.cfg.Backoff.Expired(p.FirstAt, now) {
		w.r.svc.log.Warn("feed: message dead-lettered", "subscription", w.sub.ID, "seq", p.Seq, "attempts", p.Attempts, "error", p.LastError)
		return st.FinishDelivery(ctx, w.consumer, p.Seq, true, now)
	}
	return errDeliveryFailed
}

// errDeliveryFailed tells retry that an attempt failed (and was recorded
// for another try), which is not an error of the relay.
var errDeliveryFailed = errors.New("feed: delivery failed")

// forward reads the next rows after the cursor, delivers those the policy
// releases — in parallel across people, in order for each — and records
// the failed ones for retry together with the new cursor.
func (w *sender) forward(ctx context.Context, pol *policy, pend []store.PendingDelivery) (bool, error) {
	st := w.r.svc.st
	rows, err := st.Outbox(ctx, w.cursor, w.r.cfg.Batch)
	if err != nil || len(rows) == 0 {
		return false, err
	}
	blocked := make(map[string]bool, len(pend))
	for _, p := range pend {
		blocked[p.PIN] = true
	}
	n := w.r.cfg.Workers
	parts := make([][]*store.OutboxRow, n)
	for i := range rows {
		if pol.allows(&rows[i]) {
			h := maphash.String(w.seed, rows[i].PIN) % uint64(n)
			parts[h] = append(parts[h], &rows[i])
		}
	}
	results := make([][]store.PendingDelivery, n)
	errs := make([]error, n)
	var delivered, failed atomic.Int64
	var wg sync.WaitGroup
	for i, part := range parts {
		if len(part) == 0 {
			continue
		}
		wg.Go(func() {
			// The accesses are recorded before anything is sent. A message
			// held back below by an earlier failure for the same person
			// keeps its entry: the log errs on the side of too many.
			var send []store.OutboxRow
			for _, row := range part {
				if !blocked[row.PIN] {
					send = append(send, *row)
				}
			}
			if err := w.record(ctx, pol, send); err != nil {
				errs[i] = err
				return
			}
			held := map[string]bool{}
			for _, row := range part {
				now := w.r.svc.now()
				if blocked[row.PIN] || held[row.PIN] {
					results[i] = append(results[i], store.PendingDelivery{Seq: row.Seq, PIN: row.PIN, NextAt: now})
					continue
				}
				if err := w.send(ctx, pol, row); err != nil {
					held[row.PIN] = true
					failed.Add(1)
					now = w.r.svc.now()
					results[i] = append(results[i], store.PendingDelivery{
						Seq: row.Seq, PIN: row.PIN, Attempts: 1, FirstAt: now,
						NextAt: now.Add(w.r.cfg.Backoff.Delay(1)), LastError: err.Error(),
					})
					continue
				}
				delivered.Add(1)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		// Stopping: outcomes of this batch are not recorded, so the whole
		// batch is delivered again after a restart (at-least-once).
		return false, ctx.Err()
	}
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	var pending []store.PendingDelivery
	for _, r := range results {
		pending = append(pending, r...)
	}
	// Pending rows are stored in seq order, which is each person's order.
	slices.SortFunc(pending, func(a, b store.PendingDelivery) int { return cmp.Compare(a.Seq, b.Seq) })
	last := rows[len(rows)-1].Seq
	if err := st.AdvanceDelivery(ctx, w.consumer, last, pending); err != nil {
		return false, err
	}
	w.cursor = last
	if failed.Load() > 0 && delivered.Load() == 0 {
		// Every attempt failed: the receiver is probably down. Stop reading
		// new rows until the first retry is due rather than try each new
		// message once and queue it.
		w.pauseUntil = w.r.svc.now().Add(w.r.cfg.Backoff.Delay(1))
	}
	return true, nil
}

// record writes the access-log entries of sending rows to the agency.
func (w *sender) record(ctx context.Context, pol *policy, rows []store.OutboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	rec := w.r.svc.rec
	if rec == nil {
		return errors.New("feed: no access log: nothing is sent")
	}
	as := make([]audit.Access, len(rows))
	for i := range rows {
		as[i] = audit.Access{
			ActorKind: "webhook", Actor: w.sub.ID, Agency: pol.agency, Purpose: pol.purpose,
			PIN: rows[i].PIN, Fields: pol.access, Action: "feed", RequestID: webhookID(rows[i].Seq),
		}
	}
	if err := rec.Record(ctx, as...); err != nil {
		return fmt.Errorf("feed: access log: %w", err)
	}
	return nil
}

// send makes one delivery attempt. The error says what went wrong in a
// few words (a status code, a timeout), never what was sent.
func (w *sender) send(ctx context.Context, pol *policy, row *store.OutboxRow) error {
	body, err := pol.webhookMessage(row)
	if err != nil {
		return errors.New("undecodable outbox message")
	}
	id := webhookID(row.Seq)
	ts := w.r.svc.now().Unix()
	actx, cancel := context.WithTimeout(ctx, w.r.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, w.sub.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("invalid subscription url")
	}
	// The header map is filled directly under the canonical names, which
	// Set would work out again for every message.
	req.Header = http.Header{
		"Content-Type":     {"application/json"},
		canonicalID:        {id},
		canonicalTimestamp: {strconv.FormatInt(ts, 10)},
		canonicalSignature: {sign(w.key, id, ts, body)},
	}
	resp, err := w.r.cfg.Client.Do(req)
	if err != nil {
		var ne net.Error
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
			return errors.New("timeout")
		default:
			return errors.New("connection failed")
		}
	}
	// Drain a little of the body so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

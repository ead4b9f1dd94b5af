package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

// kindWebhook is the Directory kind of webhook subscriptions; their Parent
// is the agency.
const kindWebhook = "webhook"

// Subscription is an agency's webhook: the life events of its grant for
// Purpose, filtered to that grant's fields, POSTed to URL and signed with
// Secret per Standard Webhooks.
type Subscription struct {
	ID      string `json:"id"`
	Agency  string `json:"agency"`
	Purpose string `json:"purpose" doc:"The purpose code of the grant the deliveries are made under."`
	URL     string `json:"url" doc:"Where messages are POSTed (http or https)."`
	// Secret is the signing secret, "whsec_" and base64. It is shown once,
	// in the answer that creates the subscription.
	Secret     string          `json:"secret,omitempty"`
	EventTypes []string        `json:"event_types" doc:"Life-event types to deliver; a subset of the grant's."`
	Status     exchange.Status `json:"status" enum:"active,disabled"`
	CreatedAt  time.Time       `json:"created_at"`
	Version    int64           `json:"version"`
}

// consumer is the subscription's name in the store's delivery state.
func (s *Subscription) consumer() string { return "webhook:" + s.ID }

// ErrInvalid wraps every validation failure of a subscription.
var ErrInvalid = errors.New("feed: invalid")

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// validate checks a subscription against its agency's grant: the event
// types must be ones the grant allows, so that a subscription never asks
// for more than the grant; delivery checks the grant again every time.
func (s *Subscription) validate(g *exchange.Grant) error {
	var errs []error
	if !idPattern.MatchString(s.ID) {
		errs = append(errs, fmt.Errorf("%w: id must be 1-63 lower-case letters, digits, '.', '_' or '-'", ErrInvalid))
	}
	u, err := url.Parse(s.URL)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s.URL) > 2000:
		errs = append(errs, fmt.Errorf("%w: url must be an absolute https URL", ErrInvalid))
	case u.Scheme == "http" && !loopback(u.Hostname()):
		// Deliveries carry personal data: plain http only to a receiver on
		// this machine (a local relay or a test).
		errs = append(errs, fmt.Errorf("%w: url must use https (http only for a loopback receiver)", ErrInvalid))
	}
	if g == nil {
		errs = append(errs, fmt.Errorf("%w: the agency holds no active grant for the purpose", ErrInvalid))
	} else {
		if len(s.EventTypes) == 0 {
			errs = append(errs, fmt.Errorf("%w: event_types must name at least one life-event type", ErrInvalid))
		}
		for _, t := range s.EventTypes {
			if !slices.Contains(g.EventTypes, t) {
				errs = append(errs, fmt.Errorf("%w: event_types: %q is not granted to the agency for this purpose", ErrInvalid, t))
			}
		}
	}
	return errors.Join(errs...)
}

// activeGrant returns the agency's active grant for the purpose, or nil.
func activeGrant(grants []exchange.Grant, agency, purpose string) *exchange.Grant {
	d := exchange.Evaluate(grants, exchange.Request{Agency: agency, Purpose: purpose})
	if !d.Allow {
		return nil
	}
	return d.Grant
}

// AddSubscription creates a webhook subscription with a fresh secret and
// returns it, secret included (the only time it is shown).
func (s *Service) AddSubscription(ctx context.Context, sub Subscription) (*Subscription, error) {
	if _, err := s.ex.Agency(ctx, sub.Agency); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: no such agency", ErrInvalid)
		}
		return nil, err
	}
	grants, err := s.ex.Grants(ctx, sub.Agency)
	if err != nil {
		return nil, err
	}
	slices.Sort(sub.EventTypes)
	sub.EventTypes = slices.Compact(sub.EventTypes)
	if err := sub.validate(activeGrant(grants, sub.Agency, sub.Purpose)); err != nil {
		return nil, err
	}
	sub.Secret = NewSecret()
	sub.Status = exchange.Active
	sub.CreatedAt = s.now().UTC()
	sub.Version = 1
	data, err := json.Marshal(sub)
	if err != nil {
		return nil, err
	}
	if err := s.st.PutDirRecord(ctx, store.DirRecord{Kind: kindWebhook, ID: sub.ID, Parent: sub.Agency, Version: 1, Data: data}); err != nil {
		return nil, err
	}
	return &sub, nil
}

// subscription reads one subscription, secret included.
func (s *Service) subscription(ctx context.Context, id string) (*Subscription, error) {
	r, err := s.st.DirRecord(ctx, kindWebhook, id)
	if err != nil {
		return nil, err
	}
	var sub Subscription
	if err := json.Unmarshal(r.Data, &sub); err != nil {
		return nil, fmt.Errorf("feed: subscription record: %w", err)
	}
	sub.Version = r.Version
	return &sub, nil
}

// subscriptions lists every subscription (of one agency if agency is not
// empty), secrets included.
func (s *Service) subscriptions(ctx context.Context, agency string) ([]Subscription, error) {
	rs, err := s.st.DirRecords(ctx, kindWebhook, agency)
	if err != nil {
		return nil, err
	}
	out := make([]Subscription, 0, len(rs))
	for _, r := range rs {
		var sub Subscription
		if err := json.Unmarshal(r.Data, &sub); err != nil {
			return nil, fmt.Errorf("feed: subscription record: %w", err)
		}
		sub.Version = r.Version
		out = append(out, sub)
	}
	return out, nil
}

// Subscriptions lists the subscriptions (of one agency if agency is not
// empty) without their secrets.
func (s *Service) Subscriptions(ctx context.Context, agency string) ([]Subscription, error) {
	subs, err := s.subscriptions(ctx, agency)
	for i := range subs {
		subs[i].Secret = ""
	}
	return subs, err
}

// SetSubscriptionStatus enables or disables a subscription. A disabled
// subscription keeps its cursor: enabled again, it resumes where it stopped.
func (s *Service) SetSubscriptionStatus(ctx context.Context, id string, st exchange.Status) (*Subscription, error) {
	if st != exchange.Active && st != exchange.Disabled {
		return nil, fmt.Errorf("%w: status must be active or disabled", ErrInvalid)
	}
	sub, err := s.subscription(ctx, id)
	if err != nil {
		return nil, err
	}
	sub.Status = st
	sub.Version++
	data, err := json.Marshal(sub)
	if err != nil {
		return nil, err
	}
	if err := s.st.PutDirRecord(ctx, store.DirRecord{Kind: kindWebhook, ID: sub.ID, Parent: sub.Agency, Version: sub.Version, Data: data}); err != nil {
		return nil, err
	}
	sub.Secret = ""
	return sub, nil
}

// DeadLetters lists a subscription's dead-lettered messages after seq.
func (s *Service) DeadLetters(ctx context.Context, id string, afterSeq int64, limit int) ([]store.DeadLetter, error) {
	sub, err := s.subscription(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.st.DeadLetters(ctx, sub.consumer(), afterSeq, limit)
}

// Redeliver moves a dead-lettered message back to the subscription's
// retry queue, due now with a fresh retry window. The relay reads the
// retry queue from the store on every pass, so the relay of whichever
// process runs it picks the message up.
func (s *Service) Redeliver(ctx context.Context, id string, seq int64) error {
	sub, err := s.subscription(ctx, id)
	if err != nil {
		return err
	}
	return s.st.RedeliverDeadLetter(ctx, sub.consumer(), seq, s.now())
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Store is what the exchange keeps in the store: its documents and
// single-use assertion ids in the Directory, its signing key in Settings.
type Store interface {
	store.Directory
	store.Settings
}

// Config configures a Service.
type Config struct {
	// Issuer is the public base URL of the dancu API, such as
	// https://dancu.example.gov.vn, without a trailing slash. Client
	// assertions must name Issuer + TokenPath as their audience, and access
	// tokens carry it as issuer and audience.
	Issuer string
	// TokenTTL is the lifetime of access tokens; 0 means DefaultTokenTTL.
	TokenTTL time.Duration
}

// Token endpoint paths and lifetimes.
const (
	TokenPath       = "/v1/oauth/token"
	JWKSPath        = "/v1/oauth/jwks"
	DefaultTokenTTL = 5 * time.Minute
	// MaxAssertionTTL bounds how far ahead a client assertion's exp may be:
	// the jti must be remembered until then, and a short window keeps a
	// stolen assertion nearly worthless.
	MaxAssertionTTL = 5 * time.Minute
	// clockSkew is the tolerance for the clocks of clients.
	clockSkew = 30 * time.Second
)

// Service is the exchange: directory management, token issuing and
// verification, and policy-filtered lookups. It is safe for concurrent use
// and keeps no state that another process would need to see.
type Service struct {
	st     Store
	reg    *registry.Registry
	rec    audit.Recorder
	log    *slog.Logger
	issuer string
	ttl    time.Duration
	now    func() time.Time

	signer    jose.Signer
	publicKey jose.JSONWebKey
	tokens    tokenCache
}

// Option changes a Service.
type Option func(*Service)

// WithClock makes the service read the time from now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns the exchange over st. reg and rec may be nil for a service
// that only manages the directory (the CLI); lookups then fail.
func New(ctx context.Context, st Store, reg *registry.Registry, rec audit.Recorder, log *slog.Logger, cfg Config, opts ...Option) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		st: st, reg: reg, rec: rec, log: log,
		issuer: strings.TrimRight(cfg.Issuer, "/"),
		ttl:    cfg.TokenTTL,
		now:    time.Now,
	}
	if s.ttl <= 0 {
		s.ttl = DefaultTokenTTL
	}
	for _, o := range opts {
		o(s)
	}
	if s.issuer == "" {
		return nil, errors.New("exchange: Config.Issuer is required")
	}
	if err := s.loadSigningKey(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// TokenEndpoint is the URL client assertions must name as audience.
func (s *Service) TokenEndpoint() string { return s.issuer + TokenPath }

// getDoc reads a directory document into v and returns its version.
func (s *Service) getDoc(ctx context.Context, kind, id string, v any) (int64, error) {
	r, err := s.st.DirRecord(ctx, kind, id)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		return 0, fmt.Errorf("exchange: %s %s: stored document: %w", kind, id, err)
	}
	return r.Version, nil
}

// putDoc writes a document as version (1 to create).
func (s *Service) putDoc(ctx context.Context, kind, id, parent string, version int64, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.st.PutDirRecord(ctx, store.DirRecord{Kind: kind, ID: id, Parent: parent, Version: version, Data: b})
}

// update reads, changes and writes a document, again from the read if
// another writer got there first.
func update[T any](ctx context.Context, s *Service, kind, id, parent string, fn func(*T) error) (*T, error) {
	for attempt := 0; ; attempt++ {
		var v T
		ver, err := s.getDoc(ctx, kind, id, &v)
		if err != nil {
			return nil, err
		}
		if err := fn(&v); err != nil {
			return nil, err
		}
		err = s.putDoc(ctx, kind, id, parent, ver+1, &v)
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		if sv, ok := any(&v).(versioned); ok {
			sv.setVersion(ver + 1)
		}
		return &v, nil
	}
}

// versioned documents carry the store's version number, which is not part
// of the stored JSON (the store keeps it) but is shown to administrators.
type versioned interface{ setVersion(int64) }

func (a *Agency) setVersion(v int64) { a.Version = v }
func (c *Client) setVersion(v int64) { c.Version = v }
func (g *Grant) setVersion(v int64)  { g.Version = v }

// AddAgency registers an agency. The id must be new (store.ErrExists).
func (s *Service) AddAgency(ctx context.Context, a Agency) (*Agency, error) {
	if a.Status == "" {
		a.Status = Active
	}
	a.CreatedAt = s.now().UTC().Truncate(time.Second)
	a.Version = 0
	if err := a.validate(); err != nil {
		return nil, err
	}
	if err := s.putDoc(ctx, kindAgency, a.ID, "", 1, &a); err != nil {
		return nil, err
	}
	a.Version = 1
	return &a, nil
}

// Agency returns an agency, or store.ErrNotFound.
func (s *Service) Agency(ctx context.Context, id string) (*Agency, error) {
	var a Agency
	v, err := s.getDoc(ctx, kindAgency, id, &a)
	if err != nil {
		return nil, err
	}
	a.Version = v
	return &a, nil
}

// Agencies lists every agency by id.
func (s *Service) Agencies(ctx context.Context) ([]Agency, error) {
	return list[Agency](ctx, s, kindAgency, "", func(a *Agency, v int64) { a.Version = v })
}

// SetAgencyStatus enables or disables an agency; a disabled agency's
// clients are refused at once.
func (s *Service) SetAgencyStatus(ctx context.Context, id string, st Status) (*Agency, error) {
	if st != Active && st != Disabled {
		return nil, invalidf("status must be active or disabled")
	}
	return update(ctx, s, kindAgency, id, "", func(a *Agency) error { a.Status = st; return nil })
}

func list[T any](ctx context.Context, s *Service, kind, parent string, setVersion func(*T, int64)) ([]T, error) {
	rs, err := s.st.DirRecords(ctx, kind, parent)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(rs))
	for i, r := range rs {
		if err := json.Unmarshal(r.Data, &out[i]); err != nil {
			return nil, fmt.Errorf("exchange: %s %s: stored document: %w", kind, r.ID, err)
		}
		setVersion(&out[i], r.Version)
	}
	return out, nil
}

// AddClient registers an API client of an existing agency.
func (s *Service) AddClient(ctx context.Context, c Client) (*Client, error) {
	if c.Status == "" {
		c.Status = Active
	}
	c.CreatedAt = s.now().UTC().Truncate(time.Second)
	c.Version = 0
	if err := c.validate(); err != nil {
		return nil, err
	}
	if _, err := s.Agency(ctx, c.Agency); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalidf("agency %q does not exist", c.Agency)
		}
		return nil, err
	}
	if err := s.putDoc(ctx, kindClient, c.ID, c.Agency, 1, &c); err != nil {
		return nil, err
	}
	c.Version = 1
	return &c, nil
}

// Client returns a client, or store.ErrNotFound.
func (s *Service) Client(ctx context.Context, id string) (*Client, error) {
	var c Client
	v, err := s.getDoc(ctx, kindClient, id, &c)
	if err != nil {
		return nil, err
	}
	c.Version = v
	return &c, nil
}

// Clients lists the clients of an agency, or of every agency when agency
// is "", by client id.
func (s *Service) Clients(ctx context.Context, agency string) ([]Client, error) {
	return list[Client](ctx, s, kindClient, agency, func(c *Client, v int64) { c.Version = v })
}

// SetClientStatus enables or disables a client. Its access tokens are
// checked against this on every use, so disabling takes effect at once.
func (s *Service) SetClientStatus(ctx context.Context, id string, st Status) (*Client, error) {
	if st != Active && st != Disabled {
		return nil, invalidf("status must be active or disabled")
	}
	c, err := s.Client(ctx, id)
	if err != nil {
		return nil, err
	}
	return update(ctx, s, kindClient, id, c.Agency, func(c *Client) error { c.Status = st; return nil })
}

// SetClientKeys replaces a client's JWKS. To roll a key over without
// downtime, publish the old and new keys together, move the client to the
// new kid, then publish the new key alone.
func (s *Service) SetClientKeys(ctx context.Context, id string, keys JSONWebKeySet) (*Client, error) {
	if err := keys.validate(); err != nil {
		return nil, err
	}
	c, err := s.Client(ctx, id)
	if err != nil {
		return nil, err
	}
	return update(ctx, s, kindClient, id, c.Agency, func(c *Client) error { c.JWKS = keys; return nil })
}

// SetGrant creates or replaces the grant of an agency for a purpose.
func (s *Service) SetGrant(ctx context.Context, g Grant) (*Grant, error) {
	if g.Status == "" {
		g.Status = Active
	}
	g.UpdatedAt = s.now().UTC().Truncate(time.Second)
	g.Version = 0
	if err := g.validate(); err != nil {
		return nil, err
	}
	if _, err := s.Agency(ctx, g.Agency); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalidf("agency %q does not exist", g.Agency)
		}
		return nil, err
	}
	id := grantID(g.Agency, g.Purpose)
	err := s.putDoc(ctx, kindGrant, id, g.Agency, 1, &g)
	if errors.Is(err, store.ErrExists) {
		want := g
		return update(ctx, s, kindGrant, id, g.Agency, func(cur *Grant) error { *cur = want; return nil })
	}
	if err != nil {
		return nil, err
	}
	g.Version = 1
	return &g, nil
}

// Grants lists the grants of an agency by purpose.
func (s *Service) Grants(ctx context.Context, agency string) ([]Grant, error) {
	if agency == "" {
		return nil, invalidf("agency is required")
	}
	return list[Grant](ctx, s, kindGrant, agency, func(g *Grant, v int64) { g.Version = v })
}

// Grant returns the active grant of an agency for a purpose, or
// store.ErrNotFound when there is none (a disabled grant counts as none).
// Other packages that decide on grants (demographic verification) use it.
func (s *Service) Grant(ctx context.Context, agency, purpose string) (*Grant, error) {
	var g Grant
	v, err := s.getDoc(ctx, kindGrant, grantID(agency, purpose), &g)
	if err != nil {
		return nil, err
	}
	if g.Status != Active || g.Agency != agency {
		return nil, fmt.Errorf("exchange: grant: %w", store.ErrNotFound)
	}
	g.Version = v
	return &g, nil
}

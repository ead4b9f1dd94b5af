package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

// rpKind is the directory kind of relying-party registrations.
const rpKind = "oidc-rp"

// Client authentication methods a relying party may register.
const (
	AuthPrivateKeyJWT     = "private_key_jwt"
	AuthClientSecretBasic = "client_secret_basic"
)

// Subject types (OpenID Connect Core §8).
const (
	SubjectPairwise = "pairwise"
	SubjectPublic   = "public"
)

// Registration states.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// ErrInvalid is wrapped by every error about a registration's content; its
// text names the field and the reason.
var ErrInvalid = errors.New("invalid")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// RP is a relying party's registration.
type RP struct {
	ID                     string   `json:"client_id"`
	Name                   string   `json:"name"`    // shown on the consent page
	Purpose                string   `json:"purpose"` // shown on the consent page
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	AuthMethod             string   `json:"auth_method"`
	// JWKS holds the public keys of a private_key_jwt client, as submitted.
	JWKS []json.RawMessage `json:"jwks,omitempty"`
	// SecretHash is the SHA-256 of a client_secret_basic client's secret.
	// The secret is 256 random bits that dancu generated, so a fast hash
	// is enough: there is nothing to guess from.
	SecretHash    string    `json:"secret_hash,omitempty"`
	Scopes        []string  `json:"scopes"`         // the scopes it may ask for
	RequiredLevel int       `json:"required_level"` // 1 or 2
	SubjectType   string    `json:"subject_type"`   // pairwise (default) or public
	Sector        string    `json:"sector"`         // the pairwise sector: a host name
	Status        string    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
	Version       int64     `json:"-"`
}

// RPInput is what an administrator registers. Zero values take defaults:
// level 1, pairwise subjects, the sector of the first redirect URI's host.
type RPInput struct {
	ID                     string
	Name                   string
	Purpose                string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	AuthMethod             string
	JWKS                   []byte // private_key_jwt: a JWK Set (or one JWK)
	Scopes                 []string
	RequiredLevel          int
	SubjectType            string
	Sector                 string
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// AddRP registers a relying party. For client_secret_basic it returns the
// generated secret, which is shown once and stored only as a hash.
func (p *Provider) AddRP(ctx context.Context, in RPInput) (*RP, string, error) {
	rp := &RP{
		ID: in.ID, Name: strings.TrimSpace(in.Name), Purpose: strings.TrimSpace(in.Purpose),
		RedirectURIs: in.RedirectURIs, PostLogoutRedirectURIs: in.PostLogoutRedirectURIs,
		AuthMethod: in.AuthMethod, Scopes: normalizeScopes(in.Scopes), RequiredLevel: in.RequiredLevel,
		SubjectType: in.SubjectType, Sector: in.Sector, Status: StatusActive, CreatedAt: p.now().UTC(),
	}
	if rp.RequiredLevel == 0 {
		rp.RequiredLevel = 1
	}
	if rp.SubjectType == "" {
		rp.SubjectType = SubjectPairwise
	}
	if rp.Sector == "" && len(rp.RedirectURIs) > 0 {
		if u, err := url.Parse(rp.RedirectURIs[0]); err == nil {
			rp.Sector = u.Hostname()
		}
	}
	var secret string
	switch rp.AuthMethod {
	case AuthPrivateKeyJWT:
		set, err := exchange.ParseJWKS(in.JWKS)
		if err != nil {
			return nil, "", invalidf("%s", strings.TrimPrefix(err.Error(), exchange.ErrInvalid.Error()+": "))
		}
		rp.JWKS = set.Keys
	case AuthClientSecretBasic:
		if len(in.JWKS) > 0 {
			return nil, "", invalidf("jwks: only for %s clients", AuthPrivateKeyJWT)
		}
		secret = rand.Text() + rand.Text()
		rp.SecretHash = hashSecret(secret)
	}
	if err := p.validateRP(ctx, rp); err != nil {
		return nil, "", err
	}
	b, err := json.Marshal(rp)
	if err != nil {
		return nil, "", err
	}
	err = p.st.PutDirRecord(ctx, store.DirRecord{Kind: rpKind, ID: rp.ID, Version: 1, Data: b})
	if errors.Is(err, store.ErrExists) {
		return nil, "", invalidf("client_id: %q is taken", rp.ID)
	}
	if err != nil {
		return nil, "", err
	}
	rp.Version = 1
	return rp, secret, nil
}

// validateRP reports every problem of a registration at once.
func (p *Provider) validateRP(ctx context.Context, rp *RP) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, invalidf(format, args...)) }
	if !idPattern.MatchString(rp.ID) {
		bad("client_id: 3 to 64 characters: lower-case letters, digits, '.', '_', '-'")
	}
	if rp.Name == "" || len(rp.Name) > 200 {
		bad("name: required, at most 200 characters")
	}
	if rp.Purpose == "" || len(rp.Purpose) > 1000 {
		bad("purpose: required, at most 1000 characters")
	}
	if len(rp.RedirectURIs) == 0 || len(rp.RedirectURIs) > 10 {
		bad("redirect_uris: from 1 to 10 are required")
	}
	for i, u := range rp.RedirectURIs {
		if reason := checkRedirectURI(u); reason != "" {
			bad("redirect_uris[%d]: %s", i, reason)
		}
	}
	if len(rp.PostLogoutRedirectURIs) > 10 {
		bad("post_logout_redirect_uris: at most 10")
	}
	for i, u := range rp.PostLogoutRedirectURIs {
		if reason := checkRedirectURI(u); reason != "" {
			bad("post_logout_redirect_uris[%d]: %s", i, reason)
		}
	}
	if rp.AuthMethod != AuthPrivateKeyJWT && rp.AuthMethod != AuthClientSecretBasic {
		bad("auth_method: must be %s or %s", AuthPrivateKeyJWT, AuthClientSecretBasic)
	}
	if !slices.Contains(rp.Scopes, "openid") {
		bad("scopes: must include openid")
	}
	for _, s := range rp.Scopes {
		if err := p.checkScope(ctx, s); err != nil {
			bad("scopes: %v", err)
		}
	}
	if rp.RequiredLevel != 1 && rp.RequiredLevel != 2 {
		bad("required_level: must be 1 or 2")
	}
	if rp.SubjectType != SubjectPairwise && rp.SubjectType != SubjectPublic {
		bad("subject_type: must be %s or %s", SubjectPairwise, SubjectPublic)
	}
	if rp.Sector == "" || strings.ContainsAny(rp.Sector, "/:?# ") {
		bad("sector: a host name is required")
	}
	return errors.Join(errs...)
}

// checkRedirectURI returns why u cannot be a redirect URI, or "".
func checkRedirectURI(u string) string {
	if len(u) > 2000 {
		return "longer than 2000 characters"
	}
	pu, err := url.Parse(u)
	if err != nil || !pu.IsAbs() || pu.Host == "" {
		return "not an absolute URL"
	}
	if pu.Fragment != "" || strings.Contains(u, "#") {
		return "must not have a fragment"
	}
	if pu.User != nil {
		return "must not carry credentials"
	}
	switch pu.Scheme {
	case "https":
	case "http":
		host := pu.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "must be https (http only on loopback)"
		}
	default:
		return "must be https"
	}
	return ""
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// checkSecret compares in constant time.
func (rp *RP) checkSecret(secret string) bool {
	if rp.SecretHash == "" || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(rp.SecretHash)) == 1
}

// publicKey returns the client's key with a kid (any key when kid is
// empty and the client has exactly one).
func (rp *RP) publicKey(kid string) (*jose.JSONWebKey, bool) {
	if kid == "" && len(rp.JWKS) != 1 {
		return nil, false
	}
	for _, raw := range rp.JWKS {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if kid == "" || k.KeyID == kid {
			return &k, true
		}
	}
	return nil, false
}

// rpCacheFor is how long a process reuses a registration it read. A change
// made by another process (disabling a party, new keys) takes effect
// within it; its tokens are revoked in the store at once regardless.
const rpCacheFor = 2 * time.Second

type cachedRP struct {
	rp    *RP
	until time.Time
}

// RP returns a registration, or an error wrapping store.ErrNotFound.
func (p *Provider) RP(ctx context.Context, id string) (*RP, error) {
	if !idPattern.MatchString(id) {
		return nil, fmt.Errorf("oidc: relying party: %w", store.ErrNotFound)
	}
	now := time.Now()
	p.rpMu.Lock()
	c, ok := p.rpCache[id]
	p.rpMu.Unlock()
	if ok && now.Before(c.until) {
		return c.rp, nil
	}
	rec, err := p.st.DirRecord(ctx, rpKind, id)
	if err != nil {
		return nil, err
	}
	rp, err := decodeRP(rec)
	if err != nil {
		return nil, err
	}
	p.rpMu.Lock()
	if p.rpCache == nil || len(p.rpCache) > 10_000 {
		p.rpCache = map[string]cachedRP{}
	}
	p.rpCache[id] = cachedRP{rp: rp, until: now.Add(rpCacheFor)}
	p.rpMu.Unlock()
	return rp, nil
}

// forget drops a registration from this process's cache after a change.
func (p *Provider) forget(id string) {
	p.rpMu.Lock()
	delete(p.rpCache, id)
	p.rpMu.Unlock()
}

func decodeRP(rec store.DirRecord) (*RP, error) {
	var rp RP
	if err := json.Unmarshal(rec.Data, &rp); err != nil {
		return nil, fmt.Errorf("oidc: relying party %s: stored document: %w", rec.ID, err)
	}
	rp.Version = rec.Version
	return &rp, nil
}

// RPs lists every registration, ordered by client_id.
func (p *Provider) RPs(ctx context.Context) ([]*RP, error) {
	recs, err := p.st.DirRecords(ctx, rpKind, "")
	if err != nil {
		return nil, err
	}
	out := make([]*RP, 0, len(recs))
	for _, rec := range recs {
		rp, err := decodeRP(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, rp)
	}
	return out, nil
}

// updateRP applies fn to the current registration and stores the result.
func (p *Provider) updateRP(ctx context.Context, id string, fn func(rp *RP) error) (*RP, error) {
	if !idPattern.MatchString(id) {
		return nil, fmt.Errorf("oidc: relying party: %w", store.ErrNotFound)
	}
	for range 5 {
		// Read past the cache: fn changes the copy it is given.
		rec, err := p.st.DirRecord(ctx, rpKind, id)
		if err != nil {
			return nil, err
		}
		rp, err := decodeRP(rec)
		if err != nil {
			return nil, err
		}
		if err := fn(rp); err != nil {
			return nil, err
		}
		b, err := json.Marshal(rp)
		if err != nil {
			return nil, err
		}
		err = p.st.PutDirRecord(ctx, store.DirRecord{Kind: rpKind, ID: id, Version: rp.Version + 1, Data: b})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		p.forget(id)
		rp.Version++
		return rp, nil
	}
	return nil, fmt.Errorf("oidc: relying party %s: %w", id, store.ErrConflict)
}

// SetRPStatus enables or disables a relying party. Disabling revokes every
// token issued to it: a disabled party reads nothing more.
func (p *Provider) SetRPStatus(ctx context.Context, id, status string) (*RP, error) {
	if status != StatusActive && status != StatusDisabled {
		return nil, invalidf("status: must be %s or %s", StatusActive, StatusDisabled)
	}
	rp, err := p.updateRP(ctx, id, func(rp *RP) error { rp.Status = status; return nil })
	if err != nil {
		return nil, err
	}
	if status == StatusDisabled {
		if _, err := p.revokeTokens(ctx, store.OIDCTokenQuery{ClientID: id}); err != nil {
			return nil, err
		}
	}
	return rp, nil
}

// SetRPKeys replaces a private_key_jwt client's public keys (a rollover).
func (p *Provider) SetRPKeys(ctx context.Context, id string, jwks []byte) (*RP, error) {
	set, err := exchange.ParseJWKS(jwks)
	if err != nil {
		return nil, invalidf("%s", strings.TrimPrefix(err.Error(), exchange.ErrInvalid.Error()+": "))
	}
	return p.updateRP(ctx, id, func(rp *RP) error {
		if rp.AuthMethod != AuthPrivateKeyJWT {
			return invalidf("jwks: the client authenticates with %s", rp.AuthMethod)
		}
		rp.JWKS = set.Keys
		return nil
	})
}

// RotateRPSecret gives a client_secret_basic client a new secret, returned
// once; the old one stops working at once.
func (p *Provider) RotateRPSecret(ctx context.Context, id string) (string, error) {
	secret := rand.Text() + rand.Text()
	_, err := p.updateRP(ctx, id, func(rp *RP) error {
		if rp.AuthMethod != AuthClientSecretBasic {
			return invalidf("secret: the client authenticates with %s", rp.AuthMethod)
		}
		rp.SecretHash = hashSecret(secret)
		return nil
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// NewRegistrar returns a Provider that only manages registrations, for the
// command line: it serves nothing and issues nothing.
func NewRegistrar(st Store) *Provider { return &Provider{st: st, now: time.Now} }

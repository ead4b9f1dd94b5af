package oidc

import (
	"context"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dancu/dancu/internal/store"
)

// tokenCacheFor is how long a process answers userinfo and introspection
// from an access token it read, without reading it again. It bounds how
// late a revocation made by another process takes effect here (the same
// bound as a registration's, rpCacheFor); a revocation made by this process
// takes effect at once. Relying parties that poll userinfo or introspect on
// every call of their own API present the same token many times a second,
// and each read of the token row was a seventh of userinfo's cost.
const tokenCacheFor = 2 * time.Second

// maxCached bounds each cache (a burst of distinct tokens costs reads,
// never memory).
const maxCached = 20_000

// makeRoom keeps a cache under maxCached entries: a full cache first drops
// what has expired, and is emptied if that is not enough.
func makeRoom[V any](m map[string]V, expired func(V) bool) {
	if len(m) < maxCached {
		return
	}
	for k, v := range m {
		if expired(v) {
			delete(m, k)
		}
	}
	if len(m) >= maxCached {
		clear(m)
	}
}

// tokenCache holds access tokens read from the store, by token id.
type tokenCache struct {
	mu sync.Mutex
	// gen counts this process's revocations. A reader that started before
	// a revocation does not put what it read into the cache: it may have
	// read the token just before it was revoked.
	gen uint64
	m   map[string]cachedToken
}

type cachedToken struct {
	tok  store.OIDCToken
	data tokenData
	// claims are what userinfo released for the token, read from the
	// registry after the token; they expire with the entry.
	claims map[string]any
	until  time.Time
}

// generation is read before a token is read from the store.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *tokenCache) get(id string, now time.Time) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[id]
	if !ok || !now.Before(t.until) {
		return cachedToken{}, false
	}
	return t, true
}

// put keeps a token read while the generation was gen, unless a revocation
// happened since.
func (c *tokenCache) put(gen uint64, t store.OIDCToken, d tokenData, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[string]cachedToken{}
	}
	makeRoom(c.m, func(e cachedToken) bool { return !now.Before(e.until) })
	c.m[t.ID] = cachedToken{tok: t, data: d, until: now.Add(tokenCacheFor)}
}

// keepClaims attaches the claims userinfo built to a cached token, so that
// the token's next calls within tokenCacheFor answer without reading the
// registry again. They expire with the token's entry: a registry change
// made while they are kept reaches userinfo within tokenCacheFor, as a
// revocation does.
func (c *tokenCache) keepClaims(id string, claims map[string]any, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.m[id]; ok && now.Before(t.until) {
		t.claims = claims
		c.m[id] = t
	}
}

// revoked forgets every cached token. Revocations are rare (a consent
// withdrawn, a party disabled, a replay, a logout), so forgetting all is
// simpler than finding which tokens a query matched, and as safe.
func (c *tokenCache) revoked() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// revokeTokens revokes in the store, then forgets this process's cached
// tokens (after the store's commit, so that no reader caches a token
// between the two).
func (p *Provider) revokeTokens(ctx context.Context, q store.OIDCTokenQuery) (int64, error) {
	n, err := p.st.RevokeOIDCTokens(ctx, q)
	p.tokens.revoked()
	return n, err
}

// decryptCache remembers what access tokens decrypt to. The library
// encrypts "token id:subject" into each access token (a JWE, A256GCMKW)
// and decrypts it on every userinfo and introspection call; the result
// never changes, so a token presented again skips the AES work and the
// JWE parsing. Whether the token is still valid is decided after, from the
// store (or tokenCache).
type decryptCache struct {
	inner op.Crypto
	ttl   time.Duration // how long an access token lives: longer is useless
	now   func() time.Time

	mu sync.Mutex
	m  map[string]decrypted
}

type decrypted struct {
	plain string
	until time.Time
}

var _ op.Crypto = (*decryptCache)(nil)

// Encrypt encrypts, and remembers the token so that its first use in this
// process is not decrypted either.
func (c *decryptCache) Encrypt(s string) (string, error) {
	enc, err := c.inner.Encrypt(s)
	if err == nil {
		c.remember(enc, s)
	}
	return enc, err
}

// Decrypt answers from memory when it can. Failures are not remembered:
// garbage costs its parse every time, and never memory.
func (c *decryptCache) Decrypt(s string) (string, error) {
	now := c.now()
	c.mu.Lock()
	d, ok := c.m[s]
	c.mu.Unlock()
	if ok && now.Before(d.until) {
		return d.plain, nil
	}
	plain, err := c.inner.Decrypt(s)
	if err == nil {
		c.remember(s, plain)
	}
	return plain, err
}

func (c *decryptCache) remember(enc, plain string) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]decrypted{}
	}
	makeRoom(c.m, func(d decrypted) bool { return !now.Before(d.until) })
	c.m[enc] = decrypted{plain: plain, until: now.Add(c.ttl)}
}

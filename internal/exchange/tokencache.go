package exchange

import (
	"sync"
	"time"
)

// maxCachedTokens bounds the verified-token cache: a few thousand clients
// with a token each, a few hundred bytes a token.
const maxCachedTokens = 20_000

// tokenClaims are what the lookup path needs from a verified access token.
type tokenClaims struct {
	Subject string
	Agency  string
	Expiry  time.Time
}

// tokenCache remembers access tokens whose signature and claims were
// verified, until they expire. A signature check costs more than the rest
// of a lookup, and a client sends the same token for minutes; the cache
// skips only that check (keyed by the exact token text, so nothing else
// can hit it). The client's and agency's status are still read on every
// use, so disabling works at once.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]tokenClaims
}

func (c *tokenCache) get(token string, now time.Time) (tokenClaims, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tc, ok := c.m[token]
	if !ok || !now.Before(tc.Expiry) {
		return tokenClaims{}, false
	}
	return tc, true
}

func (c *tokenCache) put(token string, tc tokenClaims, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]tokenClaims)
	}
	if len(c.m) >= maxCachedTokens {
		for k, v := range c.m {
			if !now.Before(v.Expiry) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCachedTokens {
			clear(c.m) // all live: start over rather than track recency
		}
	}
	c.m[token] = tc
}

package oidc

import (
	"strconv"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dancu/dancu/internal/store"
)

// A token read before a revocation is not cached after it: it may have
// been read just before it was revoked.
func TestTokenCache_RevocationDuringRead(t *testing.T) {
	var c tokenCache
	now := time.Now()
	gen := c.generation()
	c.revoked() // another request revokes while this one reads the store
	c.put(gen, store.OIDCToken{ID: "t1"}, tokenData{}, now)
	if _, ok := c.get("t1", now); ok {
		t.Error("a token read before a revocation was cached")
	}
	c.put(c.generation(), store.OIDCToken{ID: "t1"}, tokenData{}, now)
	if _, ok := c.get("t1", now.Add(tokenCacheFor-time.Millisecond)); !ok {
		t.Error("a token read after the revocation was not cached")
	}
	if _, ok := c.get("t1", now.Add(tokenCacheFor)); ok {
		t.Error("a token was answered from the cache after tokenCacheFor")
	}
}

// The caches stay bounded however many distinct tokens arrive.
func TestTokenCache_Bounded(t *testing.T) {
	var c tokenCache
	now := time.Now()
	for i := range 3 * maxCached {
		c.put(c.generation(), store.OIDCToken{ID: strconv.Itoa(i)}, tokenData{}, now)
	}
	if n := len(c.m); n > maxCached {
		t.Errorf("token cache holds %d entries, more than %d", n, maxCached)
	}
	d := &decryptCache{inner: op.NewAES256GCMCrypto([32]byte{1}, "k"), ttl: time.Minute, now: time.Now}
	enc, err := d.Encrypt("id:subject")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 * maxCached {
		d.remember(strconv.Itoa(i), "x")
	}
	if n := len(d.m); n > maxCached {
		t.Errorf("decrypt cache holds %d entries, more than %d", n, maxCached)
	}
	if got, err := d.Decrypt(enc); err != nil || got != "id:subject" {
		t.Errorf("Decrypt after eviction = %q, %v", got, err)
	}
	if _, err := d.Decrypt(enc[:len(enc)-2] + "xx"); err == nil {
		t.Error("a tampered token decrypted")
	}
}

// Claims kept for a token live no longer than its entry, and a revocation
// drops them.
func TestTokenCache_KeepClaims(t *testing.T) {
	var c tokenCache
	now := time.Now()
	c.keepClaims("t1", map[string]any{"name": "x"}, now)
	if _, ok := c.get("t1", now); ok {
		t.Fatal("claims created an entry for a token never read")
	}
	c.put(c.generation(), store.OIDCToken{ID: "t1"}, tokenData{}, now)
	c.keepClaims("t1", map[string]any{"name": "x"}, now.Add(time.Second))
	if e, ok := c.get("t1", now.Add(tokenCacheFor-time.Millisecond)); !ok || e.claims["name"] != "x" {
		t.Errorf("kept claims = %v, %v", e.claims, ok)
	}
	if _, ok := c.get("t1", now.Add(tokenCacheFor)); ok {
		t.Error("claims outlived tokenCacheFor from the token's read")
	}
	c.revoked()
	if _, ok := c.get("t1", now); ok {
		t.Error("claims survived a revocation")
	}
}

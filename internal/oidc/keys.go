package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dancu/dancu/internal/store"
)

// keyRing holds the provider's signing keys. Time is cut into periods of
// one rotation each; the key of a period has the period's number in its id,
// so processes that create it at once agree on one (AddOIDCKey keeps the
// first). The next period's key is created and published ahead, so that
// relying parties have it in their cached key sets before it signs. A key
// stays published for keepAfter past its last signature: the longest a
// token it signed lives.
type keyRing struct {
	st        store.OIDC
	alg       string
	rotation  time.Duration
	keepAfter time.Duration
	now       func() time.Time

	mu        sync.Mutex
	signing   *signingKey
	published []op.Key
	refreshAt time.Time
}

type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any
}

func (k *publicKey) ID() string                         { return k.id }
func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return k.key }

// cacheFor bounds how long a process trusts its view of the keys.
const cacheFor = time.Minute

// current returns the key that signs now, loading and creating keys as
// needed.
func (kr *keyRing) current(ctx context.Context) (*signingKey, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	now := kr.now()
	if kr.signing != nil && now.Before(kr.refreshAt) {
		return kr.signing, nil
	}
	if err := kr.load(ctx, now); err != nil {
		return nil, err
	}
	return kr.signing, nil
}

// keySet returns the published public keys.
func (kr *keyRing) keySet(ctx context.Context) ([]op.Key, error) {
	if _, err := kr.current(ctx); err != nil {
		return nil, err
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return kr.published, nil
}

func (kr *keyRing) period(t time.Time) int64 { return t.UnixNano() / int64(kr.rotation) }

func (kr *keyRing) load(ctx context.Context, now time.Time) error {
	cur := kr.period(now)
	for _, n := range []int64{cur, cur + 1} {
		if err := kr.ensure(ctx, n); err != nil {
			return err
		}
	}
	keys, err := kr.st.OIDCKeys(ctx)
	if err != nil {
		return fmt.Errorf("oidc: signing keys: %w", err)
	}
	var signing *signingKey
	var published []op.Key
	for _, k := range keys {
		if !now.Before(k.PublishUntil) {
			continue
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(k.PrivateJWK); err != nil || jwk.IsPublic() {
			return fmt.Errorf("oidc: signing key %s is not a private JWK", k.ID)
		}
		alg := jose.SignatureAlgorithm(k.Algorithm)
		published = append(published, &publicKey{id: k.ID, alg: alg, key: jwk.Public().Key})
		start := k.SignUntil.Add(-kr.rotation)
		if signing == nil && !now.Before(start) && now.Before(k.SignUntil) && k.Algorithm == kr.alg {
			signing = &signingKey{id: k.ID, alg: alg, key: jwk.Key}
		}
	}
	if signing == nil {
		return errors.New("oidc: no signing key for the current period")
	}
	kr.signing, kr.published = signing, published
	refresh := now.Add(cacheFor)
	if end := time.Unix(0, (cur+1)*int64(kr.rotation)); end.Before(refresh) {
		refresh = end
	}
	kr.refreshAt = refresh
	return nil
}

// ensure creates the key of period n unless it exists.
func (kr *keyRing) ensure(ctx context.Context, n int64) error {
	id := kr.alg + "-" + strconv.FormatInt(n, 10)
	// A cheap look first: keys are created once per period.
	for _, k := range kr.published {
		if k.ID() == id {
			return nil
		}
	}
	var priv any
	var err error
	switch kr.alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return fmt.Errorf("oidc: signing algorithm %q is not supported", kr.alg)
	}
	if err != nil {
		return err
	}
	jwk := jose.JSONWebKey{Key: priv, KeyID: id, Algorithm: kr.alg, Use: "sig"}
	b, err := jwk.MarshalJSON()
	if err != nil {
		return err
	}
	start := time.Unix(0, n*int64(kr.rotation)).UTC()
	end := start.Add(kr.rotation)
	_, err = kr.st.AddOIDCKey(ctx, store.OIDCKey{ID: id, Algorithm: kr.alg, PrivateJWK: b,
		CreatedAt: kr.now().UTC(), SignUntil: end, PublishUntil: end.Add(kr.keepAfter)})
	if err != nil {
		return fmt.Errorf("oidc: create signing key: %w", err)
	}
	return nil
}

package exchange

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"

	"github.com/go-jose/go-jose/v4"
)

// MaxClientKeys bounds a client's JWKS: enough for a rollover with a spare,
// few enough that an assertion is checked against a handful at most.
const MaxClientKeys = 5

// JSONWebKeySet is a client's public keys as submitted (RFC 7517). The keys
// stay in their JSON form so that the document round-trips exactly; they
// are parsed when an assertion is checked.
type JSONWebKeySet struct {
	Keys []json.RawMessage `json:"keys" doc:"Public JWKs (RSA of 2048 bits or more, EC P-256, or Ed25519), each with a unique kid."`
}

// allowedAlgs are the client-assertion signature algorithms accepted. "none"
// and the HMAC family are absent on purpose: a client's secret must never be
// something the server also knows.
var allowedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA}

// parse returns the keys, checking each: public only, a kid, a key type and
// size that the allowed algorithms use.
func (s JSONWebKeySet) parse() ([]jose.JSONWebKey, error) {
	if len(s.Keys) == 0 {
		return nil, invalidf("jwks: at least one key is required")
	}
	if len(s.Keys) > MaxClientKeys {
		return nil, invalidf("jwks: at most %d keys", MaxClientKeys)
	}
	keys := make([]jose.JSONWebKey, 0, len(s.Keys))
	seen := map[string]bool{}
	for i, raw := range s.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			return nil, invalidf("jwks: key %d is not a valid JWK", i)
		}
		if k.KeyID == "" || len(k.KeyID) > 200 {
			return nil, invalidf("jwks: key %d needs a kid", i)
		}
		if seen[k.KeyID] {
			return nil, invalidf("jwks: kid %q appears twice", k.KeyID)
		}
		seen[k.KeyID] = true
		if !k.IsPublic() {
			return nil, invalidf("jwks: key %q is private; submit only the public key", k.KeyID)
		}
		if k.Use != "" && k.Use != "sig" {
			return nil, invalidf("jwks: key %q is not for signatures", k.KeyID)
		}
		switch pk := k.Key.(type) {
		case *rsa.PublicKey:
			if pk.N.BitLen() < 2048 {
				return nil, invalidf("jwks: RSA key %q is shorter than 2048 bits", k.KeyID)
			}
		case *ecdsa.PublicKey:
			if pk.Curve != elliptic.P256() {
				return nil, invalidf("jwks: EC key %q is not on P-256", k.KeyID)
			}
		case ed25519.PublicKey:
		default:
			return nil, invalidf("jwks: key %q has an unsupported type", k.KeyID)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (s JSONWebKeySet) validate() error {
	_, err := s.parse()
	return err
}

// keySetOf builds a JSONWebKeySet from public keys, for the CLI and tests.
func keySetOf(keys ...jose.JSONWebKey) (JSONWebKeySet, error) {
	var s JSONWebKeySet
	for _, k := range keys {
		b, err := k.MarshalJSON()
		if err != nil {
			return s, err
		}
		s.Keys = append(s.Keys, b)
	}
	if len(s.Keys) == 0 {
		return s, errors.New("exchange: no keys")
	}
	return s, nil
}

// ParseJWKS reads a JWK Set (or a single JWK, as key files often hold one)
// and checks it as a client's key set.
func ParseJWKS(b []byte) (JSONWebKeySet, error) {
	var s JSONWebKeySet
	var probe struct {
		Keys json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return s, invalidf("jwks: not JSON")
	}
	if probe.Keys == nil {
		s.Keys = []json.RawMessage{json.RawMessage(b)}
	} else if err := json.Unmarshal(b, &s); err != nil {
		return s, invalidf("jwks: keys must be an array of JWKs")
	}
	return s, s.validate()
}

package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Settings keys this package owns.
const (
	adminTokenKey = "auth.admin_token_sha256"
	sessionKeyKey = "auth.session_hmac_key"
)

// Principal is an authenticated caller.
type Principal struct {
	ID   string `json:"sub"`  // stable identifier, logged instead of personal data
	Kind string `json:"kind"` // "admin" for the bootstrap administrator, "client" for an agency's API client
	// Agency is the connected agency an API client belongs to; "" for
	// everyone else. Policy decisions key on it, never on the client id.
	Agency string `json:"agency,omitempty"`
}

// TokenVerifier checks bearer tokens that another package issues, such as
// the access tokens of agencies' API clients. It answers false for a token
// it does not recognise, so that several verifiers can be tried in turn.
type TokenVerifier interface {
	VerifyBearer(ctx context.Context, token string) (Principal, bool)
}

// KindClient is the Kind of an agency's API client.
const KindClient = "client"

// Admin is the principal of the bootstrap administrator token.
var Admin = Principal{ID: "admin", Kind: "admin"}

// Authenticator verifies credentials. It holds the token hash and session key
// loaded at start, so verification needs no database round trip.
type Authenticator struct {
	adminHash  []byte
	sessionKey []byte
	now        func() time.Time
	// verifiers are consulted, in order, for tokens that are not the admin
	// token. They are added during wiring, before any request is served.
	verifiers []TokenVerifier
}

// Setup prepares the bootstrap administrator token and the session key. If
// envToken is set (DANCU_ADMIN_TOKEN), its hash replaces the stored one.
// Otherwise a token is generated the first time only; generated is then the
// token to print once, and is empty on every later start (only the hash is kept).
func Setup(ctx context.Context, s store.Settings, envToken string) (a *Authenticator, generated string, err error) {
	a = &Authenticator{now: time.Now}
	if envToken != "" {
		if len(envToken) < 16 {
			return nil, "", errors.New("auth: DANCU_ADMIN_TOKEN must be at least 16 characters")
		}
		h := hashToken(envToken)
		if err := s.PutSetting(ctx, adminTokenKey, h); err != nil {
			return nil, "", fmt.Errorf("auth: store admin token hash: %w", err)
		}
		a.adminHash = []byte(h)
	} else {
		token := "dancu_" + randomString(32)
		stored, err := s.SetSettingIfAbsent(ctx, adminTokenKey, hashToken(token))
		if err != nil {
			return nil, "", fmt.Errorf("auth: store admin token hash: %w", err)
		}
		if stored == hashToken(token) {
			generated = token
		}
		a.adminHash = []byte(stored)
	}
	key, err := s.SetSettingIfAbsent(ctx, sessionKeyKey, randomString(32))
	if err != nil {
		return nil, "", fmt.Errorf("auth: store session key: %w", err)
	}
	a.sessionKey = []byte(key)
	return a, generated, nil
}

// hashToken hashes a high-entropy token. A fast hash is right here: the token
// is random, so there is nothing for a slow password hash to protect.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// VerifyToken returns the principal a bearer token belongs to.
func (a *Authenticator) VerifyToken(token string) (Principal, bool) {
	if token == "" {
		return Principal{}, false
	}
	if subtle.ConstantTimeCompare([]byte(hashToken(token)), a.adminHash) == 1 {
		return Admin, true
	}
	return Principal{}, false
}

// AddVerifier makes VerifyBearer accept the tokens v accepts. Call it while
// wiring, before the Authenticator serves requests.
func (a *Authenticator) AddVerifier(v TokenVerifier) { a.verifiers = append(a.verifiers, v) }

// VerifyBearer returns the principal of a bearer token: the admin token, or
// a token one of the added verifiers accepts.
func (a *Authenticator) VerifyBearer(ctx context.Context, token string) (Principal, bool) {
	if p, ok := a.VerifyToken(token); ok {
		return p, true
	}
	if token == "" {
		return Principal{}, false
	}
	for _, v := range a.verifiers {
		if p, ok := v.VerifyBearer(ctx, token); ok {
			return p, true
		}
	}
	return Principal{}, false
}

type sessionClaims struct {
	Principal
	Expires int64 `json:"exp"`
	// IssuedMs is when the session began, in Unix milliseconds, so that
	// the sessions an account began before a reset can be refused.
	IssuedMs int64 `json:"iat_ms,omitempty"`
}

// NewSession returns a signed session value for p that expires after ttl.
func (a *Authenticator) NewSession(p Principal, ttl time.Duration) string {
	now := a.now()
	body, _ := json.Marshal(sessionClaims{Principal: p, Expires: now.Add(ttl).Unix(), IssuedMs: now.UnixMilli()})
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + a.sign(payload)
}

func (a *Authenticator) sign(payload string) string {
	m := hmac.New(sha256.New, a.sessionKey)
	m.Write([]byte("dancu-session\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// VerifySession returns the principal of a session value that is authentic
// and not expired.
func (a *Authenticator) VerifySession(value string) (Principal, bool) {
	p, _, ok := a.VerifySessionIssued(value)
	return p, ok
}

// VerifySessionIssued is VerifySession that also returns when the session
// was issued (the zero time for a session from before this was recorded).
func (a *Authenticator) VerifySessionIssued(value string) (Principal, time.Time, bool) {
	payload, sig, ok := strings.Cut(value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(a.sign(payload))) {
		return Principal{}, time.Time{}, false
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Principal{}, time.Time{}, false
	}
	var c sessionClaims
	if json.Unmarshal(body, &c) != nil || a.now().Unix() >= c.Expires || c.ID == "" {
		return Principal{}, time.Time{}, false
	}
	var issued time.Time
	if c.IssuedMs > 0 {
		issued = time.UnixMilli(c.IssuedMs)
	}
	return c.Principal, issued, true
}

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of an authenticated request.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

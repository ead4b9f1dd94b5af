package exchange

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/store"
)

// signingKeySetting holds the server's private token-signing key as a JWK.
// Processes sharing a store agree on it through SetSettingIfAbsent, so a
// token issued by one is accepted by all.
const signingKeySetting = "exchange.token_signing_jwk"

// AssertionType is the client_assertion_type of private_key_jwt (RFC 7523).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// loadSigningKey reads the server's Ed25519 signing key, creating it the
// first time.
func (s *Service) loadSigningKey(ctx context.Context) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	fresh := jose.JSONWebKey{Key: priv, Algorithm: string(jose.EdDSA), Use: "sig"}
	tp, err := fresh.Thumbprint(cryptoSHA256)
	if err != nil {
		return err
	}
	fresh.KeyID = b64(tp)
	b, err := fresh.MarshalJSON()
	if err != nil {
		return err
	}
	stored, err := s.st.SetSettingIfAbsent(ctx, signingKeySetting, string(b))
	if err != nil {
		return fmt.Errorf("exchange: signing key: %w", err)
	}
	var key jose.JSONWebKey
	if err := key.UnmarshalJSON([]byte(stored)); err != nil || key.IsPublic() {
		return errors.New("exchange: the stored token-signing key is not a private JWK")
	}
	s.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), key.KeyID))
	if err != nil {
		return fmt.Errorf("exchange: signing key: %w", err)
	}
	s.publicKey = key.Public()
	return nil
}

// JWKS returns the public keys that verify access tokens.
func (s *Service) JWKS() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{s.publicKey}}
}

// TokenRequest is the form of a token request (RFC 6749 §4.4, RFC 7521 §4.2).
type TokenRequest struct {
	GrantType           string
	ClientID            string // optional; must match the assertion if given
	ClientAssertionType string
	ClientAssertion     string
	Scope               string
}

// TokenResponse is a successful token response (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// OAuthError is an RFC 6749 §5.2 error. Status is the HTTP status: 401 for
// invalid_client, 400 for the rest. Descriptions never quote what the
// client sent.
type OAuthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *OAuthError) Error() string { return "oauth: " + e.Code + ": " + e.Description }

func invalidClient(desc string) *OAuthError {
	return &OAuthError{Status: 401, Code: "invalid_client", Description: desc}
}

func invalidRequest(desc string) *OAuthError {
	return &OAuthError{Status: 400, Code: "invalid_request", Description: desc}
}

// assertionClaims are the claims of a client assertion (RFC 7523 §3).
type assertionClaims struct {
	jwt.Claims
}

// accessClaims are the claims of an access token (after RFC 9068).
type accessClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Agency   string `json:"agency"`
	Scope    string `json:"scope,omitempty"`
}

// Token authenticates a client by its signed assertion and issues an access
// token. Every failure to authenticate is invalid_client (401), with a
// description that says which check failed but nothing the client sent. A
// failure of the store is returned as a plain error (a 500 or 503).
func (s *Service) Token(ctx context.Context, req TokenRequest) (*TokenResponse, error) {
	if req.GrantType == "" {
		return nil, invalidRequest("grant_type is required")
	}
	if req.GrantType != "client_credentials" {
		return nil, &OAuthError{Status: 400, Code: "unsupported_grant_type", Description: "only client_credentials is supported"}
	}
	if req.ClientAssertion == "" {
		return nil, invalidClient("client authentication is required: client_assertion with private_key_jwt")
	}
	if req.ClientAssertionType != AssertionType {
		return nil, invalidClient("client_assertion_type must be " + AssertionType)
	}
	client, claims, err := s.verifyAssertion(ctx, req.ClientAssertion)
	if err != nil {
		return nil, err
	}
	if req.ClientID != "" && req.ClientID != client.ID {
		return nil, invalidClient("client_id does not match the assertion")
	}
	scope, err := s.checkScope(ctx, client, req.Scope)
	if err != nil {
		return nil, err
	}
	// The assertion is used up only once everything else passed, and
	// before the token exists: a replay anywhere, in any process, fails.
	err = s.st.UseNonce(ctx, "client-assertion:"+client.ID, claims.ID, claims.Expiry.Time().Add(clockSkew))
	if errors.Is(err, store.ErrExists) {
		return nil, invalidClient("the assertion was already used (jti replay)")
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	at := accessClaims{
		Claims: jwt.Claims{
			Issuer: s.issuer, Subject: client.ID, Audience: jwt.Audience{s.issuer},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			Expiry: jwt.NewNumericDate(now.Add(s.ttl)), ID: rand.Text(),
		},
		ClientID: client.ID, Agency: client.Agency, Scope: scope,
	}
	tok, err := jwt.Signed(s.signer).Claims(at).Serialize()
	if err != nil {
		return nil, fmt.Errorf("exchange: sign access token: %w", err)
	}
	return &TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(s.ttl / time.Second), Scope: scope}, nil
}

// verifyAssertion checks a client assertion and returns its client.
func (s *Service) verifyAssertion(ctx context.Context, assertion string) (*Client, *assertionClaims, error) {
	if len(assertion) > 16<<10 {
		return nil, nil, invalidClient("the assertion is too long")
	}
	tok, err := jwt.ParseSigned(assertion, allowedAlgs)
	if err != nil {
		return nil, nil, invalidClient("the assertion is not a JWS signed with RS256, PS256, ES256 or EdDSA")
	}
	if len(tok.Headers) != 1 {
		return nil, nil, invalidClient("the assertion must have one signature")
	}
	var unverified assertionClaims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, nil, invalidClient("the assertion's claims are malformed")
	}
	if unverified.Issuer == "" || unverified.Issuer != unverified.Subject {
		return nil, nil, invalidClient("iss and sub must both be the client_id")
	}
	if !idPattern.MatchString(unverified.Issuer) {
		return nil, nil, invalidClient("unknown client")
	}
	client, err := s.Client(ctx, unverified.Issuer)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, invalidClient("unknown client")
	}
	if err != nil {
		return nil, nil, err
	}
	if client.Status != Active {
		return nil, nil, invalidClient("the client is disabled")
	}
	if ok, err := s.agencyActive(ctx, client.Agency); err != nil {
		return nil, nil, err
	} else if !ok {
		return nil, nil, invalidClient("the client's agency is disabled")
	}
	keys, err := client.JWKS.parse()
	if err != nil {
		return nil, nil, invalidClient("the client has no usable keys")
	}
	kid := tok.Headers[0].KeyID
	var claims assertionClaims
	verified := false
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != tok.Headers[0].Algorithm {
			continue
		}
		if err := tok.Claims(k.Key, &claims); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, nil, invalidClient("the assertion's signature does not verify with the client's keys")
	}
	if err := s.checkAssertionTimes(&claims); err != nil {
		return nil, nil, err
	}
	if !slices.Contains(claims.Audience, s.TokenEndpoint()) {
		return nil, nil, invalidClient("aud must be the token endpoint URL " + s.TokenEndpoint())
	}
	if claims.ID == "" || len(claims.ID) > 200 {
		return nil, nil, invalidClient("jti is required (at most 200 characters)")
	}
	return client, &claims, nil
}

// checkAssertionTimes applies RFC 7523 §3's exp, nbf and iat rules, with a
// short maximum lifetime so that a jti is remembered only briefly.
func (s *Service) checkAssertionTimes(c *assertionClaims) error {
	now := s.now()
	if c.Expiry == nil {
		return invalidClient("exp is required")
	}
	exp := c.Expiry.Time()
	if !now.Before(exp.Add(clockSkew)) {
		return invalidClient("the assertion has expired")
	}
	if exp.After(now.Add(MaxAssertionTTL + clockSkew)) {
		return invalidClient("exp is more than 5 minutes ahead")
	}
	if c.NotBefore != nil && c.NotBefore.Time().After(now.Add(clockSkew)) {
		return invalidClient("the assertion is not valid yet (nbf)")
	}
	if c.IssuedAt != nil {
		iat := c.IssuedAt.Time()
		if iat.After(now.Add(clockSkew)) {
			return invalidClient("iat is in the future")
		}
		if iat.Before(now.Add(-MaxAssertionTTL - clockSkew)) {
			return invalidClient("iat is too old")
		}
	}
	return nil
}

// checkScope checks a requested scope: space-separated purpose codes, each
// one the client's agency holds an active grant for. The scope is echoed and
// kept in the token for the record, but it does not narrow the token: every
// request names its purpose and is judged against the agency's grants as
// they stand at that moment, which is stricter than any scope fixed at
// issue time.
func (s *Service) checkScope(ctx context.Context, c *Client, scope string) (string, error) {
	parts := strings.Fields(scope)
	if len(parts) == 0 {
		return "", nil
	}
	grants, err := s.Grants(ctx, c.Agency)
	if err != nil {
		return "", err
	}
	for _, p := range parts {
		if !slices.ContainsFunc(grants, func(g Grant) bool { return g.Purpose == p && g.Status == Active }) {
			return "", &OAuthError{Status: 400, Code: "invalid_scope", Description: "a requested scope is not a purpose granted to the agency"}
		}
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), " "), nil
}

func (s *Service) agencyActive(ctx context.Context, id string) (bool, error) {
	var a statusDoc
	_, err := s.getDoc(ctx, kindAgency, id, &a)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return a.Status == Active, nil
}

// VerifyBearer implements auth.TokenVerifier: it accepts the access tokens
// this service issued, to active clients of active agencies. The client and
// agency are read on every use, so that disabling either takes effect on
// the next request in every process.
func (s *Service) VerifyBearer(ctx context.Context, token string) (auth.Principal, bool) {
	if strings.Count(token, ".") != 2 || len(token) > 8<<10 {
		return auth.Principal{}, false
	}
	c, ok := s.tokens.get(token, s.now())
	if !ok {
		if c, ok = s.verifySignature(token); !ok {
			return auth.Principal{}, false
		}
		s.tokens.put(token, c, s.now())
	}
	// Only the status and agency are decoded: this runs on every request.
	var client statusDoc
	_, err := s.getDoc(ctx, kindClient, c.Subject, &client)
	if err != nil || client.Status != Active || client.Agency != c.Agency {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "exchange: token check could not read the client", "client_id", c.Subject, "error", err)
		}
		return auth.Principal{}, false
	}
	if ok, err := s.agencyActive(ctx, c.Agency); err != nil || !ok {
		return auth.Principal{}, false
	}
	return auth.Principal{ID: c.Subject, Kind: auth.KindClient, Agency: c.Agency}, true
}

// statusDoc is the part of an agency or client document that says whether
// it may act.
type statusDoc struct {
	Status Status `json:"status"`
	Agency string `json:"agency"`
}

// verifySignature checks an access token's signature and claims, without
// the client's status.
func (s *Service) verifySignature(token string) (tokenClaims, bool) {
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(tok.Headers) != 1 || tok.Headers[0].KeyID != s.publicKey.KeyID {
		return tokenClaims{}, false
	}
	var c accessClaims
	if err := tok.Claims(s.publicKey.Key, &c); err != nil {
		return tokenClaims{}, false
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: s.issuer, AnyAudience: jwt.Audience{s.issuer}, Time: s.now()}, 0); err != nil {
		return tokenClaims{}, false
	}
	if c.Subject == "" || c.Subject != c.ClientID || c.Agency == "" || c.Expiry == nil {
		return tokenClaims{}, false
	}
	return tokenClaims{Subject: c.Subject, Agency: c.Agency, Expiry: c.Expiry.Time()}, true
}

// marshalJSON is json.Marshal for the handlers' fixed shapes.
func marshalJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/store"
)

// discovery serves the OpenID Provider Metadata, the library's document
// corrected to what dancu supports.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	ctx := op.ContextWithIssuer(r.Context(), p.Issuer())
	cfg := op.CreateDiscoveryConfig(ctx, p.op, &storage{p: p})
	cfg.ScopesSupported = ScopeNames()
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.ResponseModesSupported = []string{"query"}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	cfg.SubjectTypesSupported = []string{SubjectPairwise, SubjectPublic}
	cfg.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPrivateKeyJWT}
	cfg.TokenEndpointAuthSigningAlgValuesSupported = assertionAlgs
	cfg.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPrivateKeyJWT}
	cfg.IntrospectionEndpointAuthSigningAlgValuesSupported = assertionAlgs
	cfg.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPrivateKeyJWT}
	cfg.RevocationEndpointAuthSigningAlgValuesSupported = assertionAlgs
	cfg.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	cfg.ACRValuesSupported = []string{ACRLevel1, ACRLevel2}
	cfg.DeviceAuthorizationEndpoint = ""
	cfg.RequestURIParameterSupported = false
	cfg.RequestParameterSupported = false
	w.Header().Set("Cache-Control", "public, max-age=300")
	op.Discover(w, cfg)
}

var assertionAlgs = []string{"RS256", "PS256", "ES256", "EdDSA"}

// guard runs before the library on the protocol endpoints. It refuses the
// device endpoint, and makes every client assertion (private_key_jwt)
// single-use across processes: the library checks signature, audience and
// times, but not jti.
func (p *Provider) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, o := withOutage(r)
		switch r.URL.Path {
		case BasePath + "/authorize":
			// The library answers a request it cannot redirect (unknown
			// client, unregistered redirect URI) with plain text; citizens
			// get a page that says what to do instead.
			//
			// The library then redirects the browser to the login page; the
			// page is served at once instead, with the request just
			// created: one round trip and one read of the store less per
			// sign-in. The page's answers (a code, the consent page, the
			// portal's sign-in) do not depend on where it is served.
			r, pend := withPending(r)
			pw := &plainErrorWriter{ResponseWriter: w}
			next.ServeHTTP(pw, r)
			if pw.login != nil {
				r2 := r.Clone(r.Context())
				r2.URL = pw.login
				r2.RequestURI = pw.login.RequestURI()
				p.loginPageWith(w, r2, pend.a)
				return
			}
			if pw.caught && o.seen.Load() {
				w.Header().Set("Retry-After", strconv.Itoa(int(api.RetryAfterUnavailable/time.Second)))
				p.errorPage(w, r, http.StatusServiceUnavailable, func(t texts) (string, string) { return t.Error, t.Unavailable }, "", nil)
			} else if pw.caught {
				p.errorPage(w, r, http.StatusBadRequest, func(t texts) (string, string) { return t.Error, t.BadRequestText }, "", nil)
			}
			return
		case BasePath + "/end_session":
			// The library's logout knows the ID token hint but not the
			// browser: hand it the browser's portal session, if any.
			if u, ok := p.sessions.Current(r); ok {
				r = r.WithContext(context.WithValue(r.Context(), logoutKey{}, &logoutBrowser{w: w, r: r, user: u}))
			}
		case BasePath + "/device_authorization":
			http.NotFound(w, r)
			return
		case BasePath + "/token", BasePath + "/introspect", BasePath + "/revoke":
			if r.Method == http.MethodPost {
				r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
				if err := r.ParseForm(); err != nil {
					writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the form body is malformed")
					return
				}
				if len(r.URL.Query()) > 0 && r.URL.Path == BasePath+"/token" {
					writeOAuthError(w, http.StatusBadRequest, "invalid_request", "parameters go in the body, not the URL")
					return
				}
				if a := r.PostForm.Get("client_assertion"); a != "" {
					if code, desc := p.useAssertion(r.Context(), a); code == errTemporarilyUnavailable {
						writeUnavailable(w)
						return
					} else if code != "" {
						writeOAuthError(w, http.StatusUnauthorized, code, desc)
						return
					}
				}
			}
		}
		if r.URL.Path == BasePath+"/end_session" {
			// Logout answers with redirects and pages: the library's own.
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&outageWriter{ResponseWriter: w, o: o}, r)
	})
}

// useAssertion verifies a client assertion's signature with the client's
// registered keys and records its jti until it expires. It returns an
// error code and description, or "".
func (p *Provider) useAssertion(ctx context.Context, assertion string) (string, string) {
	if len(assertion) > 16<<10 {
		return "invalid_client", "the assertion is too long"
	}
	algs := make([]jose.SignatureAlgorithm, len(assertionAlgs))
	for i, a := range assertionAlgs {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	tok, err := jwt.ParseSigned(assertion, algs)
	if err != nil || len(tok.Headers) != 1 {
		return "invalid_client", "the assertion is not a JWS signed with " + strings.Join(assertionAlgs, ", ")
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer == "" {
		return "invalid_client", "the assertion's claims are malformed"
	}
	rp, err := p.RP(ctx, unverified.Issuer)
	if err != nil || rp.Status != StatusActive || rp.AuthMethod != AuthPrivateKeyJWT {
		return "invalid_client", "unknown client"
	}
	key, ok := rp.publicKey(tok.Headers[0].KeyID)
	if !ok {
		return "invalid_client", "the assertion's kid names none of the client's keys"
	}
	var c jwt.Claims
	if err := tok.Claims(key.Key, &c); err != nil {
		return "invalid_client", "the assertion's signature does not verify"
	}
	now := p.now()
	if c.Expiry == nil || c.ID == "" || len(c.ID) > 200 {
		return "invalid_client", "the assertion needs exp and jti"
	}
	exp := c.Expiry.Time()
	if !now.Before(exp.Add(time.Minute)) {
		return "invalid_client", "the assertion has expired"
	}
	if exp.Sub(now) > 10*time.Minute {
		return "invalid_client", "the assertion may live at most 10 minutes"
	}
	err = p.st.UseNonce(ctx, "oidc-assertion:"+rp.ID, c.ID, exp.Add(time.Minute))
	if errors.Is(err, store.ErrExists) {
		return "invalid_client", "the assertion was already used (jti replay)"
	}
	if err != nil {
		p.log.ErrorContext(ctx, "oidc: record assertion jti", "error", err)
		return "temporarily_unavailable", "try again later"
	}
	return "", ""
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// ConnectedApp is a relying party a citizen agreed to share with.
type ConnectedApp struct {
	ClientID  string
	Name      string
	Purpose   string
	Scopes    []Scope
	GrantedAt time.Time
}

// ConnectedApps lists the relying parties an account agreed to share with.
func (p *Provider) ConnectedApps(ctx context.Context, accountID string) ([]ConnectedApp, error) {
	cs, err := p.st.OIDCConsents(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]ConnectedApp, 0, len(cs))
	for _, c := range cs {
		app := ConnectedApp{ClientID: c.ClientID, Name: c.ClientID, GrantedAt: c.GrantedAt}
		if rp, err := p.RP(ctx, c.ClientID); err == nil {
			app.Name, app.Purpose = rp.Name, rp.Purpose
		}
		for _, name := range c.Scopes {
			if s, ok := lookupScope(name); ok {
				app.Scopes = append(app.Scopes, s)
			}
		}
		out = append(out, app)
	}
	return out, nil
}

// RevokeApp withdraws an account's consent to a relying party and revokes
// every token the party holds for the account. It returns an error
// wrapping store.ErrNotFound when there was no consent.
func (p *Provider) RevokeApp(ctx context.Context, accountID, clientID string) error {
	if err := p.st.DeleteOIDCConsent(ctx, accountID, clientID); err != nil {
		return err
	}
	_, err := p.revokeTokens(ctx, store.OIDCTokenQuery{AccountID: accountID, ClientID: clientID})
	return err
}

// plainErrorWriter holds back a plain-text 400 so that the caller can
// answer with an HTML page instead, and the redirect to the login page so
// that the caller can serve it; anything else passes through.
type plainErrorWriter struct {
	http.ResponseWriter
	caught, passed bool
	login          *url.URL
}

func (w *plainErrorWriter) WriteHeader(code int) {
	if !w.passed && code == http.StatusBadRequest && strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.caught = true
		w.Header().Del("Content-Type")
		return
	}
	if loc := w.Header().Get("Location"); !w.passed && code == http.StatusFound && strings.HasPrefix(loc, LoginPath+"?") {
		if u, err := url.Parse(loc); err == nil && u.Path == LoginPath {
			w.login, w.caught = u, true
			w.Header().Del("Location")
			w.Header().Del("Content-Type")
			return
		}
	}
	w.passed = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *plainErrorWriter) Write(b []byte) (int, error) {
	if w.caught {
		return len(b), nil
	}
	w.passed = true
	return w.ResponseWriter.Write(b)
}

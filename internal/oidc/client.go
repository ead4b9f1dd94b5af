package oidc

import (
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// client adapts a registration to op.Client.
type client struct {
	rp *RP
	p  *Provider
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                       { return c.rp.ID }
func (c *client) RedirectURIs() []string              { return c.rp.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string    { return c.rp.PostLogoutRedirectURIs }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.rp.AuthMethod == AuthPrivateKeyJWT {
		return oidc.AuthMethodPrivateKeyJWT
	}
	return oidc.AuthMethodBasic
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	gt := []oidc.GrantType{oidc.GrantTypeCode}
	if slices.Contains(c.rp.Scopes, oidc.ScopeOfflineAccess) {
		gt = append(gt, oidc.GrantTypeRefreshToken)
	}
	return gt
}

// LoginURL is the provider's own sign-in and consent page.
func (c *client) LoginURL(id string) string { return LoginPath + "?id=" + url.QueryEscape(id) }

func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return c.p.opts.IDTokenTTL }
func (c *client) DevMode() bool                       { return false }

// RestrictAdditionalIdTokenScopes keeps attributes out of the ID token:
// they are released at userinfo, where each release is recorded.
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func([]string) []string { return []string{oidc.ScopeOpenID} }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed is consulted by the library for non-standard scopes; the
// registration decides (CreateAuthRequest drops the standard ones it does
// not allow).
func (c *client) IsScopeAllowed(scope string) bool { return slices.Contains(c.rp.Scopes, scope) }

func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }

package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/store"
)

// storage implements op.Storage over the store. Every method's errors are
// either *oidc.Error values or clientErrors meant for the client, or plain
// errors, which unavailableStorage turns into a server_error without their
// text.
type storage struct{ p *Provider }

var _ op.Storage = (*storage)(nil)

// authRequest is the document of an authorization request, from the
// relying party's request to the code's exchange.
type authRequest struct {
	ID            string            `json:"id"`
	ClientID      string            `json:"client_id"`
	RedirectURI   string            `json:"redirect_uri"`
	State         string            `json:"state,omitempty"`
	Nonce         string            `json:"nonce,omitempty"`
	Scopes        []string          `json:"scopes"`
	ResponseType  oidc.ResponseType `json:"response_type"`
	ResponseMode  oidc.ResponseMode `json:"response_mode,omitempty"`
	CodeChallenge string            `json:"code_challenge"`
	Prompt        []string          `json:"prompt,omitempty"`
	MaxAge        *uint             `json:"max_age,omitempty"`
	RequiredLevel int               `json:"required_level"`
	UILocales     []string          `json:"ui_locales,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`

	// Set once the citizen signed in and agreed.
	Completed bool      `json:"done,omitempty"`
	AccountID string    `json:"account_id,omitempty"`
	PIN       string    `json:"pin,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	Level     int       `json:"level,omitempty"`
	AuthTime  time.Time `json:"auth_time,omitzero"`
	AMR       []string  `json:"amr,omitempty"`
	// Organisation is set on a sign-in as an organisation: AccountID is
	// then the organisation's, PIN and Level the representative's.
	Organisation *actingFor `json:"organisation,omitempty"`

	// unsaved marks a request not written yet: the authorization endpoint
	// serves the login page at once, which writes it only when the browser
	// must come back for it (sign-in, consent); completed there and then,
	// it is written once, with its code.
	unsaved bool
}

func (a *authRequest) GetID() string          { return a.ID }
func (a *authRequest) GetACR() string         { return acrOf(a.Level) }
func (a *authRequest) GetAMR() []string       { return a.AMR }
func (a *authRequest) GetAudience() []string  { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *authRequest) GetClientID() string    { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethodS256}
}
func (a *authRequest) GetNonce() string                   { return a.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.Scopes }
func (a *authRequest) GetState() string                   { return a.State }
func (a *authRequest) GetSubject() string                 { return a.Subject }
func (a *authRequest) Done() bool                         { return a.Completed }

// tokenData is the document of an issued token.
type tokenData struct {
	Subject  string    `json:"subject"`
	PIN      string    `json:"pin"`
	Scopes   []string  `json:"scopes"`
	AuthTime time.Time `json:"auth_time"`
	AMR      []string  `json:"amr,omitempty"`
	Level    int       `json:"level"`
	AccessID string    `json:"access_id,omitempty"` // a refresh token's latest access token
	// Organisation is set on a sign-in as an organisation.
	Organisation *actingFor `json:"organisation,omitempty"`
	RefreshAt    time.Time  `json:"-"`
}

// refreshRequest is a refresh token presented for rotation.
type refreshRequest struct {
	tok  store.OIDCToken
	data tokenData
}

func (r *refreshRequest) GetAMR() []string                 { return r.data.AMR }
func (r *refreshRequest) GetAudience() []string            { return []string{r.tok.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time           { return r.data.AuthTime }
func (r *refreshRequest) GetClientID() string              { return r.tok.ClientID }
func (r *refreshRequest) GetScopes() []string              { return r.data.Scopes }
func (r *refreshRequest) GetSubject() string               { return r.data.Subject }
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.data.Scopes = scopes }

// hashValue hashes a code or refresh token for storage.
func hashValue(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func newID() string { return rand.Text() }

// CreateAuthRequest stores a validated request. The library has checked
// the client and the exact redirect URI; here dancu's own rules apply:
// PKCE with S256 only, scopes within the registration, the level asked.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	rp, err := s.p.RP(ctx, req.ClientID)
	if err != nil {
		return nil, err
	}
	if req.ResponseType != oidc.ResponseTypeCode {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("only response_type=code is supported")
	}
	if req.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE is required: send code_challenge with code_challenge_method=S256")
	}
	if req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if len(req.CodeChallenge) != 43 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge must be a base64url SHA-256 (43 characters)")
	}
	if len(req.State) > 2000 || len(req.Nonce) > 2000 {
		return nil, oidc.ErrInvalidRequest().WithDescription("state and nonce are limited to 2000 characters")
	}
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	// Scopes the registration does not allow are dropped (RFC 6749 §3.3):
	// the consent page and the token response show what remains.
	var granted []string
	for _, sc := range req.Scopes {
		if slices.Contains(rp.Scopes, sc) && !slices.Contains(granted, sc) {
			granted = append(granted, sc)
		}
	}
	level := rp.RequiredLevel
	if len(req.ACRValues) > 0 {
		// acr_values lists acceptable classes: the weakest of those we know
		// is what the party asked for.
		asked := 0
		for _, v := range req.ACRValues {
			if l := levelOfACR(v); l > 0 && (asked == 0 || l < asked) {
				asked = l
			}
		}
		if asked > level {
			level = asked
		}
	}
	if slices.Contains(granted, ScopeOrganisation) && level < 2 {
		// Only a level-2 account registers or represents an organisation.
		level = 2
	}
	now := s.p.now().UTC()
	a := &authRequest{
		ID: newID(), ClientID: req.ClientID, RedirectURI: req.RedirectURI, State: req.State, Nonce: req.Nonce,
		Scopes: granted, ResponseType: req.ResponseType, ResponseMode: req.ResponseMode,
		CodeChallenge: req.CodeChallenge, Prompt: req.Prompt, MaxAge: req.MaxAge, RequiredLevel: level,
		CreatedAt: now,
	}
	for _, t := range req.UILocales {
		a.UILocales = append(a.UILocales, t.String())
	}
	if h, ok := ctx.Value(pendingKey{}).(*pending); ok {
		a.unsaved = true
		h.a = a
		return a, nil
	}
	if err := s.p.putAuthRequest(ctx, a, ""); err != nil {
		return nil, err
	}
	return a, nil
}

// Durability. A flow writes its request (pending) when the browser must
// come back for it (sign-in, consent), its completion with the code's
// hash (or both at once when the citizen is signed in and has agreed
// before: one write), the code's use, then the tokens. All but the tokens
// commit without waiting for the disk (store.WithoutSync):
// they are atomic and at once visible to every process sharing the store,
// so a code is single-use across processes as before, and only a crash of
// the machine (SQLite) or of the database server (PostgreSQL) can lose
// them. Losing a pending or completed request means the citizen signs in
// again (the relying party's code, if it had one, is refused as unknown);
// the tokens are committed with a sync, which in both databases makes every
// earlier commit durable too, so a code that was exchanged stays marked
// used and a replay is still refused and revokes the tokens. Consents,
// tokens, revocations and the access log keep their synced commits.
func (p *Provider) putAuthRequest(ctx context.Context, a *authRequest, codeHash string) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	err = p.st.PutOIDCAuthRequest(store.WithoutSync(ctx), store.OIDCAuthRequest{ID: a.ID, ClientID: a.ClientID, CodeHash: codeHash,
		Data: b, CreatedAt: a.CreatedAt, ExpiresAt: a.CreatedAt.Add(p.opts.AuthRequestTTL)})
	if err == nil {
		a.unsaved = false
	}
	return err
}

// ensureStored writes a request the browser will come back for, if it is
// not written yet.
func (p *Provider) ensureStored(ctx context.Context, a *authRequest) error {
	if !a.unsaved {
		return nil
	}
	return p.putAuthRequest(ctx, a, "")
}

func decodeAuthRequest(r store.OIDCAuthRequest) (*authRequest, error) {
	var a authRequest
	if err := json.Unmarshal(r.Data, &a); err != nil {
		return nil, fmt.Errorf("oidc: stored auth request: %w", err)
	}
	return &a, nil
}

// AuthRequestByID implements op.Storage.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.p.authRequest(ctx, id)
}

func (p *Provider) authRequest(ctx context.Context, id string) (*authRequest, error) {
	if id == "" || len(id) > 64 {
		return nil, oidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request")
	}
	r, err := p.st.OIDCAuthRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request")
	}
	if err != nil {
		return nil, err
	}
	return decodeAuthRequest(r)
}

// AuthRequestByCode consumes a code. A code presented a second time is
// refused, and every token issued from its first use is revoked (RFC 6749
// §4.1.2): someone other than the client may have it.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	if code == "" || len(code) > 2000 {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid code")
	}
	// The use commits without a sync: the access token that follows is
	// committed with one, which makes the use durable with it, and a use
	// lost with no token after it in a crash was never answered.
	r, err := s.p.st.UseOIDCAuthCode(store.WithoutSync(ctx), hashValue(code))
	if errors.Is(err, store.ErrConflict) {
		n, rerr := s.p.revokeTokens(ctx, store.OIDCTokenQuery{GrantID: r.ID})
		if rerr != nil {
			return nil, rerr
		}
		s.p.log.WarnContext(ctx, "oidc: authorization code reused; tokens revoked", "client_id", r.ClientID, "grant", r.ID, "revoked", n)
		return nil, oidc.ErrInvalidGrant().WithDescription("the code was already used")
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid or expired code")
	}
	if err != nil {
		return nil, err
	}
	a, err := decodeAuthRequest(r)
	if err != nil {
		return nil, err
	}
	if !a.Completed {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid code")
	}
	return a, nil
}

type pendingKey struct{}

// pending carries, from CreateAuthRequest back to the authorization
// endpoint's handler, the request it stored (see guard).
type pending struct{ a *authRequest }

func withPending(r *http.Request) (*http.Request, *pending) {
	h := &pending{}
	return r.WithContext(context.WithValue(r.Context(), pendingKey{}, h)), h
}

// completedKey carries, from the login page to SaveAuthCode, the request
// its sign-in just completed, so that the completion and the code are one
// write.
type completedKey struct{}

// SaveAuthCode implements op.Storage.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	var data []byte
	if a, ok := ctx.Value(completedKey{}).(*authRequest); ok && a.ID == id {
		if a.unsaved {
			return s.p.putAuthRequest(ctx, a, hashValue(code))
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		data = b
	}
	return s.p.st.SetOIDCAuthCode(store.WithoutSync(ctx), id, hashValue(code), data)
}

// DeleteAuthRequest keeps the request: its used code must stay known until
// it expires, so that a replay is recognised (and PurgeOIDC removes it).
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// CreateAccessToken implements op.Storage.
func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, exp, _, err := s.p.issue(ctx, req, "")
	return id, exp, err
}

// CreateAccessAndRefreshTokens implements op.Storage. A presented refresh
// token is rotated: marked used before the new pair exists, so that of two
// concurrent uses only one succeeds.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	if current != "" {
		err := s.p.st.UseOIDCRefreshToken(ctx, hashValue(current))
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			if rr, ok := req.(*refreshRequest); ok {
				s.p.revokeReplay(ctx, rr.tok)
			}
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the refresh token was already used")
		}
		if err != nil {
			return "", "", time.Time{}, err
		}
	}
	id, exp, refresh, err := s.p.issue(ctx, req, "refresh")
	return id, refresh, exp, err
}

// issue records an access token (and a refresh token when refresh is
// set) for a completed authorization or a rotated refresh token.
func (p *Provider) issue(ctx context.Context, req op.TokenRequest, refresh string) (accessID string, exp time.Time, refreshToken string, err error) {
	var grant, client, account string
	var d tokenData
	switch r := req.(type) {
	case *authRequest:
		grant, client, account = r.ID, r.ClientID, r.AccountID
		d = tokenData{Subject: r.Subject, PIN: r.PIN, Scopes: r.Scopes, AuthTime: r.AuthTime, AMR: r.AMR, Level: r.Level,
			Organisation: r.Organisation}
	case *refreshRequest:
		grant, client, account = r.tok.GrantID, r.tok.ClientID, r.tok.AccountID
		d = r.data
		d.AccessID = ""
	default:
		return "", time.Time{}, "", oidc.ErrUnsupportedGrantType()
	}
	now := p.now().UTC()
	accessID = newID()
	exp = now.Add(p.opts.AccessTokenTTL)
	b, err := json.Marshal(d)
	if err != nil {
		return "", time.Time{}, "", err
	}
	if err := p.st.PutOIDCToken(ctx, store.OIDCToken{ID: accessID, Kind: store.OIDCAccessToken, GrantID: grant,
		ClientID: client, AccountID: account, Data: b, CreatedAt: now, ExpiresAt: exp}); err != nil {
		return "", time.Time{}, "", err
	}
	if refresh == "" {
		return accessID, exp, "", nil
	}
	refreshToken = rand.Text() + rand.Text()
	d.AccessID = accessID
	if b, err = json.Marshal(d); err != nil {
		return "", time.Time{}, "", err
	}
	if err := p.st.PutOIDCToken(ctx, store.OIDCToken{ID: newID(), Kind: store.OIDCRefreshToken, GrantID: grant,
		ClientID: client, AccountID: account, RefreshHash: hashValue(refreshToken), Data: b,
		CreatedAt: now, ExpiresAt: now.Add(p.opts.RefreshTokenTTL)}); err != nil {
		return "", time.Time{}, "", err
	}
	return accessID, exp, refreshToken, nil
}

// revokeReplay revokes every token of a grant whose refresh token was
// presented again after its rotation.
func (p *Provider) revokeReplay(ctx context.Context, t store.OIDCToken) {
	n, err := p.revokeTokens(ctx, store.OIDCTokenQuery{GrantID: t.GrantID})
	if err != nil {
		p.log.ErrorContext(ctx, "oidc: revoke after refresh-token replay", "client_id", t.ClientID, "grant", t.GrantID, "error", err)
		return
	}
	p.log.WarnContext(ctx, "oidc: refresh token reused; tokens revoked", "client_id", t.ClientID, "grant", t.GrantID, "revoked", n)
}

// TokenRequestByRefreshToken implements op.Storage.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	if token == "" || len(token) > 200 {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid refresh token")
	}
	t, err := s.p.st.OIDCTokenByRefresh(ctx, hashValue(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid or expired refresh token")
	}
	if err != nil {
		return nil, err
	}
	if t.Used {
		s.p.revokeReplay(ctx, t)
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token was already used")
	}
	if t.Revoked {
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token was revoked")
	}
	// The consent may have been withdrawn since, or the party disabled.
	rp, err := s.p.RP(ctx, t.ClientID)
	if err != nil || rp.Status != StatusActive {
		return nil, oidc.ErrInvalidGrant().WithDescription("the client is disabled")
	}
	var d tokenData
	if err := json.Unmarshal(t.Data, &d); err != nil {
		return nil, fmt.Errorf("oidc: stored token: %w", err)
	}
	if d.Organisation != nil {
		// The representative may have been replaced since: the tokens are
		// revoked then, and this holds even if revoking failed.
		ok, err := s.p.stillRepresents(ctx, d.Organisation)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, oidc.ErrInvalidGrant().WithDescription("the citizen no longer represents the organisation")
		}
	}
	return &refreshRequest{tok: t, data: d}, nil
}

// TerminateSession is not used: the library calls
// TerminateSessionFromRequest, which knows the ID token hint.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// logoutKey carries, from the guard to TerminateSessionFromRequest, the
// browser asking to log out and its portal session.
type logoutKey struct{}

type logoutBrowser struct {
	w    http.ResponseWriter
	r    *http.Request
	user User
}

// TerminateSessionFromRequest is RP-initiated logout. The tokens of the
// login the ID token hint names (its sid) are revoked, and the browser's
// portal session ends when the hint names the citizen signed in there: the
// citizen logged out of the service, and must sign in again for the next.
// Without a hint (or with another person's), the portal session stays: a
// bare link to the endpoint, followed from any page, must not sign the
// citizen out of everything.
func (s *storage) TerminateSessionFromRequest(ctx context.Context, r *op.EndSessionRequest) (string, error) {
	if r.IDTokenHintClaims == nil || r.ClientID == "" {
		return r.RedirectURI, nil
	}
	if sid, _ := r.IDTokenHintClaims.Claims["sid"].(string); sid != "" {
		if _, err := s.p.revokeTokens(ctx, store.OIDCTokenQuery{GrantID: sid, ClientID: r.ClientID}); err != nil {
			return "", err
		}
	}
	b, ok := ctx.Value(logoutKey{}).(*logoutBrowser)
	if !ok {
		return r.RedirectURI, nil
	}
	rp, err := s.p.RP(ctx, r.ClientID)
	if err != nil {
		return "", err
	}
	// The citizen signed in, or an organisation they acted for (the hint's
	// actor is then theirs).
	self := s.p.subjectFor(rp, b.user)
	act, _ := r.IDTokenHintClaims.Claims["act"].(map[string]any)
	if self != r.UserID && (act == nil || act["sub"] != self) {
		return r.RedirectURI, nil
	}
	if err := s.p.sessions.SignOut(b.w, b.r, b.user); err != nil {
		return "", err
	}
	return r.RedirectURI, nil
}

// RevokeToken implements op.Storage (RFC 7009). A refresh token revokes its
// whole grant; an access token only itself. Tokens of another client are
// left alone, as the RFC asks, and the answer is the same.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, _, clientID string) *oidc.Error {
	t, err := s.p.st.OIDCTokenByRefresh(ctx, hashValue(tokenOrID))
	q := store.OIDCTokenQuery{GrantID: t.GrantID, ClientID: clientID}
	if errors.Is(err, store.ErrNotFound) {
		t, err = s.p.st.OIDCToken(ctx, tokenOrID)
		q = store.OIDCTokenQuery{ID: t.ID, ClientID: clientID}
	}
	if errors.Is(err, store.ErrNotFound) || err == nil && t.ClientID != clientID {
		return nil
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if _, err := s.p.revokeTokens(ctx, q); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// GetRefreshTokenInfo implements op.Storage.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	t, err := s.p.st.OIDCTokenByRefresh(ctx, hashValue(token))
	if err != nil || t.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.AccountID, t.ID, nil
}

// SigningKey implements op.Storage.
func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	return s.p.keys.current(ctx)
}

// SignatureAlgorithms implements op.Storage.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.SignatureAlgorithm(s.p.opts.SigningAlgorithm)}, nil
}

// KeySet implements op.Storage.
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) { return s.p.keys.keySet(ctx) }

// GetClientByClientID implements op.Storage. Unknown and disabled clients
// get the same answer.
func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	rp, err := s.p.RP(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, clientError("unknown client")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if rp.Status != StatusActive {
		return nil, clientError("unknown client")
	}
	return &client{rp: rp, p: s.p}, nil
}

// AuthorizeClientIDSecret implements op.Storage (client_secret_basic).
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	rp, err := s.p.RP(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return clientError("unknown client")
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if rp.Status != StatusActive || rp.AuthMethod != AuthClientSecretBasic || !rp.checkSecret(secret) {
		return clientError("client authentication failed")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the library and empty here.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest puts into the ID token what identifies the login,
// and nothing about the person: attributes are released at userinfo, where
// each release is recorded.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, _ []string) error {
	info.Subject = req.GetSubject()
	var org *actingFor
	switch r := req.(type) {
	case *authRequest:
		info.AppendClaims("sid", r.ID)
		org = r.Organisation
	case *refreshRequest:
		info.AppendClaims("sid", r.tok.GrantID)
		org = r.data.Organisation
	}
	if org != nil {
		// Who acted for the organisation identifies the login, like the
		// subject: the representative's pairwise subject, no attribute.
		info.AppendClaims("act", map[string]string{"sub": org.Actor})
	}
	return nil
}

// SetUserinfoFromToken releases the attributes of the token's scopes. The
// release is recorded in the access log while the person is read: what is
// released depends only on the token's scopes, and nothing is answered
// before the entry is durable (an entry for a release that then failed is
// the safe side). Waiting for the log's commit after the read, rather than
// during it, made each answer wait for both. A token presented again within
// tokenCacheFor is answered with the claims built for it then; every
// answer is its own entry in the access log.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	now := s.p.now()
	t, d, claims, err := s.p.liveAccessToken(ctx, tokenID, subject, now)
	if err != nil {
		return err
	}
	var logged chan error
	if fields := releasedFields(d.Scopes); len(fields) > 0 {
		logged = make(chan error, 1)
		go func() {
			logged <- s.p.rec.Record(ctx, audit.Access{
				ActorKind: "relying_party", Actor: t.ClientID, Purpose: "oidc:userinfo",
				PIN: d.PIN, Fields: fields, Action: "release", RequestID: requestIDFrom(ctx),
			})
		}()
	}
	if claims == nil {
		if claims, err = s.p.userClaims(ctx, d); err == nil {
			s.p.tokens.keepClaims(tokenID, claims, now)
		}
	}
	if logged != nil {
		if lerr := <-logged; lerr != nil {
			return fmt.Errorf("oidc: userinfo: access log: %w", lerr)
		}
	}
	if err != nil {
		return err
	}
	info.Subject = subject
	for k, v := range claims {
		info.AppendClaims(k, v)
	}
	return nil
}

// userClaims reads the person and builds the claims of the token's scopes.
func (p *Provider) userClaims(ctx context.Context, d tokenData) (map[string]any, error) {
	rec, err := p.reg.Person(ctx, d.PIN, zeroDate)
	if err != nil {
		return nil, fmt.Errorf("oidc: userinfo: read person: %w", err)
	}
	claims, err := p.claimsFor(ctx, rec.Person, d.Scopes)
	if err != nil || d.Organisation == nil || !slices.Contains(d.Scopes, ScopeOrganisation) {
		return claims, err
	}
	maps.Copy(claims, d.Organisation.claims())
	return claims, nil
}

// liveAccessToken returns an unrevoked, unexpired access token whose
// subject matches, from this process's cache when it was read less than
// tokenCacheFor ago (with the claims userinfo built for it then, if any).
func (p *Provider) liveAccessToken(ctx context.Context, tokenID, subject string, now time.Time) (store.OIDCToken, tokenData, map[string]any, error) {
	c, err := p.accessToken(ctx, tokenID, now)
	if err != nil {
		return c.tok, c.data, nil, err
	}
	t, d := c.tok, c.data
	if t.Kind != store.OIDCAccessToken || t.Revoked || d.Subject != subject || !now.Before(t.ExpiresAt) {
		return t, d, nil, oidc.ErrAccessDenied().WithDescription("the token is not valid")
	}
	return t, d, c.claims, nil
}

// accessToken reads a token and its document, through the cache.
func (p *Provider) accessToken(ctx context.Context, tokenID string, now time.Time) (cachedToken, error) {
	if c, ok := p.tokens.get(tokenID, now); ok {
		return c, nil
	}
	gen := p.tokens.generation()
	t, err := p.st.OIDCToken(ctx, tokenID)
	if errors.Is(err, store.ErrNotFound) {
		return cachedToken{}, oidc.ErrAccessDenied().WithDescription("the token is not valid")
	}
	if err != nil {
		return cachedToken{}, err
	}
	var d tokenData
	if err := json.Unmarshal(t.Data, &d); err != nil {
		return cachedToken{}, fmt.Errorf("oidc: stored token: %w", err)
	}
	if t.Kind == store.OIDCAccessToken && !t.Revoked {
		p.tokens.put(gen, t, d, now)
	}
	return cachedToken{tok: t, data: d}, nil
}

// SetIntrospectionFromToken implements op.Storage: a client may introspect
// only its own tokens, and learns whether it is active, its scopes, subject,
// level and times; no attributes.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, d, _, err := s.p.liveAccessToken(ctx, tokenID, subject, s.p.now())
	if err != nil {
		return err
	}
	if t.ClientID != clientID {
		return oidc.ErrAccessDenied().WithDescription("the token is not valid")
	}
	resp.Active = true
	resp.Scope = d.Scopes
	resp.ClientID = t.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Subject = d.Subject
	resp.Audience = []string{t.ClientID}
	resp.Issuer = s.p.Issuer()
	resp.Expiration = oidc.FromTime(t.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(t.CreatedAt)
	resp.AuthTime = oidc.FromTime(d.AuthTime)
	resp.AuthenticationMethodsReferences = d.AMR
	resp.Claims = map[string]any{"acr": acrOf(d.Level)}
	if d.Organisation != nil {
		resp.Actor = &oidc.ActorClaims{Subject: d.Organisation.Actor}
	}
	return nil
}

// GetPrivateClaimsFromScopes implements op.Storage; access tokens are
// opaque, so there are none.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID returns a private_key_jwt client's public key.
func (s *storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	rp, err := s.p.RP(ctx, clientID)
	if err != nil || rp.Status != StatusActive || rp.AuthMethod != AuthPrivateKeyJWT {
		return nil, clientError("unknown client")
	}
	k, ok := rp.publicKey(keyID)
	if !ok {
		return nil, clientError("unknown key")
	}
	return k, nil
}

// ValidateJWTProfileScopes refuses the JWT bearer grant: relying parties
// get tokens only through a citizen's authorization.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("the JWT bearer grant is not supported")
}

// Health implements op.Storage.
func (s *storage) Health(ctx context.Context) error { return s.p.st.Ping(ctx) }

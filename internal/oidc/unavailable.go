package oidc

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/store"
)

// A store that cannot serve now (store.ErrUnavailable: a full disk, a lost
// database) is answered as OAuth says, not as a bug: the authorization
// endpoint redirects to the relying party with error=temporarily_unavailable
// (RFC 6749 §4.1.2.1), and the endpoints that answer JSON (token, userinfo,
// introspection, revocation, keys) answer 503 with Retry-After and the body
// {"error":"temporarily_unavailable"}. The library sees the error as an
// *oidc.Error of that type (unavailableStorage), and guard fixes the status
// of the library's answer (outageWriter), which it would otherwise choose
// from the error type (400, 401 or 403).

// errTemporarilyUnavailable is the OAuth error code of RFC 6749 §4.1.2.1.
const errTemporarilyUnavailable = "temporarily_unavailable"

const unavailableDesc = "the service cannot take the request now and nothing was changed; try again later"

type outageKey struct{}

// outage records that a request met store.ErrUnavailable.
type outage struct{ seen atomic.Bool }

func withOutage(r *http.Request) (*http.Request, *outage) {
	o := &outage{}
	return r.WithContext(context.WithValue(r.Context(), outageKey{}, o)), o
}

// unavailable turns a store outage into the OAuth error clients understand
// and notes it on the request. Any other plain error becomes a server_error
// without a description: the library would otherwise answer its text, which
// names internals, to the client. *oidc.Error values, the client-facing
// clientError and the library's own op.ErrInvalidRefreshToken pass as they are.
func unavailable(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrUnavailable) {
		var oe *oidc.Error
		var ce clientError
		if errors.As(err, &oe) || errors.As(err, &ce) || errors.Is(err, op.ErrInvalidRefreshToken) {
			return err
		}
		return oidc.ErrServerError().WithParent(err)
	}
	if o, ok := ctx.Value(outageKey{}).(*outage); ok {
		o.seen.Store(true)
	}
	return &oidc.Error{ErrorType: errTemporarilyUnavailable, Description: unavailableDesc, Parent: err}
}

// clientError is a plain error whose text is meant for the client, such as
// "unknown client": the library wraps it in its own OAuth error type.
type clientError string

func (e clientError) Error() string { return string(e) }

// outageWriter answers 503 with Retry-After and the OAuth error body in
// place of the library's answer when the request met an outage: its error
// (400, 401, 403), and also a success made of what was left, such as
// introspection's {"active":false} for a token it could not read.
// Redirects pass: they carry the error to the relying party.
type outageWriter struct {
	http.ResponseWriter
	o               *outage
	wrote, replaced bool
}

func (w *outageWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if (code < 300 || code >= 400) && w.o.seen.Load() {
		w.replaced = true
		writeUnavailable(w.ResponseWriter)
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *outageWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *outageWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeUnavailable(w http.ResponseWriter) {
	h := w.Header()
	h.Del("Content-Length")
	h.Del("WWW-Authenticate")
	h.Set("Retry-After", strconv.Itoa(int(api.RetryAfterUnavailable/time.Second)))
	writeOAuthError(w, http.StatusServiceUnavailable, errTemporarilyUnavailable, unavailableDesc)
}

// unavailableStorage is the provider's storage as the library sees it:
// every error passes through unavailable.
type unavailableStorage struct{ *storage }

func (s unavailableStorage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, user string) (op.AuthRequest, error) {
	a, err := s.storage.CreateAuthRequest(ctx, req, user)
	return a, unavailable(ctx, err)
}

func (s unavailableStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	a, err := s.storage.AuthRequestByID(ctx, id)
	return a, unavailable(ctx, err)
}

func (s unavailableStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	a, err := s.storage.AuthRequestByCode(ctx, code)
	return a, unavailable(ctx, err)
}

func (s unavailableStorage) SaveAuthCode(ctx context.Context, id, code string) error {
	return unavailable(ctx, s.storage.SaveAuthCode(ctx, id, code))
}

func (s unavailableStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, exp, err := s.storage.CreateAccessToken(ctx, req)
	return id, exp, unavailable(ctx, err)
}

func (s unavailableStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	id, refresh, exp, err := s.storage.CreateAccessAndRefreshTokens(ctx, req, current)
	return id, refresh, exp, unavailable(ctx, err)
}

func (s unavailableStorage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	r, err := s.storage.TokenRequestByRefreshToken(ctx, token)
	return r, unavailable(ctx, err)
}

func (s unavailableStorage) TerminateSessionFromRequest(ctx context.Context, r *op.EndSessionRequest) (string, error) {
	u, err := s.storage.TerminateSessionFromRequest(ctx, r)
	return u, unavailable(ctx, err)
}

func (s unavailableStorage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	if e := s.storage.RevokeToken(ctx, tokenOrID, userID, clientID); e != nil {
		var oe *oidc.Error
		if errors.As(unavailable(ctx, e.Parent), &oe) {
			return oe
		}
		return e
	}
	return nil
}

func (s unavailableStorage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	u, id, err := s.storage.GetRefreshTokenInfo(ctx, clientID, token)
	return u, id, unavailable(ctx, err)
}

func (s unavailableStorage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, err := s.storage.SigningKey(ctx)
	return k, unavailable(ctx, err)
}

func (s unavailableStorage) KeySet(ctx context.Context) ([]op.Key, error) {
	k, err := s.storage.KeySet(ctx)
	return k, unavailable(ctx, err)
}

func (s unavailableStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.storage.GetClientByClientID(ctx, id)
	return c, unavailable(ctx, err)
}

func (s unavailableStorage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	return unavailable(ctx, s.storage.AuthorizeClientIDSecret(ctx, id, secret))
}

func (s unavailableStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	return unavailable(ctx, s.storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin))
}

func (s unavailableStorage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	return unavailable(ctx, s.storage.SetIntrospectionFromToken(ctx, resp, tokenID, subject, clientID))
}

func (s unavailableStorage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	k, err := s.storage.GetKeyByIDAndClientID(ctx, keyID, clientID)
	return k, unavailable(ctx, err)
}

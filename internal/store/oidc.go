package store

import (
	"context"
	"time"
)

// OIDC keeps the state of the OpenID Connect provider (package oidc) in the
// database, so that several processes serve one issuer: authorization
// requests and their codes, issued tokens, citizens' consents and the
// provider's signing keys. Values that act as credentials (codes, refresh
// tokens) are stored as hashes computed by the caller; the store never sees
// them in the clear.
//
// The writes of an authorization request before its code is exchanged
// (PutOIDCAuthRequest, SetOIDCAuthCode, UseOIDCAuthCode) honour
// WithoutSync: see there.
type OIDC interface {
	// PutOIDCAuthRequest creates an authorization request or replaces the
	// one with the same ID (its Data, ExpiresAt); CodeHash and CodeUsed are
	// left as they are on a replace. A new request may come with its
	// CodeHash (a request completed before it was first written); a code
	// hash already taken is ErrExists.
	PutOIDCAuthRequest(ctx context.Context, r OIDCAuthRequest) error
	// OIDCAuthRequest returns a request by ID, or ErrNotFound (also once it
	// has expired).
	OIDCAuthRequest(ctx context.Context, id string) (OIDCAuthRequest, error)
	// SetOIDCAuthCode attaches the hash of the request's code, and replaces
	// its Data in the same write when data is not nil (the sign-in that
	// completed it): ErrNotFound if there is no such live request, ErrExists
	// if it already has a code.
	SetOIDCAuthCode(ctx context.Context, id, codeHash string, data []byte) error
	// UseOIDCAuthCode marks the code used and returns its request, atomically:
	// of any number of concurrent callers exactly one gets nil. A code used
	// before returns the request and ErrConflict (so that the caller can
	// revoke what the first use issued); an unknown or expired code returns
	// ErrNotFound.
	UseOIDCAuthCode(ctx context.Context, codeHash string) (OIDCAuthRequest, error)

	// PutOIDCToken records an issued token; ErrExists if the ID is taken.
	PutOIDCToken(ctx context.Context, t OIDCToken) error
	// OIDCToken returns a token by ID, revoked or not, or ErrNotFound once
	// it has expired.
	OIDCToken(ctx context.Context, id string) (OIDCToken, error)
	// OIDCTokenByRefresh returns the token holding a refresh-token hash, or
	// ErrNotFound.
	OIDCTokenByRefresh(ctx context.Context, refreshHash string) (OIDCToken, error)
	// UseOIDCRefreshToken marks a refresh token used (rotated), atomically:
	// ErrConflict if it was used or revoked before, ErrNotFound if unknown.
	UseOIDCRefreshToken(ctx context.Context, refreshHash string) error
	// RevokeOIDCTokens revokes every live token matching q (every set field
	// must match; at least one must be set) and returns how many it revoked.
	RevokeOIDCTokens(ctx context.Context, q OIDCTokenQuery) (int64, error)

	// PutOIDCConsent records a consent, replacing the account's earlier
	// consent to the same client.
	PutOIDCConsent(ctx context.Context, c OIDCConsent) error
	// OIDCConsent returns an account's consent to a client, or ErrNotFound.
	OIDCConsent(ctx context.Context, accountID, clientID string) (OIDCConsent, error)
	// OIDCConsents lists an account's consents ordered by client ID.
	OIDCConsents(ctx context.Context, accountID string) ([]OIDCConsent, error)
	// DeleteOIDCConsent removes a consent, or returns ErrNotFound.
	DeleteOIDCConsent(ctx context.Context, accountID, clientID string) error

	// AddOIDCKey stores a signing key unless one with its ID exists, and
	// returns the key stored afterwards: processes that generate a key for
	// the same rotation period at once agree on one.
	AddOIDCKey(ctx context.Context, k OIDCKey) (OIDCKey, error)
	// OIDCKeys returns the keys still published (PublishUntil in the
	// future), newest (CreatedAt) first.
	OIDCKeys(ctx context.Context) ([]OIDCKey, error)

	// PurgeOIDC deletes requests and tokens that expired before the given
	// time and keys no longer published, and returns how many rows went.
	PurgeOIDC(ctx context.Context, before time.Time) (int64, error)
}

// OIDCAuthRequest is an authorization request from the moment a relying
// party sends the browser until its code is exchanged (or expires). Data is
// package oidc's document.
type OIDCAuthRequest struct {
	ID        string
	ClientID  string
	CodeHash  string // "" until a code is issued
	CodeUsed  bool
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Token kinds.
const (
	OIDCAccessToken  = "access"
	OIDCRefreshToken = "refresh"
)

// OIDCToken is an issued access or refresh token. GrantID ties together the
// tokens that descend from one authorization (its request ID), so that a
// replayed code or refresh token revokes them all.
type OIDCToken struct {
	ID          string
	Kind        string // OIDCAccessToken or OIDCRefreshToken
	GrantID     string
	ClientID    string
	AccountID   string
	RefreshHash string // refresh tokens only
	Data        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Used        bool // a refresh token that was rotated
	Revoked     bool
}

// OIDCTokenQuery selects tokens to revoke.
type OIDCTokenQuery struct {
	ID        string
	GrantID   string
	ClientID  string
	AccountID string
}

// OIDCConsent is a citizen's agreement to release a set of scopes to a
// relying party.
type OIDCConsent struct {
	AccountID string
	ClientID  string
	Scopes    []string // sorted
	GrantedAt time.Time
}

// OIDCKey is one of the provider's signing keys. It signs until SignUntil
// and stays in the published key set until PublishUntil, so that tokens it
// signed keep verifying until they expire.
type OIDCKey struct {
	ID           string
	Algorithm    string
	PrivateJWK   []byte
	CreatedAt    time.Time
	SignUntil    time.Time
	PublishUntil time.Time
}

type withoutSyncKey struct{}

// WithoutSync marks ctx for OIDC writes that may commit without waiting for
// the disk (SQLite synchronous=NORMAL for that commit, PostgreSQL
// synchronous_commit=off for that transaction). Such a commit is atomic and
// at once visible to every process, like any other; only a crash of the
// machine (SQLite) or of the database server (PostgreSQL) within a moment
// of it may lose it, and then no later commit survives either: both
// databases write one log in order, and a synced commit makes every commit
// before it durable. The provider uses it only for the states of an
// authorization request before tokens exist: losing one means the citizen
// signs in again, and the token issued from a code is committed with a sync,
// which makes the code's use durable with it.
func WithoutSync(ctx context.Context) context.Context {
	return context.WithValue(ctx, withoutSyncKey{}, true)
}

// SyncSkipped reports whether ctx was marked by WithoutSync.
func SyncSkipped(ctx context.Context) bool {
	v, _ := ctx.Value(withoutSyncKey{}).(bool)
	return v
}

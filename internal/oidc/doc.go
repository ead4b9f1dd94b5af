// Package oidc is dancu's OpenID Connect provider for relying parties: the
// public-service portal, banks, hospitals. It is built on
// github.com/zitadel/oidc/v3's op package, which speaks the protocol
// (discovery, authorization code flow, token, userinfo, introspection,
// revocation, RP-initiated logout); this package supplies what is dancu's:
//
//   - relying parties registered by an administrator (rp.go): exact redirect
//     URIs, client authentication by private_key_jwt or client_secret_basic
//     (secrets stored as hashes), allowed scopes, the assurance level they
//     require, a display name and a stated purpose;
//   - the provider's state in the store (storage.go), so that several
//     processes serve one issuer: authorization requests, single-use codes,
//     tokens, consents and signing keys (keys.go, rotated, old keys published
//     until what they signed has expired);
//   - sign-in through the citizens' portal (a Sessions interface) and the
//     consent page (login.go), with PKCE S256 required and the level the
//     relying party asked for enforced;
//   - the release of registry attributes by scope (claims.go), with pairwise
//     subjects by default, each release recorded in the access log before it
//     is answered;
//   - signing in as an organisation (organisation.go, scope organisation):
//     the citizen acts for an organisation they represent, which is the
//     subject, with the citizen as the actor (act) and a consent of its own;
//   - the pages drawn in the citizens' portal's layout (a Layout), so that
//     sign-in and consent look like one site.
package oidc

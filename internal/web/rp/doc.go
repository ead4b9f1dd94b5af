// Package rp is the console's section for the relying parties of the
// OpenID Connect provider, under /console/rp/: national administrators
// (staff.ManageConnections) and the bootstrap administrator register a
// party (exact redirect URIs, client authentication by private_key_jwt
// with a pasted JWK Set or client_secret_basic with a generated secret
// shown once, allowed scopes, required level, display name and purpose),
// disable and enable it, replace its keys or its secret.
//
// The pages are a web.Section: the console handles the session, the role
// check, CSRF, the layout and the language; package oidc checks every
// registration and this package shows its reasons under the form.
package rp

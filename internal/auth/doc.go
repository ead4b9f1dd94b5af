// Package auth says who is calling: it verifies the bootstrap administrator
// token (kept only as a hash), issues and checks signed console session
// cookies, and carries the authenticated Principal in a request's context.
//
// Session cookies are signed with a key kept in the store, so several dancu
// processes sharing a database accept each other's sessions without shared
// memory. Staff accounts and agency clients build on the same Principal.
package auth

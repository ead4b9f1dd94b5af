// Package exchange connects agencies' systems to the registry: the
// connected agencies and their API clients, the purpose-bound grants that
// say which fields each agency may read, the OAuth 2.0 token endpoint where
// clients authenticate with private_key_jwt (RFC 7523), and the lookup API
// (one person, a batch, a yes/no check of attributes) that applies those
// grants and records every access before it answers.
//
// Agencies, clients and grants are documents in the store's Directory, so
// several dancu processes sharing one database agree on them at once: a
// disabled client's tokens stop working on the next request anywhere, and a
// replayed client assertion is refused whichever process sees it.
//
// Policy evaluation (Evaluate) is a pure function: deny by default, and a
// grant of one agency never serves another.
package exchange

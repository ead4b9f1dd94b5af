// Package credential holds the credential primitives shared by the
// officers' accounts (package staff) and the citizens' accounts (package
// eid): argon2id password hashes in PHC strings, RFC 6238 TOTP codes and
// their enrolment URIs, and the lock-out policy of growing delays. It keeps
// no state; the account packages store hashes, secrets and failure counts.
//
// # Password hashing
//
// Passwords are hashed with argon2id (RFC 9106) and stored as PHC strings
// ($argon2id$v=19$m=19456,t=2,p=1$salt$hash) that carry their parameters,
// so the costs can be raised later: VerifyPassword says when a hash was
// made with other parameters than the caller's current ones, and the
// caller stores a fresh hash while it has the password in hand.
//
// DefaultParams are m = 19 MiB, t = 2, p = 1, the first of the settings
// OWASP's Password Storage Cheat Sheet recommends for argon2id, chosen for
// the 2-core server the deployment sizes for (see package staff's doc and
// BENCHMARKS.md for the reasoning and the measured rate). At most two
// hashes run at once in a process (hashSlots): each holds its memory for
// its duration, and a burst of sign-ins or guesses must neither exhaust
// memory nor take both cores from the registry.
//
// # TOTP
//
// RFC 6238 with SHA-1, 6 digits and 30-second steps, the settings every
// authenticator app supports, accepting one step either side of now for
// clock drift. MatchTOTP returns the step that matched so that the caller
// can record it as spent.
package credential

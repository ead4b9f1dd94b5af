// Package staff owns the accounts of the officers and administrators who
// use the console: their passwords and TOTP second factor, sign-in with
// lock-out, and roles scoped to administrative units, with the pure
// function Authorize that decides every staff action.
//
// Accounts are documents of kind "staff" in a store.Directory, keyed by the
// lower-cased username, and written with the directory's version check, so
// that several dancu processes can share them (failed-attempt counts stay
// exact under concurrent sign-ins). A TOTP code, once accepted, is recorded
// with Directory.UseNonce and refused a second time by every process.
//
// # Password hashing
//
// The hashing, TOTP and lock-out primitives live in package credential,
// shared with the citizens' accounts of package eid; this package chooses
// its own parameters and policy.
//
// Passwords are hashed with argon2id (RFC 9106) and stored as PHC strings
// ($argon2id$v=19$m=19456,t=2,p=1$salt$hash) that carry their parameters, so
// the costs can be raised later: a hash made with other parameters than
// DefaultParams is replaced at the next successful sign-in.
//
// DefaultParams are m = 19 MiB, t = 2, p = 1, the first of the settings OWASP's
// Password Storage Cheat Sheet recommends for argon2id. They are chosen for
// the 2-core server the deployment sizes for:
//
//   - Memory is the cost that hurts GPU and ASIC guessing; 19 MiB per hash
//     makes a GPU hold a fraction of the guesses in flight it could with a
//     fast hash, while two sign-ins at once (hashSlots bounds it to two)
//     take under 40 MiB from a server that also runs the registry.
//   - One lane (p = 1): on two cores, lanes would make one sign-in faster
//     only by taking the core another request needs; the attacker's cost is
//     the same.
//   - Two passes bring the time per hash to tens of milliseconds on one
//     core (see BENCHMARKS.md, "Staff sign-in"), which an officer does not
//     notice once a day and which caps guessing at a few dozen a second per
//     core even before the lock-out.
//
// Stronger settings (RFC 9106's m = 64 MiB, t = 3, p = 4) would take about
// a third of a second of both cores per sign-in on that server, letting a
// burst of sign-ins at the start of the working day stall the registry.
//
// # TOTP
//
// RFC 6238 with SHA-1, 6 digits and 30-second steps, the settings every
// authenticator app supports, accepting one step either side of now for
// clock drift. Enrolment shows the otpauth:// URI and the base32 secret for
// typing into the app; the console shows no QR code, since drawing one
// needs a library and the page's Content-Security-Policy allows no data:
// images. The secret is stored in clear in the directory, as it must be
// readable to check codes.
//
// # Lock-out
//
// After 5 consecutive failures (wrong password, wrong or reused code) an
// account is locked for 1 minute, doubling with each further failure up to
// an hour. Attempts while locked are refused unchecked and not counted.
// A successful sign-in or a reset clears the count.
package staff

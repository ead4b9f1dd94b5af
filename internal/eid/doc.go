// Package eid owns citizens' electronic identification accounts (Decree
// 69/2024): registration at level 1 checked against the registry, the
// password and second factor (an authenticator app's TOTP code or a code
// sent by SMS), sessions shared by every process through the database,
// lock-out, the events of each account shown to its holder, children under
// 14 shown under a parent, level 2 raised by an officer after an in-person
// chip-card check, recovery in person, and organisations' accounts
// registered by their legal representative.
//
// # Organisations
//
// An organisation's account (id "O" and its tax code's digits) has no
// credentials of its own: its legal representative, a citizen with a
// level-2 account, acts for it (package oidc's scope organisation asks
// Represented at every sign-in and refresh). When the organisation changes
// its representative, an officer checks the new one in person with the chip
// card and the document of the change (HandOver): the former one loses the
// organisation at once, and Grants revokes what relying parties hold for it.
// Its representative (CloseOrganisation) or an officer on a document
// (CloseOrganisationByOfficer) closes the account for good: disabled, marked
// closed, its sessions ended and its grants revoked. CheckTaxCode checks a
// tax code's check digit at registration; lookups take any well-formed code.
//
// # The contract other packages use
//
// (*Service).Current(r) returns the signed-in Citizen of a request (account
// id, PIN, level, session id, authentication time and methods). A package
// that needs a signed-in citizen and finds none redirects the browser to
// /portal/signin?next=<url.QueryEscape(r.URL.RequestURI())>; the portal
// sends it back to next (local paths only) after sign-in. The session
// cookie (CookieName) is HttpOnly, SameSite=Lax, path /, and Secure over
// TLS; its value is a random secret of which the database keeps only a hash.
//
// # Registration: no existence oracle
//
// StartRegistration takes PIN, full name, date of birth and phone, and
// answers with the id of the code step whether or not they match a living
// person of 14 or over on record with that phone and no account: a code is
// sent only when they do, and the code step fails the same way for a step
// that matched and one that did not. The code goes out asynchronously, so
// the answer takes as long either way. Attempts are rate limited per source
// address (10 an hour) and per PIN (5 a day), counted whether or not the
// details match. Only malformed input and the rate limit answer otherwise,
// and they answer so for every PIN.
//
// # Sign-in and lock-out
//
// A PIN and password, then a second factor. Failures (wrong password, wrong
// code) count per account (locked from the 5th consecutive failure for 1
// minute, doubling to an hour) and per source address (from the 20th, since
// many people share an address behind carrier-grade NAT; IPv6 counts per
// /64). Attempts while locked are refused unchecked and not counted. An
// unknown PIN takes as long as a wrong password (a dummy hash is verified).
// Each failure, lock, sign-in, new kind of browser and password change is an
// event the citizen sees. A TOTP code is accepted once only, by any process
// (store.Directory.UseNonce).
//
// The counters, the code steps and the sign-ins waiting for a second factor
// are short-lived records in the store (store.EID's transient records),
// written with a version check, so several processes count exactly.
//
// # Passwords
//
// argon2id through package credential, with the parameters of the
// configuration (eid.password_memory_kib, _time, _threads; by default 19 MiB,
// 2 passes, 1 lane, OWASP's first recommendation). A hash made with other
// parameters is replaced at the next sign-in. BENCHMARKS.md ("Citizens'
// sign-in") reports the rate these allow on the 2-core server.
//
// # Logging
//
// Logs carry account ids, step ids and officer ids only: never a PIN, a
// name, a phone number, a code or a password.
package eid

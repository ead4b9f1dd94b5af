// Package eidweb is the console section for citizens' electronic
// identification (/console/eid/): after checking a person and their chip ID
// card in person, an officer raises the person's account to level 2, or
// recovers it (a temporary password shown once, the authenticator removed,
// every session ended); or looks an account up for a citizen at the counter
// (level, authenticator, lock, latest events). The officer, the station and the card are recorded
// on the account and shown to the citizen; the officer's read of the
// record is in the access log. Registrars may check people residing in
// their units (staff.VerifyIdentity); national administrators anyone.
package eidweb

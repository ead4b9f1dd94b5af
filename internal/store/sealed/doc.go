// Package sealed keeps a store's documents encrypted at rest. New wraps any
// store.Store (SQLite, PostgreSQL) and seals, with package seal, every
// document that can carry a sensitive value on its way in, and opens it on
// its way out; callers see the same store. It is the one place that knows
// which documents are sealed, so the backends stay unaware of encryption.
//
// Sealed: person and household versions, life events (request and result),
// outbox messages, linked-dataset records (the health book among them) and
// their content hashes (replaced by a keyed blind index), chip data groups
// (DG1, DG2 — the portrait —, DG13) and EF.SOD, dossiers and their
// attachments, eID accounts, sessions, account events and transient
// records, OpenID Connect requests and tokens, and the provider's private
// signing keys.
//
// Not sealed: the columns the stores search and order on (PIN, name keys,
// birth date, sex, place codes, state, household ids, dates, statuses),
// which are not among the sensitive values; the access log, whose leaves
// hold who read which fields of whom but no values, and must stay as they
// were hashed into the Merkle tree; the directory of agencies; the
// verification jobs' counts; duplicate candidates' evidence (levels and
// weights, no values).
//
// Each sealed document is bound (as GCM's additional data) to its table
// and its row's key, so a document copied into another row fails to open.
// A person's documents are bound to the PIN and not the version, because
// verification reads the current document without its version.
//
// The wrapper embeds the backend, so a store method it does not declare
// passes through in clear. TestWrapperCoversEveryDocument fails for any
// store method that can carry bytes unless the wrapper declares it or the
// test's reviewed pass-through list names it with its reason.
package sealed

// Package audit keeps the access log: every use of a person's data by anyone
// but the person — agency lookups, dataset reads, feed deliveries, officer
// views and events — as an entry in an append-only Merkle tree (RFC 6962
// hashing) with signed checkpoints, so that a citizen can list who used their
// data and check each entry's inclusion proof without trusting the server.
//
// Handlers depend only on the Recorder interface; the Log behind it batches
// appends (group commit: concurrent Record calls share one transaction) and
// answers each caller once its entry is durable.
//
// Entries. A leaf is a canonical, versioned serialisation of an Access (see
// leafV1): the person appears only as a keyed pseudonym, the first 16 bytes
// of HMAC-SHA256 of the PIN under a key generated at first start and kept in
// the store's settings; the store indexes entries by that pseudonym so that
// one person's accesses can be listed. That person index is derived data,
// kept out of the append: an entry is answered once it and its tree hashes
// are durable, and a background indexer adds entries to the index later in
// large batches in pseudonym order (random inserts per append cost about one
// dirty index page per entry). Listings read the index and scan the short
// unindexed tail, so they are complete at any moment, after a crash too; a
// restart catches the index up, and Verify checks it against the entries.
// The tree is built with
// golang.org/x/mod/sumdb/tlog, whose stored hashes are kept in the store, so
// proofs for a log of any size read O(log n) hashes and never recompute from
// leaves. Cost per entry: Record encodes the leaves of a call's accesses
// that differ only in the person (a bulk job's batch) from one template,
// written without reflection, and computes pseudonyms with a pooled keyed
// HMAC state.
//
// Checkpoints are C2SP signed notes (c2sp.org/tlog-checkpoint) signed with an
// Ed25519 note key, generated at first start and kept in the store settings
// (in clear for now; encrypting it at rest is a later issue). The origin line
// is the key's name. A checkpoint is signed only after the leaves added since
// the previous one were read back (as one concatenated value per chunk,
// store.AccessLeaves), re-hashed and matched, and a consistency proof from
// the previous checkpoint checked out; Verify re-derives the whole tree from
// the entries.
//
// Writers. A Log keeps the right edge of the tree in memory, and the store
// refuses an append whose first index is not the current size
// (store.ErrConflict), so a second writer can never fork the log. When
// another process appended first — an operator's command such as
// dancu dataset upload, or a second server — the batch is re-hashed on top of
// what the store now holds and tried again, so several writers are correct,
// only slower when they contend. Signing needs no lease for correctness
// either: a signer re-checks everything since the previous checkpoint. When
// several processes share PostgreSQL (issue 10), the writer and signer are to
// run under a lease so that they do not contend.
package audit

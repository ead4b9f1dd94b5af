// Package postgres implements the storage interfaces of package store on
// PostgreSQL (15 or later), for deployments where several dancu processes
// share one database.
//
// # Schema and migrations
//
// The schema lives in migrations/NNNN_name.sql, embedded in the binary. Open
// applies the ones not yet recorded in schema_migrations, each in its own
// transaction, in version order, and never rewrites or reverses one. It holds
// a session advisory lock while it does, so that several processes starting
// at once migrate the database exactly once between them.
//
// Records are kept twice over, as in the SQLite backend: persons and households
// hold one row per key with the index columns of the current version, and
// person_versions and household_versions hold every version with its document
// and the change that produced it. Key and index columns use COLLATE "C", so
// that ordering and range scans are bytewise and agree with the SQLite backend
// whatever the database's default collation.
//
// # Transactions
//
// Update runs its function in a READ COMMITTED transaction. Tx.Person and
// Tx.Household lock the key row (SELECT ... FOR UPDATE) before reading the
// current version, so the version read is the latest committed one and stays
// current until the transaction ends; PutPerson and PutHousehold check the
// version in the same statement that writes it, and a lost race comes back as
// store.ErrConflict without aborting the transaction. Update retries the whole
// function, with jittered backoff, after store.ErrConflict, a serialization
// failure (SQLSTATE 40001) or a deadlock (40P01).
//
// # Sequence numbers in commit order
//
// Consumers of the outbox and of the event list read "everything after Seq N",
// so a Seq must never become visible after a higher one has: a plain sequence
// does not ensure that, since a transaction can draw 5, draw nothing more, and
// commit after another has drawn and committed 6. PutEvent, AppendOutbox and the
// loader therefore take a transaction-level advisory lock (pg_advisory_xact_lock
// on seqLockKey) immediately before drawing a Seq. The lock is released only
// after the commit has become visible, so the next Seq is drawn after every
// lower one is readable (or rolled back, leaving a harmless gap).
//
// The price is that writers that append events or outbox rows are serialised
// from that point until their commit: throughput of such transactions is bounded
// by one commit (a WAL flush) at a time, a few thousand per second on ordinary
// disks, far above the rate of life events. To keep the locked window short,
// callers should record the event and its outbox rows last in the transaction,
// after their reads and version writes. A transaction that takes the lock and
// then waits for a row another lock holder wants can deadlock; PostgreSQL
// detects it and Update retries.
//
// # Bulk loading
//
// NewLoader writes with COPY, one transaction per Load, rows sorted by key.
// When the persons table is empty at NewLoader, it drops the secondary
// (non-unique) indexes of the registry tables and the primary keys of the two
// version tables, recording their definitions in deferred_indexes, and Close
// builds them again, each in one sorted pass instead of one random B-tree
// insertion per row. The primary keys of persons and households and the unique
// event id stay, so a reused key is still reported as store.ErrExists at Load;
// they also keep (key, version) unique, because a version row is only written
// with its key row. Until Close, reads by key of a freshly loaded registry scan
// the version tables: fine for the first load, which nothing else reads.
//
// A loader holds a shared advisory lock (loaderLockKey) on a connection of its
// own while open; the process that closes the last loader, or Open after a
// crash left indexes missing, rebuilds them under the exclusive lock. Several
// loaders may run at once, in one process or several, to load in parallel.
//
// Load takes the sequence lock before it COPYs the batch's events, so event
// writers wait for the rest of that Load; keep batches of events to a few
// thousand rows when loading into a registry that is in service.
//
// # Advisory lock keys
//
// The keys this package uses are the constants migrateLockKey, seqLockKey and
// loaderLockKey, all in the range 0x64616e6375000000 ("dancu" followed by three
// bytes); other packages taking advisory locks on the same database should stay
// out of it.
//
// # Personal data
//
// Errors returned by this package name the operation and, for database errors,
// the SQLSTATE and constraint, never a key or value: PostgreSQL's messages can
// quote the offending value, so they are not passed on for data and integrity
// errors.
package postgres

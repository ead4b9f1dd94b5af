// Package sqlite implements the storage interfaces of package store on an
// embedded SQLite database, the default store: one binary and one data folder
// run everything. It uses the pure-Go driver modernc.org/sqlite, so dancu
// builds without cgo.
//
// # Connections
//
// A Store opens the file twice over. The writer is a pool of exactly one
// connection, which every write uses (Update, the bulk loader, settings): SQLite
// admits one writer at a time, and queueing writers in database/sql is cheaper
// than letting them contend for the file lock. Its transactions begin
// IMMEDIATE, taking the write lock before the first read, so a transaction
// never has to upgrade a read lock and fail. The readers are a pool of several
// query_only connections; in WAL mode they run beside the writer and each
// other, and each statement sees the last commit as of its start.
//
// Pragmas are set in the DSN, so that every connection a pool opens gets them:
// WAL, foreign_keys, a busy timeout, and on the writer synchronous=FULL, which
// syncs the WAL at every commit: once Update returns, the write survives a
// kill -9 and a power loss. Several processes may open one file; the busy
// timeout and Update's retries cover the moments another holds the write lock.
//
// # Schema and migrations
//
// The schema lives in migrations/NNNN_name.sql (and the access log's file's in
// access_migrations/), embedded in the binary. Open
// applies the ones not yet recorded in schema_migrations, each in its own
// transaction, in version order, and never rewrites or reverses one.
//
// persons and households hold one row per key ever used, with the current
// version's number, the index columns searches use, and cur, the rowid of the
// current version's row. person_versions and household_versions hold every
// version, the current one too, with its document and the change that produced
// it: a document is stored once. persons is a rowid table with a UNIQUE PIN,
// so that rows, like version rows, are appended in rowid order whatever their
// key, and the only structure a bulk load writes in random order is the
// compact index of PINs. Reading a current person is three B-tree searches
// (PIN, row, version); history and as-of reads use the (key, version) index.
//
// Files use 8 KiB pages. The readers map the file into memory (mmap_size), so
// a page-cache miss costs no system call.
//
// Searches pick their index themselves (see searchSQL) so that rows come out
// of the index in the documented order and a page costs what it returns, not
// what matches.
//
// Times are stored as Unix nanoseconds in UTC and come back exactly; the zero
// time is stored as NULL. Only times between the years 1678 and 2262 can be
// stored. A nil document comes back nil, and so does an empty one: the driver
// reads a zero-length blob as NULL.
//
// # Bulk loading
//
// NewLoader returns the bulk path used by dancu generate. Each Load is one
// transaction of multi-row INSERT OR ROLLBACK statements (no statement
// journal), prepared once per loader, with rows sorted by key; version rowids
// are assigned by the loader, so nothing is read back. The writer's page cache
// grows with the index of PINs during a load and shrinks back at Close.
//
// When the registry holds no person at NewLoader, the loader drops the
// secondary indexes of the registry tables, recording their definitions in
// deferred_indexes in the same transaction. If no other connection has the
// file open, it then leaves WAL mode for a rollback journal until Close, so
// that each new page is written once rather than to the WAL and again by a
// checkpoint (Store.leaveWAL); otherwise it commits its batches with
// synchronous=NORMAL (the writer connection is set back to FULL after each
// batch). Close builds the indexes again, one sorted pass each, in
// transactions that commit with FULL, and goes back to WAL. Primary keys and UNIQUE columns stay, so
// a reused PIN, household id or event id is still store.ErrExists. If the
// process dies during a load, the next Open builds the missing indexes before
// doing anything else. A dancu serve started on the same file during a load
// would do the same and slow the load down: start it after generate ends.
//
// # The access log's file
//
// The access log (store.AccessLog) lives in a file of its own beside the
// registry's (AccessLogPath: dancu.db keeps it in dancu-access.db), with its
// own schema (access_migrations/), writer and read pool. Every logged read
// commits an entry, so in one file those commits queued behind registry
// writes, and each emptied the page caches of the registry's readers. No
// transaction spans both files: an entry is appended after the read it
// records, and an event's entries after its commit. Open moves a log left in
// the registry's file by an older version (moveAccessLog) before migration
// 0016 drops it there.
//
// # Backups
//
// Backup writes an online, consistent snapshot of each file with VACUUM
// INTO, the access log first; Restore puts both back.
//
// # Personal data
//
// Errors name the operation, never a key or a value. SQLite's own messages
// name tables and columns, not values, so they are passed on.
package sqlite

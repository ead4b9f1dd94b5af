-- The access log's own file (package audit): entries, the Merkle tree's
-- stored hashes, the signed checkpoints and the person index. It lives
-- apart from the registry's file so that its commits, one per group of
-- logged reads, neither wait behind registry writes nor empty the page
-- caches of the registry's readers. Rows are only ever inserted, except the
-- state rows and the last, partial hash block, which grow with each append.
-- (Until migration 0016 of the registry's file, these tables lived there;
-- Open moves them here.)

-- One row per entry. person is the keyed pseudonym of the person, never the
-- PIN; data is the Merkle leaf, hashed into the tree as it is.
CREATE TABLE access_log (
	idx    INTEGER NOT NULL PRIMARY KEY,
	person BLOB    NOT NULL,
	data   BLOB    NOT NULL
) STRICT;

-- The stored hashes (golang.org/x/mod/sumdb/tlog numbering) in blocks of
-- 256 consecutive hashes of 32 bytes: two hashes per entry would otherwise
-- be two rows per entry.
CREATE TABLE access_hashes (
	block  INTEGER NOT NULL PRIMARY KEY,
	hashes BLOB    NOT NULL
) STRICT;

-- The size of the log and the number of stored hashes as of the last
-- append, so that a deleted entry cannot pass for a shorter log.
CREATE TABLE access_log_state (
	id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	size       INTEGER NOT NULL,
	hash_count INTEGER NOT NULL
) STRICT;
INSERT INTO access_log_state (id, size, hash_count) VALUES (1, 0, 0);

CREATE TABLE access_checkpoints (
	size      INTEGER NOT NULL PRIMARY KEY,
	root      BLOB    NOT NULL,
	note      BLOB    NOT NULL,
	signed_at INTEGER NOT NULL
) STRICT;

-- The person index, derived data maintained in large batches in pseudonym
-- order (store.AccessLog.IndexAccesses) rather than by every append;
-- access_index_state says how far it reaches. WITHOUT ROWID: the key is the
-- whole row, so the index is one B-tree.
CREATE TABLE access_person (
	person BLOB    NOT NULL,
	idx    INTEGER NOT NULL,
	PRIMARY KEY (person, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE access_index_state (
	id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	indexed INTEGER NOT NULL
) STRICT;
INSERT INTO access_index_state (id, indexed) VALUES (1, 0);

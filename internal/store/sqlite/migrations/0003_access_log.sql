-- The access log (package audit): entries, the Merkle tree's stored hashes
-- and the signed checkpoints. Rows are only ever inserted, except the one
-- state row and the last, partial hash block, which grow with each append.

-- One row per entry. person is the keyed pseudonym of the person, never the
-- PIN; data is the Merkle leaf, hashed into the tree as it is.
CREATE TABLE access_log (
	idx    INTEGER NOT NULL PRIMARY KEY,
	person BLOB    NOT NULL,
	data   BLOB    NOT NULL
) STRICT;

-- The data tracker lists one person's entries, newest first.
CREATE INDEX access_log_person ON access_log (person, idx);

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

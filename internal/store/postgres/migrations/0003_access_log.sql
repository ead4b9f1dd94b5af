-- 0003_access_log: the access log (package audit): entries, the Merkle
-- tree's stored hashes and the signed checkpoints. Rows are only ever
-- inserted, except the one state row and the last, partial hash block,
-- which grow with each append.

-- One row per entry. person is the keyed pseudonym of the person, never the
-- PIN; data is the Merkle leaf, hashed into the tree as it is.
CREATE TABLE access_log (
    idx    bigint PRIMARY KEY,
    person bytea NOT NULL,
    data   bytea NOT NULL
);

-- The data tracker lists one person's entries, newest first.
CREATE INDEX access_log_person ON access_log (person, idx);

-- The stored hashes (golang.org/x/mod/sumdb/tlog numbering) in blocks of 256
-- consecutive hashes of 32 bytes.
CREATE TABLE access_hashes (
    block  bigint PRIMARY KEY,
    hashes bytea NOT NULL
);

-- The size of the log and the number of stored hashes as of the last append,
-- so that a deleted entry cannot pass for a shorter log. Appends lock this
-- row, which also orders concurrent writers.
CREATE TABLE access_log_state (
    id         integer PRIMARY KEY CHECK (id = 1),
    size       bigint NOT NULL,
    hash_count bigint NOT NULL
);
INSERT INTO access_log_state (id, size, hash_count) VALUES (1, 0, 0);

CREATE TABLE access_checkpoints (
    size      bigint PRIMARY KEY,
    root      bytea NOT NULL,
    note      bytea NOT NULL,
    signed_at timestamptz NOT NULL
);

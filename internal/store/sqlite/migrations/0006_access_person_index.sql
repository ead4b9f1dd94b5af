-- The person index of the access log becomes derived data, maintained in
-- large batches in pseudonym order (store.AccessLog.IndexAccesses) instead
-- of one random B-tree insert per entry inside every append, which cost
-- about one dirty index page per entry per commit. access_index_state says
-- how far it reaches; entries at or beyond that point are found by
-- scanning the (short) tail of access_log.

-- WITHOUT ROWID: the key is the whole row, so the index is one B-tree.
CREATE TABLE access_person (
	person BLOB    NOT NULL,
	idx    INTEGER NOT NULL,
	PRIMARY KEY (person, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE access_index_state (
	id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	indexed INTEGER NOT NULL
) STRICT;

-- Entries already logged are indexed now, so that the tail starts short.
INSERT INTO access_person (person, idx)
	SELECT person, idx FROM access_log
	WHERE idx < (SELECT size FROM access_log_state WHERE id = 1)
	ORDER BY person, idx;
INSERT INTO access_index_state (id, indexed)
	SELECT 1, size FROM access_log_state WHERE id = 1;

DROP INDEX access_log_person;

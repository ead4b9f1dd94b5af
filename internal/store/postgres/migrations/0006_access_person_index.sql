-- 0006_access_person_index: the person index of the access log becomes
-- derived data, maintained in large batches in pseudonym order
-- (store.AccessLog.IndexAccesses) instead of one random B-tree insert per
-- entry inside every append. access_index_state says how far it reaches;
-- entries at or beyond that point are found by scanning the (short) tail of
-- access_log.

CREATE TABLE access_person (
    person bytea  NOT NULL,
    idx    bigint NOT NULL,
    PRIMARY KEY (person, idx)
);

-- Its own row, not a column of access_log_state: appends lock that row, and
-- the indexer must not wait for them (nor they for it).
CREATE TABLE access_index_state (
    id      integer PRIMARY KEY CHECK (id = 1),
    indexed bigint NOT NULL
);

-- Entries already logged are indexed now, so that the tail starts short.
INSERT INTO access_person (person, idx)
    SELECT person, idx FROM access_log
    WHERE idx < (SELECT size FROM access_log_state WHERE id = 1)
    ORDER BY person, idx;
INSERT INTO access_index_state (id, indexed)
    SELECT 1, size FROM access_log_state WHERE id = 1;

DROP INDEX access_log_person;

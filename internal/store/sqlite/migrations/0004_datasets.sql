-- 0004_datasets: the linked datasets that connected agencies keep in sync
-- with the registry (package dataset owns the documents' schemas).
--
-- dataset_records holds one row per (dataset, record key): the agency's
-- current record, linked to a person by PIN. hash is the content hash the
-- upsert compares, so that a repeated upload rewrites nothing; version counts
-- changes of content and tells an insert (1) from an update in RETURNING.
-- WITHOUT ROWID keeps each record in its primary-key B-tree: the documents
-- are small, and an upsert then costs one B-tree search rather than two.
CREATE TABLE dataset_records (
    dataset    TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    pin        TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    hash       BLOB    NOT NULL,
    updated_at INTEGER NOT NULL, -- Unix nanoseconds, UTC
    data       BLOB    NOT NULL,
    PRIMARY KEY (dataset, key)
) STRICT, WITHOUT ROWID;

-- Reads of a person's records and the coverage count go by (dataset, pin).
CREATE INDEX dataset_records_pin ON dataset_records (dataset, pin);

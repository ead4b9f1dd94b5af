-- 0004_datasets: the linked datasets that connected agencies keep in sync
-- with the registry (package dataset owns the documents' schemas).
--
-- dataset_records holds one row per (dataset, record key): the agency's
-- current record, linked to a person by PIN. hash is the content hash the
-- upsert compares, so that a repeated upload rewrites nothing (and leaves no
-- dead tuple behind); version counts changes of content and tells an insert
-- (1) from an update in RETURNING.
CREATE TABLE dataset_records (
    dataset    text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    pin        text COLLATE "C" NOT NULL,
    source     text COLLATE "C" NOT NULL,
    version    bigint NOT NULL,
    hash       bytea NOT NULL,
    updated_at timestamptz NOT NULL,
    data       bytea NOT NULL,
    PRIMARY KEY (dataset, key)
);

-- Reads of a person's records and the coverage count go by (dataset, pin).
CREATE INDEX dataset_records_pin ON dataset_records (dataset, pin);

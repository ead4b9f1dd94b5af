-- 0015_data_keys: the data-encryption keys that seal documents at rest
-- (package seal), each wrapped by a key-encryption key kept outside the
-- database.
CREATE TABLE data_keys (
    id         bigint PRIMARY KEY,
    purpose    text COLLATE "C" NOT NULL,
    kek_id     text COLLATE "C" NOT NULL,
    wrapped    bytea NOT NULL,
    created_at timestamptz NOT NULL
);

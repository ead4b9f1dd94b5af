-- 0015_data_keys: the data-encryption keys that seal documents at rest
-- (package seal), each wrapped by a key-encryption key kept outside the
-- database. created_at is Unix seconds.
CREATE TABLE data_keys (
    id         INTEGER NOT NULL PRIMARY KEY,
    purpose    TEXT    NOT NULL,
    kek_id     TEXT    NOT NULL,
    wrapped    BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- directory holds the versioned documents about who may use the registry:
-- staff accounts, agencies, API clients, grants. The domain packages own the
-- format of data; the store only keeps versions straight.
CREATE TABLE directory (
    kind       TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    parent     TEXT    NOT NULL DEFAULT '',
    version    INTEGER NOT NULL,
    data       BLOB,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

-- Listing the clients of one agency or the grants of one agency is by parent.
CREATE INDEX directory_parent ON directory (kind, parent, id);

-- nonces holds single-use values (client-assertion ids) until they expire;
-- the primary key is what refuses a replay.
CREATE TABLE nonces (
    scope   TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (scope, value)
) STRICT, WITHOUT ROWID;

CREATE INDEX nonces_expires ON nonces (expires);

-- directory holds the versioned documents about who may use the registry:
-- staff accounts, agencies, API clients, grants. The domain packages own the
-- format of data; the store only keeps versions straight.
CREATE TABLE directory (
    kind       text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    parent     text COLLATE "C" NOT NULL DEFAULT '',
    version    bigint NOT NULL,
    data       bytea,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (kind, id)
);

-- Listing the clients of one agency or the grants of one agency is by parent.
CREATE INDEX directory_parent ON directory (kind, parent, id);

-- nonces holds single-use values (client-assertion ids) until they expire;
-- the primary key is what refuses a replay, across every process sharing the
-- database.
CREATE TABLE nonces (
    scope   text COLLATE "C" NOT NULL,
    value   text COLLATE "C" NOT NULL,
    expires timestamptz NOT NULL,
    PRIMARY KEY (scope, value)
);

CREATE INDEX nonces_expires ON nonces (expires);

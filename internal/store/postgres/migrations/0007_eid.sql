-- 0007_eid: citizens' electronic identification accounts (package eid).
-- data columns hold documents package eid owns; the store keeps versions,
-- keys and expiry straight.

-- eid_accounts: one row per account. pin is set for a citizen's account and
-- is unique among them; parent is the representative's account of an
-- organisation.
CREATE TABLE eid_accounts (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    kind       text COLLATE "C" NOT NULL,
    pin        text COLLATE "C" NOT NULL DEFAULT '',
    parent     text COLLATE "C" NOT NULL DEFAULT '',
    version    bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    data       bytea NOT NULL
);

CREATE UNIQUE INDEX eid_accounts_pin ON eid_accounts (pin) WHERE pin <> '';
CREATE INDEX eid_accounts_parent ON eid_accounts (parent, id) WHERE parent <> '';

-- eid_sessions: signed-in browsers, shared by every process. id is a hash
-- of the browser's secret.
CREATE TABLE eid_sessions (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz, -- NULL: live
    data       bytea NOT NULL
);

CREATE INDEX eid_sessions_account ON eid_sessions (account_id, created_at);

-- eid_events: what happened to an account, shown to its holder.
CREATE TABLE eid_events (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL,
    at         timestamptz NOT NULL,
    type       text COLLATE "C" NOT NULL,
    data       bytea NOT NULL
);

CREATE INDEX eid_events_account ON eid_events (account_id, seq);

-- eid_transient: one-time codes, half-done sign-ins, failure counters.
CREATE TABLE eid_transient (
    kind    text COLLATE "C" NOT NULL,
    id      text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    expires timestamptz NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (kind, id)
);

CREATE INDEX eid_transient_expires ON eid_transient (expires);

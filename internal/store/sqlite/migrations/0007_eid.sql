-- 0007_eid: citizens' electronic identification accounts (package eid).
-- data columns hold documents package eid owns; the store keeps versions,
-- keys and expiry straight.

-- eid_accounts: one row per account. pin is set for a citizen's account and
-- is unique among them; parent is the representative's account of an
-- organisation.
CREATE TABLE eid_accounts (
    id         TEXT    NOT NULL PRIMARY KEY,
    kind       TEXT    NOT NULL,
    pin        TEXT    NOT NULL DEFAULT '',
    parent     TEXT    NOT NULL DEFAULT '',
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL, -- Unix nanoseconds, UTC
    updated_at INTEGER NOT NULL,
    data       BLOB    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX eid_accounts_pin ON eid_accounts (pin) WHERE pin <> '';
CREATE INDEX eid_accounts_parent ON eid_accounts (parent, id) WHERE parent <> '';

-- eid_sessions: signed-in browsers, shared by every process. id is a hash
-- of the browser's secret.
CREATE TABLE eid_sessions (
    id         TEXT    NOT NULL PRIMARY KEY,
    account_id TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0, -- 0: live
    data       BLOB    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX eid_sessions_account ON eid_sessions (account_id, created_at);

-- eid_events: what happened to an account, shown to its holder.
CREATE TABLE eid_events (
    seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    account_id TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    data       BLOB    NOT NULL
) STRICT;

CREATE INDEX eid_events_account ON eid_events (account_id, seq);

-- eid_transient: one-time codes, half-done sign-ins, failure counters.
CREATE TABLE eid_transient (
    kind    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    data    BLOB    NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX eid_transient_expires ON eid_transient (expires);

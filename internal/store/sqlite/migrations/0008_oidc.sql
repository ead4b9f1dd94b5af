-- 0008_oidc: the OpenID Connect provider's state, shared by every process
-- serving one issuer. Codes and refresh tokens are stored only as hashes.
-- Times are Unix nanoseconds, UTC.
--
-- oidc_auth_requests: authorization requests until their code is used or
-- they expire; a used code stays so that a replay is recognised.
CREATE TABLE oidc_auth_requests (
    id         TEXT    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL,
    code_hash  TEXT,
    code_used  INTEGER NOT NULL DEFAULT 0,
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX oidc_auth_requests_code ON oidc_auth_requests (code_hash) WHERE code_hash IS NOT NULL;
CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests (expires_at);

-- oidc_tokens: access and refresh tokens. grant_id links the tokens of one
-- authorization, account_id and client_id those a revoked consent ends.
CREATE TABLE oidc_tokens (
    id           TEXT    NOT NULL PRIMARY KEY,
    kind         TEXT    NOT NULL,
    grant_id     TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,
    refresh_hash TEXT,
    data         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used         INTEGER NOT NULL DEFAULT 0,
    revoked      INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX oidc_tokens_refresh ON oidc_tokens (refresh_hash) WHERE refresh_hash IS NOT NULL;
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_id);
CREATE INDEX oidc_tokens_account ON oidc_tokens (account_id, client_id);
CREATE INDEX oidc_tokens_expires ON oidc_tokens (expires_at);

-- oidc_consents: what each citizen agreed to release to each relying party.
CREATE TABLE oidc_consents (
    account_id TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    scopes     TEXT    NOT NULL, -- space-separated, sorted
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, client_id)
) STRICT, WITHOUT ROWID;

-- oidc_keys: the provider's signing keys, one per rotation period.
CREATE TABLE oidc_keys (
    id            TEXT    NOT NULL PRIMARY KEY,
    algorithm     TEXT    NOT NULL,
    private_jwk   BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    sign_until    INTEGER NOT NULL,
    publish_until INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

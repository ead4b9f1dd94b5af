-- 0008_oidc: the OpenID Connect provider's state, shared by every process
-- serving one issuer. Codes and refresh tokens are stored only as hashes.
--
-- oidc_auth_requests: authorization requests until their code is used or
-- they expire; a used code stays so that a replay is recognised.
CREATE TABLE oidc_auth_requests (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    client_id  text COLLATE "C" NOT NULL,
    code_hash  text COLLATE "C",
    code_used  boolean NOT NULL DEFAULT false,
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE UNIQUE INDEX oidc_auth_requests_code ON oidc_auth_requests (code_hash) WHERE code_hash IS NOT NULL;
CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests (expires_at);

-- oidc_tokens: access and refresh tokens. grant_id links the tokens of one
-- authorization, account_id and client_id those a revoked consent ends.
CREATE TABLE oidc_tokens (
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    kind         text COLLATE "C" NOT NULL,
    grant_id     text COLLATE "C" NOT NULL,
    client_id    text COLLATE "C" NOT NULL,
    account_id   text COLLATE "C" NOT NULL,
    refresh_hash text COLLATE "C",
    data         bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used         boolean NOT NULL DEFAULT false,
    revoked      boolean NOT NULL DEFAULT false
);

CREATE UNIQUE INDEX oidc_tokens_refresh ON oidc_tokens (refresh_hash) WHERE refresh_hash IS NOT NULL;
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_id);
CREATE INDEX oidc_tokens_account ON oidc_tokens (account_id, client_id);
CREATE INDEX oidc_tokens_expires ON oidc_tokens (expires_at);

-- oidc_consents: what each citizen agreed to release to each relying party.
CREATE TABLE oidc_consents (
    account_id text COLLATE "C" NOT NULL,
    client_id  text COLLATE "C" NOT NULL,
    scopes     text COLLATE "C" NOT NULL, -- space-separated, sorted
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

-- oidc_keys: the provider's signing keys, one per rotation period.
CREATE TABLE oidc_keys (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    algorithm     text COLLATE "C" NOT NULL,
    private_jwk   bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    sign_until    timestamptz NOT NULL,
    publish_until timestamptz NOT NULL
);

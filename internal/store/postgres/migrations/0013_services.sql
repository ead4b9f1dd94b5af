-- 0013_services: online public services. dossiers holds the current version
-- of each dossier (its history lives in the document); the columns are what
-- queues, counts and statistics read. closed_at is NULL while open.
CREATE TABLE dossiers (
    code          text COLLATE "C" NOT NULL PRIMARY KEY,
    version       bigint NOT NULL,
    procedure     text COLLATE "C" NOT NULL,
    applicant_pin text COLLATE "C" NOT NULL,
    subject_pin   text COLLATE "C" NOT NULL,
    province      text COLLATE "C" NOT NULL,
    commune       text COLLATE "C" NOT NULL,
    status        text COLLATE "C" NOT NULL,
    idem_key      text COLLATE "C" NOT NULL,
    submitted_at  timestamptz NOT NULL,
    due_at        timestamptz NOT NULL,
    paused        boolean NOT NULL,
    closed_at     timestamptz,
    updated_at    timestamptz NOT NULL,
    data          bytea NOT NULL
);

-- A retried submission finds the first one.
CREATE UNIQUE INDEX dossiers_idem ON dossiers (applicant_pin, idem_key) WHERE idem_key <> '';
-- An officer's queue: the open dossiers of a unit by deadline; and its
-- counts (open, paused, overdue), read from the index alone.
CREATE INDEX dossiers_queue ON dossiers (province, commune, due_at, code) WHERE closed_at IS NULL;
CREATE INDEX dossiers_queue_counts ON dossiers (province, commune, paused, due_at) WHERE closed_at IS NULL;
-- A citizen's dossiers, newest first.
CREATE INDEX dossiers_applicant ON dossiers (applicant_pin, submitted_at, code);
-- Statistics over a period.
CREATE INDEX dossiers_submitted ON dossiers (submitted_at);
CREATE INDEX dossiers_closed ON dossiers (closed_at) WHERE closed_at IS NOT NULL;

CREATE TABLE dossier_attachments (
    dossier      text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    kind         text NOT NULL,
    name         text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    sha256       bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    content      bytea NOT NULL,
    PRIMARY KEY (dossier, id)
);

CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    pin        text COLLATE "C" NOT NULL,
    dossier    text COLLATE "C" NOT NULL,
    kind       text NOT NULL,
    created_at timestamptz NOT NULL,
    read_at    timestamptz
);
CREATE INDEX notifications_pin ON notifications (pin, id);

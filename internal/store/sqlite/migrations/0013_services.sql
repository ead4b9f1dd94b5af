-- 0013_services: online public services. dossiers holds the current version
-- of each dossier (its history lives in the document); the columns are what
-- queues, counts and statistics read. Times are Unix nanoseconds, UTC; 0 is
-- "not set" for closed_at.
CREATE TABLE dossiers (
    code          TEXT    NOT NULL PRIMARY KEY,
    version       INTEGER NOT NULL,
    procedure     TEXT    NOT NULL,
    applicant_pin TEXT    NOT NULL,
    subject_pin   TEXT    NOT NULL,
    province      TEXT    NOT NULL,
    commune       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    idem_key      TEXT    NOT NULL,
    submitted_at  INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    paused        INTEGER NOT NULL,
    closed_at     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    data          BLOB    NOT NULL
) STRICT, WITHOUT ROWID;

-- A retried submission finds the first one.
CREATE UNIQUE INDEX dossiers_idem ON dossiers (applicant_pin, idem_key) WHERE idem_key <> '';
-- An officer's queue: the open dossiers of a unit by deadline; and its
-- counts (open, paused, overdue), read from the index alone.
CREATE INDEX dossiers_queue ON dossiers (province, commune, due_at, code) WHERE closed_at = 0;
CREATE INDEX dossiers_queue_counts ON dossiers (province, commune, paused, due_at) WHERE closed_at = 0;
-- A citizen's dossiers, newest first.
CREATE INDEX dossiers_applicant ON dossiers (applicant_pin, submitted_at, code);
-- Statistics over a period.
CREATE INDEX dossiers_submitted ON dossiers (submitted_at);
CREATE INDEX dossiers_closed ON dossiers (closed_at) WHERE closed_at <> 0;

CREATE TABLE dossier_attachments (
    dossier      TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    content      BLOB    NOT NULL,
    PRIMARY KEY (dossier, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pin        TEXT    NOT NULL,
    dossier    TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX notifications_pin ON notifications (pin, id);

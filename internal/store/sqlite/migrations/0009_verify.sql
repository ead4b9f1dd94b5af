-- 0009_verify: bulk verification jobs, their subscription counts, and the
-- per-agency quota of partial-match requests (package match).
--
-- verify_jobs holds one row per job. offset_bytes and result_bytes are the
-- job's checkpoint, written in the same transaction as the counts it depends
-- on; owner and lease_until are for the lease of several processes (unused
-- while one process runs every job).
CREATE TABLE verify_jobs (
    id           TEXT    NOT NULL PRIMARY KEY,
    agency       TEXT    NOT NULL,
    client       TEXT    NOT NULL,
    purpose      TEXT    NOT NULL,
    format       TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    input_bytes  INTEGER NOT NULL,
    offset_bytes INTEGER NOT NULL,
    lines        INTEGER NOT NULL,
    result_bytes INTEGER NOT NULL,
    summary      BLOB    NOT NULL,
    error        TEXT    NOT NULL,
    owner        TEXT    NOT NULL,
    lease_until  INTEGER NOT NULL, -- Unix nanoseconds, 0 for none
    created_at   INTEGER NOT NULL, -- Unix nanoseconds, UTC
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL  -- 0 until finished
) STRICT;

CREATE INDEX verify_jobs_agency ON verify_jobs (agency, created_at);
CREATE INDEX verify_jobs_state ON verify_jobs (state, created_at);

-- verify_counts counts, per job, the lines that named each PIN: kept in the
-- store rather than in memory so that a job of tens of millions of lines runs
-- in bounded memory and resumes with the counts of its checkpoint.
CREATE TABLE verify_counts (
    job TEXT    NOT NULL,
    pin TEXT    NOT NULL,
    n   INTEGER NOT NULL,
    PRIMARY KEY (job, pin)
) STRICT, WITHOUT ROWID;

-- verify_quota counts uses of a limited operation per key (agency and day).
CREATE TABLE verify_quota (
    key  TEXT    NOT NULL PRIMARY KEY,
    used INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

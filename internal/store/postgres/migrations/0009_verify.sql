-- 0009_verify: bulk verification jobs, their subscription counts, and the
-- per-agency quota of partial-match requests (package match).
--
-- verify_jobs holds one row per job. offset_bytes and result_bytes are the
-- job's checkpoint, written in the same transaction as the counts it depends
-- on; owner and lease_until are for the lease of several processes (unused
-- while one process runs every job).
CREATE TABLE verify_jobs (
    id           text COLLATE "C" PRIMARY KEY,
    agency       text COLLATE "C" NOT NULL,
    client       text COLLATE "C" NOT NULL,
    purpose      text COLLATE "C" NOT NULL,
    format       text COLLATE "C" NOT NULL,
    state        text COLLATE "C" NOT NULL,
    version      bigint NOT NULL,
    input_bytes  bigint NOT NULL,
    offset_bytes bigint NOT NULL,
    lines        bigint NOT NULL,
    result_bytes bigint NOT NULL,
    summary      bytea NOT NULL,
    error        text NOT NULL,
    owner        text COLLATE "C" NOT NULL,
    lease_until  timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    finished_at  timestamptz
);

CREATE INDEX verify_jobs_agency ON verify_jobs (agency, created_at);
CREATE INDEX verify_jobs_state ON verify_jobs (state, created_at);

-- verify_counts counts, per job, the lines that named each PIN: kept in the
-- store rather than in memory so that a job of tens of millions of lines runs
-- in bounded memory and resumes with the counts of its checkpoint.
CREATE TABLE verify_counts (
    job text COLLATE "C" NOT NULL,
    pin text COLLATE "C" NOT NULL,
    n   integer NOT NULL,
    PRIMARY KEY (job, pin)
);

-- verify_quota counts uses of a limited operation per key (agency and day).
CREATE TABLE verify_quota (
    key  text COLLATE "C" PRIMARY KEY,
    used integer NOT NULL
);

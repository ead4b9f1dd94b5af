-- 0001_registry: the registry's tables.
--
-- Every key and index column is COLLATE "C" so that ordering and range scans
-- are bytewise, whatever the database's default collation, and give the same
-- order as the SQLite backend. Documents are bytea: the store does not
-- interpret them, and bytea is the cheapest type to COPY.
--
-- A time the caller supplies (recorded_at) is kept exactly: timestamptz holds
-- microseconds, and recorded_ns the nanoseconds within the microsecond (0-999)
-- that Go times carry, so a time reads back equal to the one written, while
-- SQL tools still see an ordinary timestamp.
--
-- There are no foreign keys: rows only ever appear (never change or go away
-- except the current-version index rows), the loader writes tables in bulk in
-- any order, and the code writes a record's rows in one statement.

-- persons holds one row per PIN ever used: the index columns of the current
-- version. The documents live in person_versions.
CREATE TABLE persons (
    pin          text COLLATE "C" PRIMARY KEY,
    version      bigint NOT NULL,
    name_key     text COLLATE "C" NOT NULL,
    name_fold    text COLLATE "C" NOT NULL,
    birth_year   integer NOT NULL,
    birth_date   text COLLATE "C" NOT NULL,
    sex          text COLLATE "C" NOT NULL,
    province     text COLLATE "C" NOT NULL,
    commune      text COLLATE "C" NOT NULL,
    state        text COLLATE "C" NOT NULL,
    household_id text COLLATE "C" NOT NULL
);

-- (name_key, pin, birth_year) rather than (name_key, birth_year, pin): name
-- searches are ordered by (name_key, pin) and paged with a row-value cursor,
-- which only an index in that order serves without sorting every match (a
-- prefix such as "nguyen" matches a third of the country). pin is unique, so
-- birth_year after it does not change the order, but it lets the scan check
-- a birth year in the index entry instead of fetching every row.
CREATE INDEX persons_name_key ON persons (name_key, pin, birth_year);
CREATE INDEX persons_place ON persons (province, commune, pin);
CREATE INDEX persons_household ON persons (household_id);

-- person_versions holds every version of every person, the current one too.
CREATE TABLE person_versions (
    pin          text COLLATE "C" NOT NULL,
    version      bigint NOT NULL,
    event_id     text COLLATE "C" NOT NULL,
    event_type   text COLLATE "C" NOT NULL,
    actor        text NOT NULL,
    reason       text NOT NULL,
    valid_from   text COLLATE "C" NOT NULL,
    recorded_at  timestamptz NOT NULL,
    recorded_ns  smallint NOT NULL DEFAULT 0,
    name_key     text COLLATE "C" NOT NULL,
    name_fold    text COLLATE "C" NOT NULL,
    birth_year   integer NOT NULL,
    birth_date   text COLLATE "C" NOT NULL,
    sex          text COLLATE "C" NOT NULL,
    province     text COLLATE "C" NOT NULL,
    commune      text COLLATE "C" NOT NULL,
    state        text COLLATE "C" NOT NULL,
    household_id text COLLATE "C" NOT NULL,
    data         bytea,
    PRIMARY KEY (pin, version)
);

CREATE TABLE households (
    id       text COLLATE "C" PRIMARY KEY,
    version  bigint NOT NULL,
    head_pin text COLLATE "C" NOT NULL,
    province text COLLATE "C" NOT NULL,
    commune  text COLLATE "C" NOT NULL
);

CREATE TABLE household_versions (
    id          text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    event_id    text COLLATE "C" NOT NULL,
    event_type  text COLLATE "C" NOT NULL,
    actor       text NOT NULL,
    reason      text NOT NULL,
    valid_from  text COLLATE "C" NOT NULL,
    recorded_at timestamptz NOT NULL,
    recorded_ns smallint NOT NULL DEFAULT 0,
    head_pin    text COLLATE "C" NOT NULL,
    province    text COLLATE "C" NOT NULL,
    commune     text COLLATE "C" NOT NULL,
    data        bytea,
    PRIMARY KEY (id, version)
);

-- events.seq comes from an identity column, but it is only drawn while the
-- transaction holds the sequence advisory lock (see doc.go), which makes it
-- increase in commit order.
CREATE TABLE events (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             text COLLATE "C" NOT NULL UNIQUE,
    type           text COLLATE "C" NOT NULL,
    actor          text NOT NULL,
    reason         text NOT NULL,
    effective_date text COLLATE "C" NOT NULL,
    recorded_at    timestamptz NOT NULL,
    recorded_ns    smallint NOT NULL DEFAULT 0,
    subjects       text[] COLLATE "C",
    request        bytea,
    result         bytea
);

CREATE INDEX events_subjects ON events USING gin (subjects);
CREATE INDEX events_type ON events (type, seq);

CREATE TABLE outbox (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   text COLLATE "C" NOT NULL,
    event_type text COLLATE "C" NOT NULL,
    pin        text COLLATE "C" NOT NULL,
    data       bytea,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE settings (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);

-- person_counts keeps the number of persons in a few shards, so that
-- CountPersons does not scan a hundred million rows and two concurrent births
-- rarely wait for the same counter row.
CREATE TABLE person_counts (
    shard integer PRIMARY KEY,
    n     bigint NOT NULL
);

INSERT INTO person_counts (shard, n) SELECT s, 0 FROM generate_series(0, 15) AS s;

-- deferred_indexes remembers the secondary indexes a bulk load dropped, with
-- their definitions as PostgreSQL printed them, so that the loader's Close, or
-- Open after a crash, can create them again.
CREATE TABLE deferred_indexes (
    name       text COLLATE "C" PRIMARY KEY,
    definition text NOT NULL,
    dropped_at timestamptz NOT NULL DEFAULT now()
);

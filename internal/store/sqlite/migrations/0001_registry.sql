-- 0001_registry: the registry's tables.
--
-- Tables are STRICT so that a value of the wrong type is an error rather than
-- a silently converted row. Text compares bytewise (the BINARY collation), so
-- ordering and prefix ranges agree with the PostgreSQL backend's COLLATE "C".
--
-- There are no foreign keys: only this package writes these tables, it writes
-- a record's rows in one transaction, and a foreign-key check on every version
-- row would cost the bulk loader a B-tree search per row for an invariant the
-- code already keeps.
--
-- Every CREATE INDEX below is a secondary index: the bulk loader may drop them
-- on an empty registry and build them again when it finishes (see
-- deferred_indexes). Uniqueness that decides store.ErrExists is kept by
-- primary keys and UNIQUE column constraints, which are never dropped.

-- persons holds one row per PIN ever used: the index columns of the current
-- version and a pointer (cur) to that version's row in person_versions, where
-- the document is. It is a rowid table with a UNIQUE PIN rather than a table
-- keyed by PIN: a bulk load then appends rows at the end, and the only
-- structure that takes inserts in random PIN order is the compact index of
-- PINs, which stays several times smaller than the rows themselves. That
-- index decides store.ErrExists, so it is a constraint and never dropped.
CREATE TABLE persons (
    pid          INTEGER PRIMARY KEY,
    pin          TEXT    NOT NULL UNIQUE,
    version      INTEGER NOT NULL,
    cur          INTEGER NOT NULL,
    name_key     TEXT    NOT NULL,
    name_fold    TEXT    NOT NULL,
    birth_year   INTEGER NOT NULL,
    birth_date   TEXT    NOT NULL,
    sex          TEXT    NOT NULL,
    province     TEXT    NOT NULL,
    commune      TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    household_id TEXT    NOT NULL
) STRICT;

-- Name searches are ordered by (name_key, pin) and paged with a row-value
-- cursor, which only an index in exactly that order serves without sorting
-- every match (a prefix such as "nguyen" matches a third of the country).
-- birth_year rides along so that the commonest extra filter is checked in the
-- index, before the row is read.
CREATE INDEX persons_name ON persons (name_key, pin, birth_year);
-- Place searches without a name are ordered by PIN; (commune, pin) and
-- (province, pin) return one commune or one province already in that order.
CREATE INDEX persons_commune ON persons (commune, pin);
CREATE INDEX persons_province ON persons (province, pin);
-- No index on household_id yet: no query reads persons by household, and every
-- index slows the bulk load and each write. The migration that adds such a
-- query adds its index.

-- person_versions holds every version of every person, the current one too,
-- so a document is stored once. It is a rowid table: versions are appended at
-- the end of the B-tree whatever their PIN, which keeps bulk loads sequential,
-- and persons.cur finds the current one in one more search. The document comes
-- last so that reading the other columns never touches its overflow pages.
CREATE TABLE person_versions (
    vid          INTEGER PRIMARY KEY,
    pin          TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    name_key     TEXT    NOT NULL,
    name_fold    TEXT    NOT NULL,
    birth_year   INTEGER NOT NULL,
    birth_date   TEXT    NOT NULL,
    sex          TEXT    NOT NULL,
    province     TEXT    NOT NULL,
    commune      TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    household_id TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    event_type   TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    valid_from   TEXT    NOT NULL,
    recorded_at  INTEGER,           -- Unix nanoseconds, UTC; NULL for the zero time
    data         BLOB
) STRICT;

-- History and as-of reads. Unique because a (pin, version) pair is written
-- once; the persons primary key and the version checks already ensure it.
CREATE UNIQUE INDEX person_versions_pin ON person_versions (pin, version);

-- households and household_versions follow persons and person_versions.
-- No search uses a household's columns, so households keeps only the pointer.
CREATE TABLE households (
    id      TEXT    NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    cur     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE household_versions (
    vid         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    head_pin    TEXT    NOT NULL,
    province    TEXT    NOT NULL,
    commune     TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    event_type  TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    valid_from  TEXT    NOT NULL,
    recorded_at INTEGER,
    data        BLOB
) STRICT;

CREATE UNIQUE INDEX household_versions_id ON household_versions (id, version);

-- events: seq is the order of commit (SQLite has one writer at a time), and
-- AUTOINCREMENT keeps a seq from ever being handed out twice. subjects is the
-- JSON array of PINs in the order given; event_subjects indexes it.
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    effective_date TEXT    NOT NULL,
    recorded_at    INTEGER,
    subjects       TEXT,
    request        BLOB,
    result         BLOB
) STRICT;

CREATE INDEX events_type ON events (type);

-- event_subjects has one row per distinct subject of an event, appended in seq
-- order; its index answers "events about this PIN after seq N" in seq order.
CREATE TABLE event_subjects (
    seq INTEGER NOT NULL,
    pin TEXT    NOT NULL
) STRICT;

CREATE INDEX event_subjects_pin ON event_subjects (pin, seq);

-- outbox: seq increases in commit order and is never reused, even if old rows
-- are pruned one day.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT    NOT NULL,
    event_type TEXT    NOT NULL,
    pin        TEXT    NOT NULL,
    data       BLOB,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- counters keeps running totals that would otherwise need a full scan, kept in
-- the same transaction as the rows they count.
CREATE TABLE counters (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO counters (name, value) VALUES ('persons', 0);

-- deferred_indexes holds the definitions of indexes the bulk loader dropped,
-- written in the same transaction as the drop, so that the loader's Close, or
-- Open after a crash, can build them again.
CREATE TABLE deferred_indexes (
    name TEXT NOT NULL PRIMARY KEY,
    sql  TEXT NOT NULL
) STRICT, WITHOUT ROWID;

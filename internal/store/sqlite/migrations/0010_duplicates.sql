-- 0010_duplicates: the review queue of duplicate detection. A pair is keyed
-- by its two PINs in ascending order; evidence is package linkage's JSON.
-- decided_by is '' and decided_at 0 while the pair is open.
CREATE TABLE duplicate_candidates (
    pin_a       TEXT    NOT NULL,
    pin_b       TEXT    NOT NULL,
    weight      REAL    NOT NULL,
    probability REAL    NOT NULL,
    evidence    BLOB    NOT NULL,
    source      TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('open', 'merged', 'dismissed')),
    found_at    INTEGER NOT NULL, -- Unix nanoseconds, UTC
    decided_by  TEXT    NOT NULL,
    decided_at  INTEGER NOT NULL,
    PRIMARY KEY (pin_a, pin_b),
    CHECK (pin_a < pin_b)
) STRICT, WITHOUT ROWID;

-- The queue as registrars read it: one status, by weight.
CREATE INDEX duplicate_candidates_status ON duplicate_candidates (status, weight DESC, pin_a, pin_b);
-- The pairs of one person (pin_a is covered by the primary key).
CREATE INDEX duplicate_candidates_pin_b ON duplicate_candidates (pin_b);

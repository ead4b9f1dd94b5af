-- 0010_duplicates: the review queue of duplicate detection. A pair is keyed
-- by its two PINs in ascending order; evidence is package linkage's JSON.
-- decided_by is '' and decided_at NULL while the pair is open.
CREATE TABLE duplicate_candidates (
    pin_a       text COLLATE "C" NOT NULL,
    pin_b       text COLLATE "C" NOT NULL,
    weight      double precision NOT NULL,
    probability double precision NOT NULL,
    evidence    bytea NOT NULL,
    source      text NOT NULL,
    status      text NOT NULL CHECK (status IN ('open', 'merged', 'dismissed')),
    found_at    timestamptz NOT NULL,
    decided_by  text NOT NULL,
    decided_at  timestamptz,
    PRIMARY KEY (pin_a, pin_b),
    CHECK (pin_a < pin_b)
);

-- The queue as registrars read it: one status, by weight.
CREATE INDEX duplicate_candidates_status ON duplicate_candidates (status, weight DESC, pin_a, pin_b);
-- The pairs of one person (pin_a is covered by the primary key).
CREATE INDEX duplicate_candidates_pin_b ON duplicate_candidates (pin_b);

-- 0012_health: patients' check-ins at health facilities with the chip ID
-- card or its QR code (package health owns their meaning). The health
-- book's records are linked-dataset records (0004).
CREATE TABLE health_checkins (
    id        text COLLATE "C" NOT NULL PRIMARY KEY,
    facility  text COLLATE "C" NOT NULL,
    pin       text COLLATE "C" NOT NULL,
    at        timestamptz NOT NULL,
    method    text NOT NULL,
    insurance text NOT NULL,
    actor     text NOT NULL
);

CREATE INDEX health_checkins_pin ON health_checkins (pin, at);
CREATE INDEX health_checkins_at ON health_checkins (at);

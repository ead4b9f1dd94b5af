-- 0012_health: patients' check-ins at health facilities with the chip ID
-- card or its QR code (package health owns their meaning). The health
-- book's records are linked-dataset records (0004).
CREATE TABLE health_checkins (
    id        TEXT    NOT NULL PRIMARY KEY,
    facility  TEXT    NOT NULL,
    pin       TEXT    NOT NULL,
    at        INTEGER NOT NULL, -- Unix nanoseconds, UTC
    method    TEXT    NOT NULL, -- chip or qr
    insurance TEXT    NOT NULL, -- valid, expired, none
    actor     TEXT    NOT NULL
) STRICT;

CREATE INDEX health_checkins_pin ON health_checkins (pin, at);
CREATE INDEX health_checkins_at ON health_checkins (at);

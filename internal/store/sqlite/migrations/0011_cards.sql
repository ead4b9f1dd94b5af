-- 0011_cards: the chip ID cards issued (package card owns their meaning).
--
-- One row per card: the person's PIN and the Seq of the id_card_issued event
-- that issued it. event_id is unique so that issuing the same events again
-- inserts nothing. dg1, dg2, dg13 and sod are the chip's files as issued
-- (NULL for a card without a chip). "expired" is computed from expiry, never
-- stored; status holds valid, lost, revoked or replaced.
CREATE TABLE cards (
    pin           TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    event_id      TEXT    NOT NULL UNIQUE,
    kind          TEXT    NOT NULL,
    issue_date    TEXT    NOT NULL,
    expiry        TEXT    NOT NULL,
    authority     TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    status_reason TEXT    NOT NULL DEFAULT '',
    status_actor  TEXT    NOT NULL DEFAULT '',
    chip          INTEGER NOT NULL,
    dg1           BLOB,
    dg2           BLOB,
    dg13          BLOB,
    sod           BLOB,
    ds_serial     TEXT    NOT NULL DEFAULT '',
    version       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL, -- Unix nanoseconds, UTC
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (pin, seq)
) STRICT;

CREATE INDEX cards_status ON cards (status);

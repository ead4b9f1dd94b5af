-- 0011_cards: the chip ID cards issued (package card owns their meaning).
--
-- One row per card: the person's PIN and the Seq of the id_card_issued event
-- that issued it. event_id is unique so that issuing the same events again
-- inserts nothing. dg1, dg2, dg13 and sod are the chip's files as issued
-- (NULL for a card without a chip). "expired" is computed from expiry, never
-- stored; status holds valid, lost, revoked or replaced.
CREATE TABLE cards (
    pin           text COLLATE "C" NOT NULL,
    seq           bigint NOT NULL,
    event_id      text COLLATE "C" NOT NULL UNIQUE,
    kind          text NOT NULL,
    issue_date    text NOT NULL,
    expiry        text NOT NULL,
    authority     text NOT NULL,
    status        text NOT NULL,
    status_reason text NOT NULL DEFAULT '',
    status_actor  text NOT NULL DEFAULT '',
    chip          boolean NOT NULL,
    dg1           bytea,
    dg2           bytea,
    dg13          bytea,
    sod           bytea,
    ds_serial     text NOT NULL DEFAULT '',
    version       bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (pin, seq)
);

CREATE INDEX cards_status ON cards (status);

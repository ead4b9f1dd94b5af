-- 0005_deliveries: the state of the outbox's downstream consumers (webhook
-- subscriptions, the NATS publisher). The messages stay in the outbox; these
-- tables point at them by seq.
--
-- delivery_cursors: how far each consumer has read the outbox.
CREATE TABLE delivery_cursors (
    consumer TEXT    NOT NULL PRIMARY KEY,
    seq      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- delivery_pending: messages tried and to be tried again. pin lets the relay
-- hold back a person's later messages while an earlier one is pending.
CREATE TABLE delivery_pending (
    consumer   TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    pin        TEXT    NOT NULL,
    attempts   INTEGER NOT NULL,
    first_at   INTEGER NOT NULL, -- Unix nanoseconds, UTC
    next_at    INTEGER NOT NULL,
    last_error TEXT    NOT NULL,
    PRIMARY KEY (consumer, seq)
) STRICT, WITHOUT ROWID;

-- delivery_dead: the dead-letter queue, until an operator redelivers.
CREATE TABLE delivery_dead (
    consumer   TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    pin        TEXT    NOT NULL,
    attempts   INTEGER NOT NULL,
    first_at   INTEGER NOT NULL,
    dead_at    INTEGER NOT NULL,
    last_error TEXT    NOT NULL,
    PRIMARY KEY (consumer, seq)
) STRICT, WITHOUT ROWID;

-- 0005_deliveries: the state of the outbox's downstream consumers (webhook
-- subscriptions, the NATS publisher). The messages stay in the outbox; these
-- tables point at them by seq.
--
-- delivery_cursors: how far each consumer has read the outbox.
CREATE TABLE delivery_cursors (
    consumer text COLLATE "C" NOT NULL PRIMARY KEY,
    seq      bigint NOT NULL
);

-- delivery_pending: messages tried and to be tried again. pin lets the relay
-- hold back a person's later messages while an earlier one is pending.
CREATE TABLE delivery_pending (
    consumer   text COLLATE "C" NOT NULL,
    seq        bigint NOT NULL,
    pin        text COLLATE "C" NOT NULL,
    attempts   integer NOT NULL,
    first_at   timestamptz NOT NULL,
    next_at    timestamptz NOT NULL,
    last_error text NOT NULL,
    PRIMARY KEY (consumer, seq)
);

-- delivery_dead: the dead-letter queue, until an operator redelivers.
CREATE TABLE delivery_dead (
    consumer   text COLLATE "C" NOT NULL,
    seq        bigint NOT NULL,
    pin        text COLLATE "C" NOT NULL,
    attempts   integer NOT NULL,
    first_at   timestamptz NOT NULL,
    dead_at    timestamptz NOT NULL,
    last_error text NOT NULL,
    PRIMARY KEY (consumer, seq)
);

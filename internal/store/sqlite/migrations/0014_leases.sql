-- leases names the one process that does a piece of single-writer work
-- (package lease); expires is Unix milliseconds.
CREATE TABLE leases (
    name    TEXT    NOT NULL PRIMARY KEY,
    holder  TEXT    NOT NULL,
    expires INTEGER NOT NULL
) STRICT;

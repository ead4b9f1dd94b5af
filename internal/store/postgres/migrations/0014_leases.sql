-- leases names the one process that does a piece of single-writer work
-- (package lease); the server's clock decides expiry.
CREATE TABLE leases (
    name    text COLLATE "C" PRIMARY KEY,
    holder  text NOT NULL,
    expires timestamptz NOT NULL
);

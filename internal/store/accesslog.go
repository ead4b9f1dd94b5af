package store

// AccessLog keeps the append-only access log: every use of a person's data by
// anyone but the person, with the Merkle tree over it and the signed
// checkpoints. Filled in by the access-log issue.
type AccessLog interface{}

// Package audithttp serves the access log over HTTP: the signed checkpoint
// and its verifier key (public, so that anyone can check the log), the
// inclusion and consistency proofs, and the data tracker, which lists who
// accessed a person's data with each entry's inclusion proof. It depends on
// package audit and the api plumbing; nothing depends on it but cmd/dancu.
package audithttp

// Package dataset keeps the linked datasets: the records that connected
// agencies hold about people — social insurance, vehicle registrations,
// passports, health insurance cards, telecom subscriptions — synchronised
// with the registry and linked to it by PIN.
//
// An administrator registers each dataset with its kind (which fixes the
// record schema) and its owning agency. Only the owning agency's API clients
// write it, one record at a time or as a streamed NDJSON upload in which
// every line stands on its own: good lines land, bad ones are reported by
// line number and reason, and a repeated upload changes nothing because a
// record whose content hash is unchanged is left as it is. Reads of a
// person's records are allowed to the owner, to the administrator, and to
// another agency only where its grant for the request's purpose lists the
// dataset; every read is recorded in the access log before it is answered.
package dataset

// Package registry owns the national population record: people, households,
// residences, family relations, identity documents and life status, and the
// life events that are the only way to change them.
//
// A life event is validated against the current state and applied in one store
// transaction that writes a new version of every record it touches, the event
// itself and an outbox row for downstream consumers. Records are never updated in
// place and never deleted, so any person can be read as of a past date and their
// whole history listed.
//
// The package depends on the storage interfaces of package store, never on a
// concrete backend; it owns the document format of a record (JSON) and the index
// columns derived from it.
package registry

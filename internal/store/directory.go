package store

import (
	"context"
	"time"
)

// Directory keeps the small, slowly changing records about who may use the
// registry — staff accounts, connected agencies, their API clients, their
// grants — as versioned documents of a kind, and single-use values such as
// client-assertion ids. The domain packages own the documents' format.
type Directory interface {
	// DirRecord returns the record of a kind with an id, or ErrNotFound.
	DirRecord(ctx context.Context, kind, id string) (DirRecord, error)
	// DirRecords lists the records of a kind — all of them when parent is
	// empty, otherwise those whose Parent is parent — ordered by ID.
	DirRecords(ctx context.Context, kind, parent string) ([]DirRecord, error)
	// PutDirRecord creates a record (Version 1; ErrExists if the kind and id
	// are taken) or replaces it (Version = current + 1; ErrConflict
	// otherwise). The store sets UpdatedAt.
	PutDirRecord(ctx context.Context, r DirRecord) error
	// UseNonce records that value was used in scope, until expires. It
	// returns ErrExists if the same scope and value were used before and have
	// not expired, so a replayed token is refused even across processes.
	UseNonce(ctx context.Context, scope, value string, expires time.Time) error
}

// DirRecord is one versioned document in the directory.
type DirRecord struct {
	Kind      string // "staff", "agency", "client", "grant", ...
	ID        string
	Parent    string // the owning record's id, "" if none (a client's agency)
	Version   int64
	Data      []byte
	UpdatedAt time.Time
}

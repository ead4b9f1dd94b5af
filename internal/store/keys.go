package store

import (
	"context"
	"time"
)

// DataKeys keeps the data-encryption keys that seal documents at rest
// (package seal), each wrapped by a key-encryption key that never enters
// the database. Every process sharing the store reads the same keys from
// here, so a key one process adds is found by the others when they meet a
// document sealed under it.
type DataKeys interface {
	// DataKeys returns every stored key, ordered by ID.
	DataKeys(ctx context.Context) ([]DataKey, error)
	// AddDataKey stores a new key; ErrExists if its ID is taken (another
	// process added one at the same time: read the keys again).
	AddDataKey(ctx context.Context, k DataKey) error
	// RewrapDataKey replaces the wrapping of key k.ID (its KEKID and
	// Wrapped) if the key is still wrapped under oldKEK: ErrConflict if it
	// was re-wrapped meanwhile, ErrNotFound if there is no such key. The
	// key itself never changes, so documents sealed under it stay readable.
	RewrapDataKey(ctx context.Context, oldKEK string, k DataKey) error
}

// DataKey is one wrapped data-encryption key.
type DataKey struct {
	ID      int64  // from 1, in order of creation; sealed documents name it
	Purpose string // what the key is for (package seal's values)
	KEKID   string // the key-encryption key that wraps it
	Wrapped []byte // the key as wrapped by the key provider
	// CreatedAt is when the key was made, to the second.
	CreatedAt time.Time
}

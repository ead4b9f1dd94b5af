package seal

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Purposes of the keys in the store.
const (
	// PurposeData keys seal documents; the newest one seals new writes.
	PurposeData = "data"
	// PurposeIndex is the one key of the blind indexes. It never changes:
	// a new one would need every index value computed again.
	PurposeIndex = "index"
)

// magic starts every sealed document. Its first byte is NUL, which no JSON
// document, no DER/ASN.1 element (tag 0 is reserved) and no common file
// format starts with; the last byte is the layout's version.
var magic = [4]byte{0x00, 'D', 'S', 0x01}

const (
	dekIDLen  = 4
	headerLen = len(magic) + dekIDLen
	nonceLen  = 12
	// Overhead is how many bytes sealing adds to a document: the header,
	// the nonce and GCM's tag.
	Overhead = headerLen + nonceLen + 16
)

// RefreshEvery is how often a process looks for a newer data key that
// another process added (dancu keys rotate --new-data-key), so that new
// writes everywhere move to it within that time.
const RefreshEvery = time.Minute

// ErrCorrupt is returned by Open for a sealed document that fails
// authentication: it was altered, moved to another row, or its key is not
// the one that sealed it.
var ErrCorrupt = errors.New("seal: sealed document fails authentication")

// Keyring seals and opens documents with the data keys of a store. It is
// safe for concurrent use. The unwrapped keys stay in the process's memory
// only.
type Keyring struct {
	p  Provider
	ks store.DataKeys

	mu        sync.RWMutex
	deks      map[int64]cipher.AEAD
	active    int64  // the data key that seals
	index     []byte // the blind-index key
	refreshed time.Time
}

// NewKeyring loads the keys of ks, unwrapping them with p, and creates the
// first data key and the index key if the store has none yet (several
// processes starting at once agree on one of each).
func NewKeyring(ctx context.Context, p Provider, ks store.DataKeys) (*Keyring, error) {
	k := &Keyring{p: p, ks: ks, deks: map[int64]cipher.AEAD{}}
	for attempt := 0; ; attempt++ {
		rows, err := k.load(ctx)
		if err != nil {
			return nil, err
		}
		var missing string
		switch {
		case k.index == nil:
			missing = PurposeIndex
		case k.active == 0:
			missing = PurposeData
		default:
			return k, nil
		}
		err = k.add(ctx, missing, nextID(rows))
		if errors.Is(err, store.ErrExists) && attempt < 5 {
			continue // another process took the id: read again
		}
		if err != nil {
			return nil, err
		}
	}
}

// NewDataKey adds a fresh data key that seals new writes from now on (in
// other processes within a minute), and returns its id. Documents sealed
// under older keys stay readable.
func (k *Keyring) NewDataKey(ctx context.Context) (int64, error) {
	for attempt := 0; ; attempt++ {
		rows, err := k.load(ctx)
		if err != nil {
			return 0, err
		}
		id := nextID(rows)
		err = k.add(ctx, PurposeData, id)
		if errors.Is(err, store.ErrExists) && attempt < 5 {
			continue
		}
		if err != nil {
			return 0, err
		}
		if _, err := k.load(ctx); err != nil {
			return 0, err
		}
		return id, nil
	}
}

// Rewrap wraps every stored key that is not under the provider's current
// KEK again under it, and returns how many it re-wrapped. Documents are not
// touched, and processes holding the keys keep working. A key another
// process re-wrapped meanwhile is skipped.
func (k *Keyring) Rewrap(ctx context.Context) (int, error) {
	current, err := k.p.Current(ctx)
	if err != nil {
		return 0, err
	}
	rows, err := k.ks.DataKeys(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		if r.KEKID == current {
			continue
		}
		dek, err := k.p.Unwrap(ctx, r.KEKID, r.Wrapped, keyAAD(r.Purpose, r.ID))
		if err != nil {
			return n, fmt.Errorf("seal: rewrap key %d: %w", r.ID, err)
		}
		kek, wrapped, err := k.p.Wrap(ctx, dek, keyAAD(r.Purpose, r.ID))
		clear(dek)
		if err != nil {
			return n, fmt.Errorf("seal: rewrap key %d: %w", r.ID, err)
		}
		old := r.KEKID
		r.KEKID, r.Wrapped = kek, wrapped
		switch err := k.ks.RewrapDataKey(ctx, old, r); {
		case errors.Is(err, store.ErrConflict):
		case err != nil:
			return n, fmt.Errorf("seal: rewrap key %d: %w", r.ID, err)
		default:
			n++
		}
	}
	return n, nil
}

// ActiveKey returns the id of the data key that seals new writes.
func (k *Keyring) ActiveKey() int64 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.active
}

// Seal encrypts plaintext with AES-256-GCM under the active data key. aad
// names the document's place (its table and row key): Open with another
// aad fails, so a sealed document cannot be moved to another row. An empty
// document stays empty.
//
// The result is magic (4 bytes), the data key's id (4 bytes, big-endian),
// a random 12-byte nonce, then the ciphertext and tag; the first 8 bytes
// are authenticated with aad.
func (k *Keyring) Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error) {
	if len(plaintext) == 0 {
		return plaintext, nil
	}
	k.maybeRefresh(ctx)
	k.mu.RLock()
	id, aead := k.active, k.deks[k.active]
	k.mu.RUnlock()
	out := make([]byte, headerLen+nonceLen, Overhead+len(plaintext))
	copy(out, magic[:])
	binary.BigEndian.PutUint32(out[len(magic):], uint32(id))
	if _, err := rand.Read(out[headerLen:]); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead.Seal(out, out[headerLen:], plaintext, docAAD(out[:headerLen], aad)), nil
}

// Open decrypts a document Seal produced with the same aad. A document
// that is not sealed (written before encryption was on) is returned as it
// is. A data key this process has not loaded yet (another process added
// it) is read from the store.
func (k *Keyring) Open(ctx context.Context, b, aad []byte) ([]byte, error) {
	if !IsSealed(b) {
		return b, nil
	}
	if len(b) < Overhead {
		return nil, ErrCorrupt
	}
	id := int64(binary.BigEndian.Uint32(b[len(magic):headerLen]))
	k.mu.RLock()
	aead := k.deks[id]
	k.mu.RUnlock()
	if aead == nil {
		if _, err := k.load(ctx); err != nil {
			return nil, err
		}
		k.mu.RLock()
		aead = k.deks[id]
		k.mu.RUnlock()
		if aead == nil {
			return nil, fmt.Errorf("seal: document sealed under data key %d, which the store does not hold", id)
		}
	}
	p, err := aead.Open(nil, b[headerLen:headerLen+nonceLen], b[headerLen+nonceLen:], docAAD(b[:headerLen], aad))
	if err != nil {
		return nil, ErrCorrupt
	}
	return p, nil
}

// KeyPrefix returns how every document sealed under data key id starts:
// the magic, then the key's id. A store can find the documents that are
// not under a key by it, without opening any.
func KeyPrefix(id int64) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), magic[:]...), uint32(id))
}

// Magic returns how every sealed document starts.
func Magic() []byte { return append([]byte(nil), magic[:]...) }

// KeyIDLen is how many bytes after Magic name a document's data key.
const KeyIDLen = dekIDLen

// ParseKeyID reads the data key id of b, the KeyIDLen bytes that follow
// Magic in a sealed document.
func ParseKeyID(b []byte) (int64, bool) {
	if len(b) != dekIDLen {
		return 0, false
	}
	return int64(binary.BigEndian.Uint32(b)), true
}

// IsSealed reports whether b is a sealed document.
func IsSealed(b []byte) bool {
	return bytes.HasPrefix(b, magic[:])
}

// Index returns the keyed blind index of value for an equality lookup:
// HMAC-SHA-256 under the index key of the store, over a domain that keeps
// the indexes of different columns apart. Equal values give equal indexes;
// without the key, an index says nothing about its value.
func (k *Keyring) Index(domain string, value []byte) []byte {
	k.mu.RLock()
	key := k.index
	k.mu.RUnlock()
	m := hmac.New(sha256.New, key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write(value)
	return m.Sum(nil)
}

// load reads the store's keys and unwraps those not loaded yet. It returns
// the rows read.
func (k *Keyring) load(ctx context.Context) ([]store.DataKey, error) {
	rows, err := k.ks.DataKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("seal: read data keys: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshed = time.Now()
	for _, r := range rows {
		if r.ID <= 0 || r.ID > 1<<32-1 {
			return nil, fmt.Errorf("seal: data key id %d out of range", r.ID)
		}
		if _, ok := k.deks[r.ID]; ok || (r.Purpose == PurposeIndex && k.index != nil) {
			if r.Purpose == PurposeData {
				k.active = max(k.active, r.ID)
			}
			continue
		}
		key, err := k.p.Unwrap(ctx, r.KEKID, r.Wrapped, keyAAD(r.Purpose, r.ID))
		if err != nil {
			return nil, fmt.Errorf("seal: data key %d: %w", r.ID, err)
		}
		switch r.Purpose {
		case PurposeIndex:
			if k.index == nil {
				k.index = key
			}
		case PurposeData:
			aead, err := newGCM(key)
			clear(key)
			if err != nil {
				return nil, err
			}
			k.deks[r.ID] = aead
			k.active = max(k.active, r.ID)
		default:
			return nil, fmt.Errorf("seal: data key %d: unknown purpose %q", r.ID, r.Purpose)
		}
	}
	return rows, nil
}

// Refresh reads the store's keys again now, so that the newest data key
// seals from here on (the re-seal pass starts with it).
func (k *Keyring) Refresh(ctx context.Context) error {
	_, err := k.load(ctx)
	return err
}

// maybeRefresh reads the store's keys again if it has not for a while.
// Failing to is not an error: the active key still seals.
func (k *Keyring) maybeRefresh(ctx context.Context) {
	k.mu.RLock()
	stale := time.Since(k.refreshed) > RefreshEvery
	k.mu.RUnlock()
	if stale {
		k.mu.Lock()
		// One caller refreshes; the others carry on with the active key.
		again := time.Since(k.refreshed) > RefreshEvery
		if again {
			k.refreshed = time.Now()
		}
		k.mu.Unlock()
		if again {
			k.load(ctx) //nolint:errcheck // see above
		}
	}
}

// add makes a key, wraps it and stores it under id.
func (k *Keyring) add(ctx context.Context, purpose string, id int64) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("seal: new data key: %w", err)
	}
	kek, wrapped, err := k.p.Wrap(ctx, key, keyAAD(purpose, id))
	clear(key)
	if err != nil {
		return fmt.Errorf("seal: new data key: %w", err)
	}
	return k.ks.AddDataKey(ctx, store.DataKey{ID: id, Purpose: purpose, KEKID: kek, Wrapped: wrapped,
		CreatedAt: time.Now().UTC().Truncate(time.Second)})
}

func nextID(rows []store.DataKey) int64 {
	var id int64
	for _, r := range rows {
		id = max(id, r.ID)
	}
	return id + 1
}

// keyAAD binds a wrapped key to its id and purpose in the store.
func keyAAD(purpose string, id int64) []byte {
	return []byte(purpose + "\x00" + strconv.FormatInt(id, 10))
}

// docAAD is what GCM authenticates besides the ciphertext: the header
// (magic and key id) and the caller's aad.
func docAAD(header, aad []byte) []byte {
	out := make([]byte, 0, len(header)+len(aad))
	return append(append(out, header...), aad...)
}

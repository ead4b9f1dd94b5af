package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Provider wraps and unwraps data-encryption keys with a key-encryption key
// it holds. A KMS or an HSM is a Provider whose Wrap and Unwrap are calls to
// it; the key never leaves it. aad binds a wrapped key to its place (its id
// and purpose in the store): unwrapping with another aad fails.
type Provider interface {
	// Current returns the id of the KEK that Wrap uses.
	Current(ctx context.Context) (string, error)
	// Wrap encrypts dek under the current KEK and returns that KEK's id.
	Wrap(ctx context.Context, dek, aad []byte) (kekID string, wrapped []byte, err error)
	// Unwrap decrypts a key wrapped under the KEK kekID. It returns
	// ErrUnknownKEK if the provider has no such KEK.
	Unwrap(ctx context.Context, kekID string, wrapped, aad []byte) ([]byte, error)
}

// ErrUnknownKEK is returned by Unwrap for a KEK the provider does not hold.
var ErrUnknownKEK = errors.New("seal: unknown key-encryption key")

// keyFileFormat names the layout of a key file, so that a later layout can
// be told apart.
const keyFileFormat = "dancu-kek-1"

// keyFileDoc is a key file as written: every KEK by id, and the current one.
type keyFileDoc struct {
	Format  string            `json:"format"`
	Current string            `json:"current"`
	Keys    map[string]string `json:"keys"` // id -> base64 of 32 bytes
}

// KeyFile is a Provider whose KEKs are in a file readable by its owner only
// (mode 0600). It keeps several KEKs during a rotation; the current one
// wraps. It re-reads the file when asked for a KEK it does not know, so a
// process started before a rotation unwraps keys re-wrapped by it.
type KeyFile struct {
	path string
	mu   sync.Mutex
	doc  keyFileDoc
}

var _ Provider = (*KeyFile)(nil)

// OpenKeyFile reads the key file at path. It refuses a file that others
// than its owner may read: a KEK anyone can read protects nothing.
func OpenKeyFile(path string) (*KeyFile, error) {
	k := &KeyFile{path: path}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// CreateKeyFile writes a new key file with one fresh KEK at path, which
// must not exist, and returns it.
func CreateKeyFile(path string) (*KeyFile, error) {
	id, key, err := newKEK()
	if err != nil {
		return nil, err
	}
	k := &KeyFile{path: path, doc: keyFileDoc{Format: keyFileFormat, Current: id,
		Keys: map[string]string{id: base64.StdEncoding.EncodeToString(key)}}}
	if err := k.write(true); err != nil {
		return nil, err
	}
	return k, nil
}

// OpenOrCreateKeyFile opens the key file at path, creating it with a fresh
// KEK if there is none (the embedded default: a key file beside the
// database). created says which happened.
func OpenOrCreateKeyFile(path string) (k *KeyFile, created bool, err error) {
	k, err = OpenKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err = CreateKeyFile(path)
		if errors.Is(err, fs.ErrExist) { // another process created it first
			k, err = OpenKeyFile(path)
			return k, false, err
		}
		return k, err == nil, err
	}
	return k, false, err
}

// Path returns the file's path.
func (k *KeyFile) Path() string { return k.path }

// IDs returns the ids of the KEKs in the file, sorted, and the current one.
func (k *KeyFile) IDs() (ids []string, current string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for id := range k.doc.Keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, k.doc.Current
}

// Current implements Provider.
func (k *KeyFile) Current(context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.doc.Current, nil
}

// Wrap implements Provider: AES-256-GCM under the current KEK, the nonce
// before the ciphertext.
func (k *KeyFile) Wrap(_ context.Context, dek, aad []byte) (string, []byte, error) {
	k.mu.Lock()
	id := k.doc.Current
	aead, err := k.aead(id)
	k.mu.Unlock()
	if err != nil {
		return "", nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(dek)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("seal: wrap: %w", err)
	}
	return id, aead.Seal(nonce, nonce, dek, wrapAAD(id, aad)), nil
}

// Unwrap implements Provider.
func (k *KeyFile) Unwrap(_ context.Context, kekID string, wrapped, aad []byte) ([]byte, error) {
	k.mu.Lock()
	aead, err := k.aead(kekID)
	if errors.Is(err, ErrUnknownKEK) {
		// A rotation in another process may have added it since.
		if rerr := k.reloadLocked(); rerr != nil {
			k.mu.Unlock()
			return nil, rerr
		}
		aead, err = k.aead(kekID)
	}
	k.mu.Unlock()
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(wrapped) < n+aead.Overhead() {
		return nil, errors.New("seal: unwrap: wrapped key too short")
	}
	dek, err := aead.Open(nil, wrapped[:n], wrapped[n:], wrapAAD(kekID, aad))
	if err != nil {
		return nil, fmt.Errorf("seal: unwrap with key-encryption key %s: authentication failed (wrong key file?)", kekID)
	}
	return dek, nil
}

// AddKEK adds a fresh KEK to the file and makes it the current one; the
// others stay, so keys wrapped under them still unwrap until Rewrap has
// moved them. It returns the new KEK's id.
func (k *KeyFile) AddKEK() (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reloadLocked(); err != nil {
		return "", err
	}
	id, key, err := newKEK()
	if err != nil {
		return "", err
	}
	k.doc.Keys[id] = base64.StdEncoding.EncodeToString(key)
	k.doc.Current = id
	return id, k.write(false)
}

// Prune removes every KEK but the current one and those in keep (the KEKs
// that still wrap a stored key), and returns the ids removed.
func (k *KeyFile) Prune(keep []string) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reloadLocked(); err != nil {
		return nil, err
	}
	var gone []string
	for id := range k.doc.Keys {
		if id != k.doc.Current && !slices.Contains(keep, id) {
			gone = append(gone, id)
			delete(k.doc.Keys, id)
		}
	}
	slices.Sort(gone)
	if len(gone) == 0 {
		return nil, nil
	}
	return gone, k.write(false)
}

func (k *KeyFile) reload() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.reloadLocked()
}

func (k *KeyFile) reloadLocked() error {
	info, err := os.Stat(k.path)
	if err != nil {
		return fmt.Errorf("seal: key file: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("seal: key file %s: mode %v lets others read it; chmod 600 it", k.path, info.Mode().Perm())
	}
	b, err := os.ReadFile(k.path)
	if err != nil {
		return fmt.Errorf("seal: key file: %w", err)
	}
	var doc keyFileDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		// Never quote the content: it is key material.
		return fmt.Errorf("seal: key file %s: not a dancu key file", k.path)
	}
	if doc.Format != keyFileFormat {
		return fmt.Errorf("seal: key file %s: format %q, want %q", k.path, doc.Format, keyFileFormat)
	}
	for id, v := range doc.Keys {
		if key, err := base64.StdEncoding.DecodeString(v); err != nil || len(key) != 32 {
			return fmt.Errorf("seal: key file %s: key %s is not 32 bytes of base64", k.path, id)
		}
	}
	if _, ok := doc.Keys[doc.Current]; !ok {
		return fmt.Errorf("seal: key file %s: the current key %q is not in the file", k.path, doc.Current)
	}
	k.doc = doc
	return nil
}

// write saves the file atomically (a temporary file synced, then renamed),
// so that a crash leaves the old file or the new one, never half of one.
func (k *KeyFile) write(create bool) error {
	b, err := json.MarshalIndent(k.doc, "", "  ")
	if err != nil {
		return err
	}
	if create {
		if _, err := os.Lstat(k.path); err == nil {
			return fmt.Errorf("seal: key file %s: %w", k.path, fs.ErrExist)
		}
	}
	dir := filepath.Dir(k.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("seal: key file: %w", err)
	}
	f, err := os.CreateTemp(dir, ".dancu-keys-*")
	if err != nil {
		return fmt.Errorf("seal: key file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err == nil {
		_, err = f.Write(append(b, '\n'))
		if err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && create {
		// Link fails if the path appeared meanwhile: two processes creating
		// the default key file at once agree on the first one.
		err = os.Link(tmp, k.path)
	} else if err == nil {
		err = os.Rename(tmp, k.path)
	}
	if err != nil {
		return fmt.Errorf("seal: key file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// aead returns the AES-GCM of KEK id; k.mu is held.
func (k *KeyFile) aead(id string) (cipher.AEAD, error) {
	v, ok := k.doc.Keys[id]
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrUnknownKEK, id)
	}
	key, _ := base64.StdEncoding.DecodeString(v) // checked when read
	return newGCM(key)
}

// wrapAAD binds a wrapped key to the KEK and to the caller's aad.
func wrapAAD(kekID string, aad []byte) []byte {
	return append([]byte("dancu-wrap\x00"+kekID+"\x00"), aad...)
}

func newKEK() (id string, key []byte, err error) {
	key = make([]byte, 32)
	var suffix [3]byte
	if _, err := rand.Read(key); err != nil {
		return "", nil, fmt.Errorf("seal: new key: %w", err)
	}
	if _, err := rand.Read(suffix[:]); err != nil {
		return "", nil, fmt.Errorf("seal: new key: %w", err)
	}
	return fmt.Sprintf("kek-%s-%x", time.Now().UTC().Format("20060102T150405Z"), suffix), key, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return cipher.NewGCM(b)
}

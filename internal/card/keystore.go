package card

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// KeyStore holds the private keys of the CSCA and the document signers. The
// keys never leave it: callers get a crypto.Signer. A hardware security
// module implements the same interface (its Signer signs inside the HSM).
type KeyStore interface {
	// Generate creates a new key pair under id (ErrKeyExists if id is
	// taken) and returns its signer. curve is the ECDSA curve.
	Generate(ctx context.Context, id string, curve elliptic.Curve) (crypto.Signer, error)
	// Signer returns the signer of the key id, or an error wrapping
	// ErrKeyNotFound.
	Signer(ctx context.Context, id string) (crypto.Signer, error)
}

// Errors of a KeyStore.
var (
	ErrKeyNotFound = errors.New("card: key not found")
	ErrKeyExists   = errors.New("card: key exists")
)

// keyIDPattern keeps key ids usable as file names.
var keyIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// FileKeyStore keeps each key as a PKCS#8 PEM file, readable by its owner
// only, in a folder. It suits one machine or a shared, access-controlled
// volume; several processes on several machines share keys through an HSM.
type FileKeyStore struct {
	dir string
}

// NewFileKeyStore returns the file store in dir, creating dir (mode 0700).
func NewFileKeyStore(dir string) (*FileKeyStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("card: key store: %w", err)
	}
	return &FileKeyStore{dir: dir}, nil
}

func (f *FileKeyStore) path(id string) (string, error) {
	if !keyIDPattern.MatchString(id) {
		return "", fmt.Errorf("card: key id %q is not a key id", id)
	}
	return filepath.Join(f.dir, id+".key"), nil
}

// Generate implements KeyStore. The file is written under a temporary name
// and linked into place, so that a concurrent Generate of the same id fails
// rather than overwrites.
func (f *FileKeyStore) Generate(_ context.Context, id string, curve elliptic.Curve) (crypto.Signer, error) {
	p, err := f.path(id)
	if err != nil {
		return nil, err
	}
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(f.dir, ".new-*")
	if err != nil {
		return nil, fmt.Errorf("card: key store: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), p); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%w: %s", ErrKeyExists, id)
		}
		return nil, fmt.Errorf("card: key store: %w", err)
	}
	return k, nil
}

// Signer implements KeyStore.
func (f *FileKeyStore) Signer(_ context.Context, id string) (crypto.Signer, error) {
	p, err := f.path(id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrKeyNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("card: key store: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("card: key store: %s is not a PKCS#8 PEM key", id)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("card: key store: %s: %w", id, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("card: key store: %s cannot sign", id)
	}
	return s, nil
}

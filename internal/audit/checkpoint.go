package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dancu/dancu/internal/store"
)

// DefaultOrigin is the checkpoint origin (and signing key name) when the
// configuration names none. A deployment should name its own host.
const DefaultOrigin = "dancu.example/access-log"

// Settings keys this package owns.
const (
	// signerKeySetting holds the note signer key (PRIVATE+KEY+origin+...).
	// It is stored in clear for now; encrypting it at rest is a later issue.
	signerKeySetting    = "audit.checkpoint_signer_key"
	pseudonymKeySetting = "audit.pseudonym_hmac_key"
)

// Checkpoint is the body of a C2SP checkpoint (c2sp.org/tlog-checkpoint): the
// origin, the tree size and the RFC 6962 root hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Format returns the checkpoint body: three lines, each ending in a newline.
func (c Checkpoint) Format() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpoint parses a checkpoint body (the text of a signed note, not
// the note with its signatures). Extension lines after the root are allowed
// by the specification and ignored.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	bad := func(what string) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("audit: malformed checkpoint: %s", what)
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return bad("no final newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) < 3 {
		return bad("fewer than three lines")
	}
	origin := lines[0]
	if origin == "" || strings.ContainsAny(origin, " \t\r") {
		return bad("origin")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return bad("size")
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return bad("root hash")
	}
	for _, l := range lines[3:] {
		if l == "" {
			return bad("empty extension line")
		}
	}
	c := Checkpoint{Origin: origin, Size: size}
	copy(c.Root[:], root)
	return c, nil
}

// OpenCheckpoint verifies a signed checkpoint note with v and parses it,
// checking that it is for v's origin.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, errors.New("audit: checkpoint is for another origin")
	}
	return c, nil
}

// keys are the log's secrets, generated at first start and kept in the
// store's settings so that every process (and every restart) uses the same.
type keys struct {
	signer    note.Signer
	verifier  note.Verifier
	vkey      string
	pseudonym []byte
	// hashes holds *pseudonymHash keyed with pseudonym, for reuse.
	hashes sync.Pool
}

// pseudonymHash returns a hash keyed with the pseudonym key; give it back
// with putPseudonymHash.
func (k *keys) pseudonymHash() *pseudonymHash {
	if p, ok := k.hashes.Get().(*pseudonymHash); ok {
		return p
	}
	return &pseudonymHash{h: hmac.New(sha256.New, k.pseudonym)}
}

func (k *keys) putPseudonymHash(p *pseudonymHash) { k.hashes.Put(p) }

// appendPseudonym appends the keyed pseudonym of pin to dst.
func (k *keys) appendPseudonym(dst []byte, pin string) []byte {
	p := k.pseudonymHash()
	dst = p.appendPseudonym(dst, pin)
	k.putPseudonymHash(p)
	return dst
}

// settings is the part of the store the keys live in.
type settings interface {
	Setting(ctx context.Context, key string) (string, error)
	SetSettingIfAbsent(ctx context.Context, key, value string) (string, error)
}

// setupKeys loads the keys, generating those that are missing. SetSettingIfAbsent
// makes processes starting together agree on one key.
func setupKeys(ctx context.Context, s settings, origin string) (*keys, error) {
	skey, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, fmt.Errorf("audit: generate signing key: %w", err)
	}
	skey, err = s.SetSettingIfAbsent(ctx, signerKeySetting, skey)
	if err != nil {
		return nil, fmt.Errorf("audit: store signing key: %w", err)
	}
	var raw [32]byte
	rand.Read(raw[:])
	pk, err := s.SetSettingIfAbsent(ctx, pseudonymKeySetting, base64.StdEncoding.EncodeToString(raw[:]))
	if err != nil {
		return nil, fmt.Errorf("audit: store pseudonym key: %w", err)
	}
	return loadKeys(skey, pk, origin)
}

// readKeys loads existing keys without creating any; ok is false if the log
// has never been started.
func readKeys(ctx context.Context, s settings) (k *keys, ok bool, err error) {
	skey, err := s.Setting(ctx, signerKeySetting)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("audit: read signing key: %w", err)
	}
	pk, err := s.Setting(ctx, pseudonymKeySetting)
	if err != nil {
		return nil, false, fmt.Errorf("audit: read pseudonym key: %w", err)
	}
	k, err = loadKeys(skey, pk, "")
	return k, err == nil, err
}

func loadKeys(skey, pseudonymKey, origin string) (*keys, error) {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, errors.New("audit: stored signing key is malformed")
	}
	if origin != "" && signer.Name() != origin {
		// The origin is the key's name, fixed when the key was made: a
		// changed origin would make every earlier checkpoint unverifiable.
		return nil, fmt.Errorf("audit: the signing key was made for origin %q, not %q", signer.Name(), origin)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit: verifier key: %w", err)
	}
	pk, err := base64.StdEncoding.DecodeString(pseudonymKey)
	if err != nil || len(pk) < 16 {
		return nil, errors.New("audit: stored pseudonym key is malformed")
	}
	return &keys{signer: signer, verifier: verifier, vkey: vkey, pseudonym: pk}, nil
}

// verifierKey derives the public verifier key ("name+hash+base64") from a
// note signer key ("PRIVATE+KEY+name+hash+base64"), which holds the Ed25519
// seed: the public key is computed from it, never stored separately.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("audit: stored signing key is malformed")
	}
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 33 || key[0] != 1 {
		return "", errors.New("audit: stored signing key is not Ed25519")
	}
	pub := ed25519Public(key[1:])
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// signCheckpoint signs c as a note.
func (k *keys) signCheckpoint(c Checkpoint) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(c.Format())}, k.signer)
}

// openStored checks that a stored checkpoint's note is signed by k, and
// matches the size and root stored beside it.
func (k *keys) openStored(c store.Checkpoint) (Checkpoint, error) {
	cp, err := OpenCheckpoint(c.Note, k.verifier)
	if err != nil {
		return Checkpoint{}, err
	}
	if cp.Size != c.Size || !bytes.Equal(cp.Root[:], c.Root[:]) {
		return Checkpoint{}, errors.New("audit: stored checkpoint differs from its signed note")
	}
	return cp, nil
}

func ed25519Public(seed []byte) ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}

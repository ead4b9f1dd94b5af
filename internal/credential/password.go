package credential

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters. They are stored with every hash (in
// the PHC string), so raising them later only affects new hashes, and a
// hash made with weaker ones is upgraded at the next successful sign-in.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes
	KeyLen  uint32 // bytes of derived key
	SaltLen uint32 // bytes of random salt
}

// DefaultParams are the costs new passwords are hashed with; doc.go says
// why these.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// Bounds on parameters read back from a stored hash. The hashes are ours,
// but a corrupted or tampered record must not make one sign-in allocate
// gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // 1 GiB
	maxTime    = 64
	maxKeyLen  = 128
	minSaltLen = 8
	maxSaltLen = 64
)

// ErrMalformedHash reports a stored password hash that is not an argon2id
// PHC string this package can verify.
var ErrMalformedHash = errors.New("credential: malformed password hash")

// hashSlots bounds how many hashes run at once: each holds Memory KiB for
// its duration, and a burst of sign-ins (or of guesses) must neither exhaust
// memory nor take both cores from the registry. Waiters queue.
var hashSlots = make(chan struct{}, 2)

func argonKey(password, salt []byte, p Params) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// HashPassword hashes password with p and a fresh random salt, in the PHC
// string format: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, with salt and
// hash in unpadded standard base64.
func HashPassword(password string, p Params) string {
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := argonKey([]byte(password), salt, p)
	return encodePHC(p, salt, key)
}

func encodePHC(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parsePHC reads an argon2id PHC string back into its parameters, salt and
// key. Only argon2id version 19 is accepted: there is no older format to
// migrate from.
func parsePHC(s string) (Params, []byte, []byte, error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] || v == "" || (len(v) > 1 && v[0] == '0') {
			return Params{}, nil, nil, ErrMalformedHash
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return Params{}, nil, nil, ErrMalformedHash
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return Params{}, nil, nil, ErrMalformedHash
			}
			p.Threads = uint8(n)
		default:
			return Params{}, nil, nil, ErrMalformedHash
		}
	}
	if len(seen) != 3 || p.Time < 1 || p.Time > maxTime || p.Threads < 1 ||
		p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return Params{}, nil, nil, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding.Strict()
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return Params{}, nil, nil, ErrMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > maxKeyLen {
		return Params{}, nil, nil, ErrMalformedHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword reports whether password matches the PHC string hash, and
// whether the hash was made with parameters other than want, so that the
// caller can store a fresh hash while it has the password in hand. The
// comparison takes the same time wherever the keys differ.
func VerifyPassword(hash, password string, want Params) (ok, rehash bool, err error) {
	p, salt, key, err := parsePHC(hash)
	if err != nil {
		return false, false, err
	}
	got := argonKey([]byte(password), salt, p)
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, p != want, nil
}

// HashParams returns the parameters a PHC string hash was made with, or
// ErrMalformedHash.
func HashParams(hash string) (Params, error) {
	p, _, _, err := parsePHC(hash)
	return p, err
}

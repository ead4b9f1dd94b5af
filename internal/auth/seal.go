package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Seal encrypts and authenticates b for one purpose ("search-cursor") under a
// key derived from the instance's session key, and returns it as base64url.
// Opaque values handed to clients, such as search cursors, then reveal
// nothing of the names and PINs inside even when they end up in a proxy's
// logs, cannot be forged, and open in every process that shares the store.
func (a *Authenticator) Seal(purpose string, b []byte) string {
	aead := a.aead(purpose)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, b, []byte(purpose)))
}

// Open returns what Seal sealed for the same purpose, or false for anything
// else: a forged, altered or truncated value, or one sealed for another purpose.
func (a *Authenticator) Open(purpose, s string) ([]byte, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	aead := a.aead(purpose)
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, false
	}
	b, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(purpose))
	return b, err == nil
}

// aead returns AES-256-GCM under the key for purpose. Deriving per call keeps
// no state; it costs a few microseconds per page of search results.
func (a *Authenticator) aead(purpose string) cipher.AEAD {
	key, err := hkdf.Key(sha256.New, a.sessionKey, nil, "dancu seal "+purpose, 32)
	if err != nil {
		panic("auth: derive a sealing key: " + err.Error())
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("auth: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("auth: " + err.Error())
	}
	return aead
}

package feed

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Standard Webhooks header names (https://www.standardwebhooks.com/).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// The header names as net/http keys them (textproto.CanonicalMIMEHeaderKey).
const (
	canonicalID        = "Webhook-Id"
	canonicalTimestamp = "Webhook-Timestamp"
	canonicalSignature = "Webhook-Signature"
)

// secretPrefix marks a symmetric Standard Webhooks secret; the rest is the
// key in standard base64.
const secretPrefix = "whsec_"

// NewSecret returns a fresh signing secret, "whsec_" and 32 random bytes in
// base64: the spec asks for between 24 and 64 bytes.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// secretKey decodes a "whsec_<base64>" secret into the HMAC key.
func secretKey(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errors.New("feed: a webhook secret starts with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, errors.New("feed: a webhook secret is whsec_ and 24 to 64 bytes in base64")
	}
	return key, nil
}

// Sign returns the webhook-signature value for a message: "v1," and the
// base64 of HMAC-SHA256 over "<id>.<timestamp>.<body>" with the secret's
// key, as the Standard Webhooks specification defines it.
func Sign(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return sign(key, id, timestamp, body), nil
}

func sign(key []byte, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, timestamp, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

package credential

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"hash"
	"net/url"
	"strings"
	"time"
)

// TOTP settings (RFC 6238). SHA-1, 6 digits and 30 seconds are what every
// authenticator app supports; the others are ignored or mishandled by many.
const (
	totpPeriod    = 30 * time.Second
	totpDigits    = 6
	totpSkew      = 1  // steps accepted either side of now, for clock drift
	totpSecretLen = 20 // bytes: the HMAC-SHA-1 block-size-friendly length RFC 4226 recommends
)

// secretEncoding is the base32 of otpauth:// URIs: upper case, no padding.
var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a fresh random secret in base32.
func NewTOTPSecret() string {
	b := make([]byte, totpSecretLen)
	rand.Read(b)
	return secretEncoding.EncodeToString(b)
}

// hotp is RFC 4226's HOTP value of key at counter, with digits digits and
// the given HMAC hash (RFC 6238 allows SHA-256 and SHA-512; only its test
// vectors use them here).
func hotp(newHash func() hash.Hash, key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(newHash, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	code := []byte(strings.Repeat("0", digits))
	for i, v := digits-1, bin%mod; i >= 0; i, v = i-1, v/10 {
		code[i] = byte('0' + v%10)
	}
	return string(code)
}

// totpStep is the RFC 6238 time step of t.
func totpStep(t time.Time) uint64 { return uint64(t.Unix()) / uint64(totpPeriod/time.Second) }

// MatchTOTP returns the time step, within the skew around now, whose code is
// code. Every candidate is computed and compared in constant time, so the
// answer's timing says nothing about which step (if any) matched. The
// caller records the step as used (store.Directory.UseNonce, until
// StepExpiry) so that a code is accepted once only.
func MatchTOTP(secret, code string, now time.Time) (step uint64, ok bool) {
	key, err := secretEncoding.DecodeString(strings.ToUpper(secret))
	if err != nil || len(code) != totpDigits {
		return 0, false
	}
	cur := totpStep(now)
	for d := -totpSkew; d <= totpSkew; d++ {
		s := cur + uint64(d)
		if hmac.Equal([]byte(hotp(sha1.New, key, s, totpDigits)), []byte(code)) {
			step, ok = s, true
		}
	}
	return step, ok
}

// Enrolment is what a person needs to add an account to an authenticator
// app: the otpauth:// URI (what a QR code would hold) and the secret for
// typing in by hand.
type Enrolment struct {
	URI    string
	Secret string
}

// NewEnrolment builds the otpauth:// URI of Google Authenticator's key URI
// format, which every common app reads, for the account label under issuer.
func NewEnrolment(issuer, username, secret string) Enrolment {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(username)
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	return Enrolment{URI: "otpauth://totp/" + label + "?" + q.Encode(), Secret: secret}
}

// TOTPCode returns the code an authenticator app enrolled with secret shows
// at t. Sign-in never needs it; tests and the demo do, to play the
// person's phone.
func TOTPCode(secret string, t time.Time) string {
	key, err := secretEncoding.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return ""
	}
	return hotp(sha1.New, key, totpStep(t), totpDigits)
}

// StepExpiry is when a code of the given time step stops being accepted
// by MatchTOTP anywhere: the time to keep the record that it was used.
func StepExpiry(step uint64) time.Time {
	return time.Unix(int64(step+totpSkew+1)*int64(totpPeriod/time.Second), 0)
}

package credential

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"net/url"
	"testing"
	"time"
)

// TestHOTP_RFC6238 checks the test vectors of RFC 6238, appendix B: 8-digit
// codes for the three hashes, each with the seed the RFC uses for it.
func TestHOTP_RFC6238(t *testing.T) {
	seeds := map[string][]byte{
		"SHA1":   []byte("12345678901234567890"),
		"SHA256": []byte("12345678901234567890123456789012"),
		"SHA512": []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	hashes := map[string]func() hash.Hash{"SHA1": sha1.New, "SHA256": sha256.New, "SHA512": sha512.New}
	tests := []struct {
		unix int64
		alg  string
		want string
	}{
		{59, "SHA1", "94287082"}, {59, "SHA256", "46119246"}, {59, "SHA512", "90693936"},
		{1111111109, "SHA1", "07081804"}, {1111111109, "SHA256", "68084774"}, {1111111109, "SHA512", "25091201"},
		{1111111111, "SHA1", "14050471"}, {1111111111, "SHA256", "67062674"}, {1111111111, "SHA512", "99943326"},
		{1234567890, "SHA1", "89005924"}, {1234567890, "SHA256", "91819424"}, {1234567890, "SHA512", "93441116"},
		{2000000000, "SHA1", "69279037"}, {2000000000, "SHA256", "90698825"}, {2000000000, "SHA512", "38618901"},
		{20000000000, "SHA1", "65353130"}, {20000000000, "SHA256", "77737706"}, {20000000000, "SHA512", "47863826"},
	}
	for _, tt := range tests {
		got := hotp(hashes[tt.alg], seeds[tt.alg], totpStep(time.Unix(tt.unix, 0)), 8)
		if got != tt.want {
			t.Errorf("TOTP %s at %d = %s, want %s", tt.alg, tt.unix, got, tt.want)
		}
	}
}

func TestMatchTOTP(t *testing.T) {
	secret := secretEncoding.EncodeToString([]byte("12345678901234567890"))
	now := time.Unix(1111111111, 0) // step 37037037
	code := func(at time.Time) string {
		return hotp(sha1.New, []byte("12345678901234567890"), totpStep(at), 6)
	}
	tests := []struct {
		name     string
		code     string
		wantOK   bool
		wantStep uint64
	}{
		{"now", code(now), true, 37037037},
		{"one step early", code(now.Add(-30 * time.Second)), true, 37037036},
		{"one step late", code(now.Add(30 * time.Second)), true, 37037038},
		{"two steps early", code(now.Add(-60 * time.Second)), false, 0},
		{"two steps late", code(now.Add(60 * time.Second)), false, 0},
		{"empty", "", false, 0},
		{"too long", code(now) + "0", false, 0},
		{"letters", "abcdef", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := MatchTOTP(secret, tt.code, now)
			if ok != tt.wantOK || step != tt.wantStep {
				t.Errorf("MatchTOTP = %d, %v; want %d, %v", step, ok, tt.wantStep, tt.wantOK)
			}
		})
	}
	if _, ok := MatchTOTP("not base32!", code(now), now); ok {
		t.Error("a malformed secret matched")
	}
}

func TestEnrolment(t *testing.T) {
	e := NewEnrolment("dancu", "an.nv", "JBSWY3DPEHPK3PXP")
	u, err := url.Parse(e.URI)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/dancu:an.nv" {
		t.Errorf("URI %s: wrong scheme, type or label", e.URI)
	}
	q := u.Query()
	for k, want := range map[string]string{"secret": "JBSWY3DPEHPK3PXP", "issuer": "dancu", "algorithm": "SHA1", "digits": "6", "period": "30"} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if e.Secret != "JBSWY3DPEHPK3PXP" {
		t.Errorf("Secret = %q", e.Secret)
	}
	if s := NewTOTPSecret(); len(s) != 32 {
		t.Errorf("new secret %q: want 32 base32 characters (20 bytes)", s)
	}
}

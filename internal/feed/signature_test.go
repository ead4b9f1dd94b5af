package feed

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSignVector checks Sign against the test vector the Standard Webhooks
// reference libraries publish (libraries/go/webhook_test.go,
// TestWebhookSign), and the test's own verifier against Sign.
func TestSignVector(t *testing.T) {
	tests := []struct {
		name, secret, id string
		ts               int64
		body             string
		want             string
		wantErr          bool
	}{
		{"spec vector", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
			`{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", false},
		{"no prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 1, "{}", "", true},
		{"not base64", "whsec_***", "msg_1", 1, "{}", "", true},
		{"too short", "whsec_AAAA", "msg_1", 1, "{}", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sign(tc.secret, tc.id, tc.ts, []byte(tc.body))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Sign error = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("Sign = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSignVerifiesIndependently signs fresh messages and checks them with
// the test's verifier, which shares no code with Sign.
func TestSignVerifiesIndependently(t *testing.T) {
	secret := NewSecret()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q lacks whsec_", secret)
	}
	now := time.Now().Unix()
	for _, body := range []string{"{}", `{"type":"person.death","data":{"pin":"079190000001"}}`, ""} {
		sig, err := Sign(secret, "msg_42", now, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(HeaderID, "msg_42")
		h.Set(HeaderTimestamp, strconv.FormatInt(now, 10))
		h.Set(HeaderSignature, "v1,AAAA "+sig) // a receiver accepts any matching entry
		if err := verify(secret, h, []byte(body)); err != nil {
			t.Errorf("body %q: %v", body, err)
		}
		if err := verify(secret, h, []byte(body+" ")); err == nil {
			t.Errorf("body %q: a changed body verified", body)
		}
		if err := verify(NewSecret(), h, []byte(body)); err == nil {
			t.Errorf("body %q: another secret verified", body)
		}
	}
}

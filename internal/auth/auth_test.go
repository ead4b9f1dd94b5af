package auth

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// memSettings is a hand-written fake of store.Settings.
type memSettings struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memSettings) Setting(_ context.Context, k string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok {
		return "", store.ErrNotFound
	}
	return v, nil
}

func (s *memSettings) SetSettingIfAbsent(_ context.Context, k, v string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[k]; ok {
		return old, nil
	}
	s.m[k] = v
	return v, nil
}

func (s *memSettings) PutSetting(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

func TestSetup_GeneratesOnce(t *testing.T) {
	ctx := context.Background()
	s := &memSettings{m: map[string]string{}}
	a, tok, err := Setup(ctx, s, "")
	if err != nil || !strings.HasPrefix(tok, "dancu_") {
		t.Fatalf("first Setup = %q, %v", tok, err)
	}
	for k, v := range s.m {
		if strings.Contains(v, tok) {
			t.Errorf("setting %s holds the token in clear", k)
		}
	}
	if p, ok := a.VerifyToken(tok); !ok || p != Admin {
		t.Errorf("VerifyToken(generated) = %v, %v", p, ok)
	}
	b, tok2, err := Setup(ctx, s, "")
	if err != nil || tok2 != "" {
		t.Fatalf("second Setup printed a token again: %q, %v", tok2, err)
	}
	if _, ok := b.VerifyToken(tok); !ok {
		t.Errorf("token from the first start not accepted after restart")
	}
	for _, bad := range []string{"", "dancu_x", tok + "x", strings.ToUpper(tok)} {
		if _, ok := b.VerifyToken(bad); ok {
			t.Errorf("VerifyToken(%q) accepted", bad)
		}
	}
}

func TestSetup_EnvToken(t *testing.T) {
	ctx := context.Background()
	s := &memSettings{m: map[string]string{}}
	if _, _, err := Setup(ctx, s, "short"); err == nil {
		t.Error("short DANCU_ADMIN_TOKEN accepted")
	}
	a, tok, err := Setup(ctx, s, "a-long-enough-operator-token")
	if err != nil || tok != "" {
		t.Fatalf("Setup = %q, %v", tok, err)
	}
	if _, ok := a.VerifyToken("a-long-enough-operator-token"); !ok {
		t.Error("env token not accepted")
	}
}

func TestAuthenticator_Session(t *testing.T) {
	s := &memSettings{m: map[string]string{}}
	a, _, err := Setup(context.Background(), s, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	v := a.NewSession(Admin, time.Hour)
	if p, ok := a.VerifySession(v); !ok || p != Admin {
		t.Fatalf("VerifySession = %v, %v", p, ok)
	}
	// Another process over the same store accepts it.
	b, _, _ := Setup(context.Background(), s, "")
	b.now = a.now
	if _, ok := b.VerifySession(v); !ok {
		t.Error("session not accepted by a second authenticator on the same store")
	}
	payload, sig, _ := strings.Cut(v, ".")
	for name, bad := range map[string]string{
		"empty":          "",
		"no signature":   payload,
		"bad signature":  payload + "." + sig[:len(sig)-2] + "AA",
		"forged payload": "eyJzdWIiOiJ4Iiwia2luZCI6ImFkbWluIiwiZXhwIjo5OTk5OTk5OTk5fQ." + sig,
	} {
		if _, ok := a.VerifySession(bad); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	now = now.Add(2 * time.Hour)
	if _, ok := a.VerifySession(v); ok {
		t.Error("expired session accepted")
	}
}

func TestAuthenticator_SealOpen(t *testing.T) {
	s := &memSettings{m: map[string]string{}}
	a, _, _ := Setup(context.Background(), s, "")
	b, _, _ := Setup(context.Background(), s, "") // another process, same store
	sealed := a.Seal("search-cursor", []byte("nguyen van an\n001090000001"))
	if strings.Contains(sealed, "nguyen") {
		t.Fatal("sealed value shows its content")
	}
	if got, ok := b.Open("search-cursor", sealed); !ok || string(got) != "nguyen van an\n001090000001" {
		t.Errorf("Open = %q, %v", got, ok)
	}
	raw := []byte(sealed)
	raw[len(raw)/2] ^= 1
	for name, v := range map[string]string{"empty": "", "garbage": "!!", "altered": string(raw), "short": sealed[:8]} {
		if _, ok := a.Open("search-cursor", v); ok {
			t.Errorf("%s: opened", name)
		}
	}
	if _, ok := a.Open("other-purpose", sealed); ok {
		t.Error("opened under another purpose")
	}
	other := &memSettings{m: map[string]string{}}
	c, _, _ := Setup(context.Background(), other, "")
	if _, ok := c.Open("search-cursor", sealed); ok {
		t.Error("opened by another instance")
	}
}

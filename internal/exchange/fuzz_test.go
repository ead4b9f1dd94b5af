package exchange

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// memStore is a Directory and Settings in memory, enough for the assertion
// parser's fuzz target.
type memStore struct {
	recs     map[string]store.DirRecord
	settings map[string]string
	nonces   map[string]bool
}

func newMemStore() *memStore {
	return &memStore{recs: map[string]store.DirRecord{}, settings: map[string]string{}, nonces: map[string]bool{}}
}

func (m *memStore) DirRecord(_ context.Context, kind, id string) (store.DirRecord, error) {
	r, ok := m.recs[kind+"\x00"+id]
	if !ok {
		return r, store.ErrNotFound
	}
	return r, nil
}

func (m *memStore) DirRecords(_ context.Context, kind, parent string) ([]store.DirRecord, error) {
	var out []store.DirRecord
	for _, r := range m.recs {
		if r.Kind == kind && (parent == "" || r.Parent == parent) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memStore) PutDirRecord(_ context.Context, r store.DirRecord) error {
	k := r.Kind + "\x00" + r.ID
	cur, ok := m.recs[k]
	switch {
	case r.Version == 1 && ok:
		return store.ErrExists
	case r.Version > 1 && (!ok || cur.Version != r.Version-1):
		return store.ErrConflict
	}
	m.recs[k] = r
	return nil
}

func (m *memStore) UseNonce(_ context.Context, scope, value string, _ time.Time) error {
	if m.nonces[scope+"\x00"+value] {
		return store.ErrExists
	}
	m.nonces[scope+"\x00"+value] = true
	return nil
}

func (m *memStore) Setting(_ context.Context, key string) (string, error) {
	v, ok := m.settings[key]
	if !ok {
		return "", store.ErrNotFound
	}
	return v, nil
}

func (m *memStore) SetSettingIfAbsent(_ context.Context, key, value string) (string, error) {
	if v, ok := m.settings[key]; ok {
		return v, nil
	}
	m.settings[key] = value
	return value, nil
}

func (m *memStore) PutSetting(_ context.Context, key, value string) error {
	m.settings[key] = value
	return nil
}

// FuzzToken feeds arbitrary assertions to the token endpoint's logic: it
// must refuse them with an RFC 6749 error, never panic or issue a token.
func FuzzToken(f *testing.F) {
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJjIiwic3ViIjoiYyJ9.")
	f.Add("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJjMSIsInN1YiI6ImMxIn0.AAAA")
	f.Add("a.b.c")
	f.Add("")
	ctx := context.Background()
	st := newMemStore()
	s, err := New(ctx, st, nil, nil, nil, Config{Issuer: "https://dancu.test"})
	if err != nil {
		f.Fatal(err)
	}
	s.AddAgency(ctx, Agency{ID: "a", Name: "A", Kind: "bank"})
	set, _ := ParseJWKS([]byte(`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k1"}`))
	if _, err := s.AddClient(ctx, Client{ID: "c1", Agency: "a", Name: "c", JWKS: set}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a string) {
		resp, err := s.Token(ctx, TokenRequest{GrantType: "client_credentials", ClientAssertionType: AssertionType, ClientAssertion: a})
		var oe *OAuthError
		if resp != nil || !errors.As(err, &oe) || oe.Status != 401 {
			t.Errorf("Token(%q) = %v, %v; want a 401 OAuth error", a, resp, err)
		}
		if _, ok := s.VerifyBearer(ctx, a); ok {
			t.Errorf("VerifyBearer accepted %q", a)
		}
	})
}

package storetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	oidcTests = []conformanceTest{
		{"OIDCAuthRequestLifecycle", testOIDCAuthRequest},
		{"OIDCAuthCodeUsedOnce", testOIDCAuthCodeOnce},
		// The same with the writes that may skip the sync: their results
		// must not differ.
		{"OIDCAuthRequestLifecycleWithoutSync", withoutSync(oidcAuthRequestCase)},
		{"OIDCAuthCodeUsedOnceWithoutSync", withoutSync(oidcAuthCodeOnceCase)},
		{"OIDCTokens", testOIDCTokens},
		{"OIDCRefreshRotatesOnce", testOIDCRefreshOnce},
		{"OIDCConsents", testOIDCConsents},
		{"OIDCKeys", testOIDCKeys},
		{"OIDCPurge", testOIDCPurge},
	}
}

// oidcTests are the cases for the OIDC interface.
var oidcTests []conformanceTest

func authReq(id string, expires time.Time) store.OIDCAuthRequest {
	return store.OIDCAuthRequest{ID: id, ClientID: "rp1", Data: []byte(`{"v":1}`),
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond), ExpiresAt: expires.UTC().Truncate(time.Microsecond)}
}

// withoutSync runs a case with its writes marked store.WithoutSync.
func withoutSync(fn func(*testing.T, store.Store, context.Context)) func(*testing.T, store.Store) {
	return func(t *testing.T, s store.Store) { fn(t, s, store.WithoutSync(context.Background())) }
}

func testOIDCAuthRequest(t *testing.T, s store.Store) {
	oidcAuthRequestCase(t, s, context.Background())
}

func oidcAuthRequestCase(t *testing.T, s store.Store, ctx context.Context) {
	if _, err := s.OIDCAuthRequest(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown request: %v, want ErrNotFound", err)
	}
	r := authReq("r1", time.Now().Add(time.Hour))
	if err := s.PutOIDCAuthRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.OIDCAuthRequest(ctx, "r1")
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("OIDCAuthRequest = %+v, %v; want %+v", got, err, r)
	}
	r.Data = []byte(`{"v":2}`)
	if err := s.PutOIDCAuthRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OIDCAuthRequest(ctx, "r1"); string(got.Data) != `{"v":2}` {
		t.Errorf("after replace Data = %s", got.Data)
	}
	if err := s.SetOIDCAuthCode(ctx, "r1", "h1", []byte(`{"v":3}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOIDCAuthCode(ctx, "r1", "h2", nil); !errors.Is(err, store.ErrExists) {
		t.Errorf("second code: %v, want ErrExists", err)
	}
	if err := s.SetOIDCAuthCode(ctx, "r9", "h3", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("code for unknown request: %v, want ErrNotFound", err)
	}
	if got, _ := s.OIDCAuthRequest(ctx, "r1"); string(got.Data) != `{"v":3}` {
		t.Errorf("data set with the code = %s", got.Data)
	}
	// A replace keeps the code.
	if err := s.PutOIDCAuthRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OIDCAuthRequest(ctx, "r1"); got.CodeHash != "h1" || got.CodeUsed {
		t.Errorf("code after replace = %q used %v", got.CodeHash, got.CodeUsed)
	}
	// A request written for the first time with its code.
	withCode := authReq("r3", time.Now().Add(time.Hour))
	withCode.CodeHash = "h3"
	if err := s.PutOIDCAuthRequest(ctx, withCode); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UseOIDCAuthCode(ctx, "h3"); err != nil || got.ID != "r3" || string(got.Data) != `{"v":1}` {
		t.Errorf("code written with its request: %+v, %v", got, err)
	}
	taken := authReq("r4", time.Now().Add(time.Hour))
	taken.CodeHash = "h3"
	if err := s.PutOIDCAuthRequest(ctx, taken); !errors.Is(err, store.ErrExists) {
		t.Errorf("a new request with a code hash already taken: %v, want ErrExists", err)
	}
	expired := authReq("r2", time.Now().Add(-time.Second))
	if err := s.PutOIDCAuthRequest(ctx, expired); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OIDCAuthRequest(ctx, "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired request: %v, want ErrNotFound", err)
	}
}

func testOIDCAuthCodeOnce(t *testing.T, s store.Store) {
	oidcAuthCodeOnceCase(t, s, context.Background())
}

func oidcAuthCodeOnceCase(t *testing.T, s store.Store, ctx context.Context) {
	if err := s.PutOIDCAuthRequest(ctx, authReq("r1", time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOIDCAuthCode(ctx, "r1", "code-hash", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseOIDCAuthCode(ctx, "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown code: %v, want ErrNotFound", err)
	}
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for range n {
		wg.Go(func() {
			r, err := s.UseOIDCAuthCode(ctx, "code-hash")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && r.ID == "r1":
				wins++
			case errors.Is(err, store.ErrConflict) && r.ID == "r1":
				conflicts++
			default:
				t.Errorf("UseOIDCAuthCode = %+v, %v", r, err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != n-1 {
		t.Errorf("wins %d conflicts %d; want 1 and %d", wins, conflicts, n-1)
	}
}

func token(id, kind, grant, account, refresh string) store.OIDCToken {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return store.OIDCToken{ID: id, Kind: kind, GrantID: grant, ClientID: "rp1", AccountID: account,
		RefreshHash: refresh, Data: []byte(`{}`), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
}

func testOIDCTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	toks := []store.OIDCToken{
		token("a1", store.OIDCAccessToken, "g1", "acc1", ""),
		token("f1", store.OIDCRefreshToken, "g1", "acc1", "rh1"),
		token("a2", store.OIDCAccessToken, "g2", "acc1", ""),
		token("a3", store.OIDCAccessToken, "g3", "acc2", ""),
	}
	for _, tk := range toks {
		if err := s.PutOIDCToken(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutOIDCToken(ctx, toks[0]); !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate id: %v, want ErrExists", err)
	}
	got, err := s.OIDCToken(ctx, "a1")
	if err != nil || !reflect.DeepEqual(got, toks[0]) {
		t.Fatalf("OIDCToken = %+v, %v; want %+v", got, err, toks[0])
	}
	if got, err := s.OIDCTokenByRefresh(ctx, "rh1"); err != nil || got.ID != "f1" {
		t.Errorf("OIDCTokenByRefresh = %+v, %v", got, err)
	}
	if _, err := s.OIDCTokenByRefresh(ctx, "zz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown refresh: %v", err)
	}
	if _, err := s.RevokeOIDCTokens(ctx, store.OIDCTokenQuery{}); err == nil {
		t.Error("empty revocation query accepted")
	}
	tests := []struct {
		q    store.OIDCTokenQuery
		want int64
	}{
		{store.OIDCTokenQuery{GrantID: "g1"}, 2},
		{store.OIDCTokenQuery{GrantID: "g1"}, 0}, // already revoked
		{store.OIDCTokenQuery{AccountID: "acc1", ClientID: "rp1"}, 1},
		{store.OIDCTokenQuery{AccountID: "acc2", ClientID: "rp9"}, 0},
		{store.OIDCTokenQuery{ID: "a3"}, 1},
	}
	for _, tc := range tests {
		if n, err := s.RevokeOIDCTokens(ctx, tc.q); err != nil || n != tc.want {
			t.Errorf("RevokeOIDCTokens(%+v) = %d, %v; want %d", tc.q, n, err, tc.want)
		}
	}
	for _, id := range []string{"a1", "f1", "a2", "a3"} {
		if got, err := s.OIDCToken(ctx, id); err != nil || !got.Revoked {
			t.Errorf("token %s: revoked %v, %v", id, got.Revoked, err)
		}
	}
}

func testOIDCRefreshOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.PutOIDCToken(ctx, token("f1", store.OIDCRefreshToken, "g1", "acc1", "rh1")); err != nil {
		t.Fatal(err)
	}
	if err := s.UseOIDCRefreshToken(ctx, "rh9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: %v, want ErrNotFound", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 6 {
		wg.Go(func() {
			err := s.UseOIDCRefreshToken(ctx, "rh1")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, store.ErrConflict) {
				t.Errorf("UseOIDCRefreshToken: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d callers rotated the token, want 1", wins)
	}
	if got, _ := s.OIDCTokenByRefresh(ctx, "rh1"); !got.Used {
		t.Error("token not marked used")
	}
	// A revoked token cannot be rotated.
	if err := s.PutOIDCToken(ctx, token("f2", store.OIDCRefreshToken, "g2", "acc1", "rh2")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeOIDCTokens(ctx, store.OIDCTokenQuery{GrantID: "g2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UseOIDCRefreshToken(ctx, "rh2"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("revoked: %v, want ErrConflict", err)
	}
}

func testOIDCConsents(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Microsecond)
	cs := []store.OIDCConsent{
		{AccountID: "acc1", ClientID: "rpB", Scopes: []string{"openid", "profile"}, GrantedAt: at},
		{AccountID: "acc1", ClientID: "rpA", Scopes: []string{"openid"}, GrantedAt: at},
		{AccountID: "acc2", ClientID: "rpA", Scopes: []string{"openid", "phone"}, GrantedAt: at},
	}
	for _, c := range cs {
		if err := s.PutOIDCConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.OIDCConsents(ctx, "acc1")
	if err != nil || len(got) != 2 || got[0].ClientID != "rpA" || got[1].ClientID != "rpB" {
		t.Fatalf("OIDCConsents = %+v, %v", got, err)
	}
	if !reflect.DeepEqual(got[1], cs[0]) {
		t.Errorf("consent = %+v, want %+v", got[1], cs[0])
	}
	cs[1].Scopes = []string{"address", "openid"}
	if err := s.PutOIDCConsent(ctx, cs[1]); err != nil {
		t.Fatal(err)
	}
	if c, err := s.OIDCConsent(ctx, "acc1", "rpA"); err != nil || !reflect.DeepEqual(c.Scopes, cs[1].Scopes) {
		t.Errorf("replaced consent = %+v, %v", c, err)
	}
	if err := s.DeleteOIDCConsent(ctx, "acc1", "rpA"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOIDCConsent(ctx, "acc1", "rpA"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := s.OIDCConsent(ctx, "acc1", "rpA"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted consent: %v", err)
	}
	if c, err := s.OIDCConsent(ctx, "acc2", "rpA"); err != nil || c.AccountID != "acc2" {
		t.Errorf("other account's consent = %+v, %v", c, err)
	}
}

func testOIDCKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	k1 := store.OIDCKey{ID: "k1", Algorithm: "ES256", PrivateJWK: []byte(`{"a":1}`),
		CreatedAt: now.Add(-2 * time.Hour), SignUntil: now.Add(-time.Hour), PublishUntil: now.Add(time.Hour)}
	k2 := store.OIDCKey{ID: "k2", Algorithm: "ES256", PrivateJWK: []byte(`{"a":2}`),
		CreatedAt: now.Add(-time.Hour), SignUntil: now.Add(time.Hour), PublishUntil: now.Add(2 * time.Hour)}
	gone := store.OIDCKey{ID: "k0", Algorithm: "ES256", PrivateJWK: []byte(`{"a":0}`),
		CreatedAt: now.Add(-3 * time.Hour), SignUntil: now.Add(-2 * time.Hour), PublishUntil: now.Add(-time.Minute)}
	for _, k := range []store.OIDCKey{k1, k2, gone} {
		got, err := s.AddOIDCKey(ctx, k)
		if err != nil || !reflect.DeepEqual(got, k) {
			t.Fatalf("AddOIDCKey = %+v, %v; want %+v", got, err, k)
		}
	}
	// A second process's candidate for the same period loses to the first.
	rival := k2
	rival.PrivateJWK = []byte(`{"a":"rival"}`)
	if got, err := s.AddOIDCKey(ctx, rival); err != nil || string(got.PrivateJWK) != `{"a":2}` {
		t.Errorf("rival AddOIDCKey = %s, %v; want the first key", got.PrivateJWK, err)
	}
	ks, err := s.OIDCKeys(ctx)
	if err != nil || len(ks) != 2 || ks[0].ID != "k2" || ks[1].ID != "k1" {
		t.Errorf("OIDCKeys = %+v, %v; want k2, k1", ks, err)
	}
}

func testOIDCPurge(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.PutOIDCAuthRequest(ctx, authReq("old", time.Now().Add(-time.Minute))); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOIDCAuthRequest(ctx, authReq("live", time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	old := token("t-old", store.OIDCAccessToken, "g", "a", "")
	old.ExpiresAt = time.Now().Add(-time.Minute).UTC()
	if err := s.PutOIDCToken(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOIDCToken(ctx, token("t-live", store.OIDCAccessToken, "g", "a", "")); err != nil {
		t.Fatal(err)
	}
	n, err := s.PurgeOIDC(ctx, time.Now())
	if err != nil || n != 2 {
		t.Errorf("PurgeOIDC = %d, %v; want 2", n, err)
	}
	if _, err := s.OIDCAuthRequest(ctx, "live"); err != nil {
		t.Errorf("live request purged: %v", err)
	}
	if _, err := s.OIDCToken(ctx, "t-live"); err != nil {
		t.Errorf("live token purged: %v", err)
	}
}

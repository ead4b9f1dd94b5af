package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	eidTests = []conformanceTest{
		{"EIDAccountLifecycle", testEIDAccounts},
		{"EIDAccountConcurrentPut", testEIDAccountConcurrentPut},
		{"EIDSessions", testEIDSessions},
		{"EIDEvents", testEIDEvents},
		{"EIDTransient", testEIDTransient},
	}
}

// eidTests are the cases for the EID interface.
var eidTests []conformanceTest

// eidT0 has microsecond precision, the finest PostgreSQL keeps.
var eidT0 = time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC)

func testEIDAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := store.EIDAccount{ID: "A1", Kind: "citizen", PIN: "079190000001", Version: 1, CreatedAt: eidT0, Data: []byte(`{"v":1}`)}
	if err := s.CreateEIDAccount(ctx, a); err != nil {
		t.Fatalf("CreateEIDAccount: %v", err)
	}
	for name, dup := range map[string]store.EIDAccount{
		"same id":  {ID: "A1", Kind: "citizen", PIN: "079190000002", Version: 1, CreatedAt: eidT0},
		"same pin": {ID: "A2", Kind: "citizen", PIN: "079190000001", Version: 1, CreatedAt: eidT0},
	} {
		if err := s.CreateEIDAccount(ctx, dup); !errors.Is(err, store.ErrExists) {
			t.Errorf("create with %s: %v, want ErrExists", name, err)
		}
	}
	// Organisations have no PIN; several may share the empty one.
	for _, id := range []string{"O2", "O1"} {
		if err := s.CreateEIDAccount(ctx, store.EIDAccount{ID: id, Kind: "organisation", Parent: "A1", Version: 1, CreatedAt: eidT0, Data: []byte(`{}`)}); err != nil {
			t.Fatalf("create organisation %s: %v", id, err)
		}
	}
	got, err := s.EIDAccount(ctx, "A1")
	if err != nil || got.PIN != a.PIN || got.Version != 1 || !got.CreatedAt.Equal(eidT0) || string(got.Data) != `{"v":1}` || got.Kind != "citizen" {
		t.Errorf("EIDAccount = %+v, %v", got, err)
	}
	if got, err := s.EIDAccountByPIN(ctx, "079190000001"); err != nil || got.ID != "A1" {
		t.Errorf("EIDAccountByPIN = %+v, %v", got, err)
	}
	for name, fn := range map[string]func() error{
		"by id":      func() error { _, err := s.EIDAccount(ctx, "nope"); return err },
		"by pin":     func() error { _, err := s.EIDAccountByPIN(ctx, "079190000009"); return err },
		"empty pin":  func() error { _, err := s.EIDAccountByPIN(ctx, ""); return err },
		"put absent": func() error { return s.PutEIDAccount(ctx, store.EIDAccount{ID: "nope", Version: 2}) },
	} {
		if err := fn(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	orgs, err := s.EIDAccountsByParent(ctx, "A1")
	if err != nil || len(orgs) != 2 || orgs[0].ID != "O1" || orgs[1].ID != "O2" {
		t.Errorf("EIDAccountsByParent = %+v, %v; want O1, O2", orgs, err)
	}
	if none, err := s.EIDAccountsByParent(ctx, ""); err != nil || len(none) != 0 {
		t.Errorf("EIDAccountsByParent(\"\") = %d accounts, %v; want none", len(none), err)
	}
	a.Version, a.Data = 2, []byte(`{"v":2}`)
	if err := s.PutEIDAccount(ctx, a); err != nil {
		t.Fatalf("PutEIDAccount v2: %v", err)
	}
	if err := s.PutEIDAccount(ctx, a); !errors.Is(err, store.ErrConflict) {
		t.Errorf("PutEIDAccount v2 again: %v, want ErrConflict", err)
	}
	if got, _ := s.EIDAccount(ctx, "A1"); got.Version != 2 || string(got.Data) != `{"v":2}` || got.PIN != a.PIN {
		t.Errorf("after put: %+v", got)
	}
}

// testEIDAccountConcurrentPut checks that of many writers of the same next
// version exactly one wins.
func testEIDAccountConcurrentPut(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.CreateEIDAccount(ctx, store.EIDAccount{ID: "A1", Kind: "citizen", PIN: "079190000001", Version: 1, CreatedAt: eidT0, Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.PutEIDAccount(ctx, store.EIDAccount{ID: "A1", Version: 2, Data: []byte(fmt.Sprintf(`{"w":%d}`, i))})
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d writers won version 2, want exactly 1", wins)
	}
}

func testEIDSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(id, acct string, created time.Time, ttl time.Duration) store.EIDSession {
		return store.EIDSession{ID: id, AccountID: acct, CreatedAt: created, LastSeen: created, ExpiresAt: created.Add(ttl), Data: []byte(`{"d":"` + id + `"}`)}
	}
	for _, e := range []store.EIDSession{
		mk("s1", "A1", eidT0, time.Hour),
		mk("s2", "A1", eidT0.Add(time.Minute), time.Hour),
		mk("s3", "A1", eidT0.Add(2*time.Minute), time.Second), // expires soon
		mk("s4", "B1", eidT0, time.Hour),
	} {
		if err := s.CreateEIDSession(ctx, e); err != nil {
			t.Fatalf("CreateEIDSession %s: %v", e.ID, err)
		}
	}
	if err := s.CreateEIDSession(ctx, mk("s1", "A1", eidT0, time.Hour)); !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate session: %v, want ErrExists", err)
	}
	now := eidT0.Add(5 * time.Minute)
	list, err := s.EIDSessions(ctx, "A1", now)
	if err != nil || len(list) != 2 || list[0].ID != "s2" || list[1].ID != "s1" {
		t.Fatalf("EIDSessions = %+v, %v; want s2, s1 (s3 expired)", list, err)
	}
	if err := s.TouchEIDSession(ctx, "s1", now); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchEIDSession(ctx, "s1", eidT0); err != nil { // earlier: ignored
		t.Fatal(err)
	}
	if err := s.TouchEIDSession(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("touch missing: %v, want ErrNotFound", err)
	}
	got, err := s.EIDSession(ctx, "s1")
	if err != nil || !got.LastSeen.Equal(now) || got.AccountID != "A1" || !got.RevokedAt.IsZero() || string(got.Data) != `{"d":"s1"}` {
		t.Errorf("EIDSession = %+v, %v", got, err)
	}
	// Another account's session is never revoked through this one.
	if n, err := s.RevokeEIDSessions(ctx, "A1", "s4", now); err != nil || n != 0 {
		t.Errorf("revoke another's session: %d, %v; want 0", n, err)
	}
	if n, err := s.RevokeEIDSessions(ctx, "A1", "s1", now); err != nil || n != 1 {
		t.Errorf("revoke s1: %d, %v; want 1", n, err)
	}
	if n, _ := s.RevokeEIDSessions(ctx, "A1", "s1", now.Add(time.Second)); n != 0 {
		t.Errorf("revoke s1 again: %d, want 0", n)
	}
	if got, _ := s.EIDSession(ctx, "s1"); !got.RevokedAt.Equal(now) {
		t.Errorf("revoked at %v, want %v", got.RevokedAt, now)
	}
	if n, err := s.RevokeEIDSessions(ctx, "A1", "", now); err != nil || n != 2 {
		t.Errorf("revoke all: %d, %v; want 2 (s2 and the expired s3)", n, err)
	}
	if list, _ := s.EIDSessions(ctx, "A1", now); len(list) != 0 {
		t.Errorf("after revoking all: %d live sessions", len(list))
	}
	if list, _ := s.EIDSessions(ctx, "B1", now); len(list) != 1 {
		t.Errorf("B1's sessions: %d, want 1", len(list))
	}
}

func testEIDEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 5 {
		for _, acct := range []string{"A1", "B1"} {
			if err := s.AppendEIDEvent(ctx, store.EIDEvent{AccountID: acct, At: eidT0.Add(time.Duration(i) * time.Second), Type: fmt.Sprintf("t%d", i), Data: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	page, err := s.EIDEvents(ctx, "A1", 0, 3)
	if err != nil || len(page) != 3 || page[0].Type != "t4" || page[2].Type != "t2" {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	if !page[0].At.Equal(eidT0.Add(4*time.Second)) || page[0].AccountID != "A1" || page[0].Seq <= page[1].Seq {
		t.Errorf("first event = %+v", page[0])
	}
	rest, err := s.EIDEvents(ctx, "A1", page[2].Seq, 10)
	if err != nil || len(rest) != 2 || rest[0].Type != "t1" || rest[1].Type != "t0" {
		t.Errorf("second page = %+v, %v", rest, err)
	}
	if _, err := s.EIDEvents(ctx, "A1", 0, 0); err == nil {
		t.Error("limit 0 accepted")
	}
}

func testEIDTransient(t *testing.T, s store.Store) {
	ctx := context.Background()
	live := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	r := store.EIDTransient{Kind: "otp", ID: "x", Version: 1, Expires: live, Data: []byte(`{"n":1}`)}
	if err := s.PutEIDTransient(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEIDTransient(ctx, r); !errors.Is(err, store.ErrExists) {
		t.Errorf("create over a live record: %v, want ErrExists", err)
	}
	got, err := s.EIDTransient(ctx, "otp", "x")
	if err != nil || got.Version != 1 || !got.Expires.Equal(live) || string(got.Data) != `{"n":1}` {
		t.Errorf("EIDTransient = %+v, %v", got, err)
	}
	r.Version, r.Data = 2, []byte(`{"n":2}`)
	if err := s.PutEIDTransient(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEIDTransient(ctx, r); !errors.Is(err, store.ErrConflict) {
		t.Errorf("replace with a stale version: %v, want ErrConflict", err)
	}
	// An expired record reads as missing and may be created again.
	past := store.EIDTransient{Kind: "otp", ID: "old", Version: 1, Expires: time.Now().Add(50 * time.Millisecond), Data: []byte(`{}`)}
	if err := s.PutEIDTransient(ctx, past); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := s.EIDTransient(ctx, "otp", "old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired record: %v, want ErrNotFound", err)
	}
	past.Version = 2
	if err := s.PutEIDTransient(ctx, past); !errors.Is(err, store.ErrConflict) {
		t.Errorf("replace an expired record: %v, want ErrConflict", err)
	}
	past.Version, past.Expires = 1, live
	if err := s.PutEIDTransient(ctx, past); err != nil {
		t.Errorf("create over an expired record: %v", err)
	}
	if _, err := s.EIDTransient(ctx, "other", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another kind: %v, want ErrNotFound", err)
	}
}

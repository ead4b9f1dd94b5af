package sealed_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/seal"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sealed"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// fillRest writes the kinds of document fill does not: an eID session,
// account event and one-time record, an OIDC authorization request and a
// signing key.
func fillRest(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	claim := []byte(`{"claims":"ZQXW-CLAIM"}`)
	for _, err := range []error{
		st.CreateEIDSession(ctx, store.EIDSession{ID: "sess-1", AccountID: "acc-1", CreatedAt: now, LastSeen: now,
			ExpiresAt: now.Add(time.Hour), Data: claim}),
		st.AppendEIDEvent(ctx, store.EIDEvent{AccountID: "acc-1", At: now, Type: "created", Data: claim}),
		st.PutEIDTransient(ctx, store.EIDTransient{Kind: "otp", ID: "o1", Version: 1, Expires: now.Add(time.Hour), Data: claim}),
		st.PutOIDCAuthRequest(ctx, store.OIDCAuthRequest{ID: "req-1", ClientID: "rp", Data: claim, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}),
		st.PutOIDCAuthRequest(ctx, store.OIDCAuthRequest{ID: "req-live", ClientID: "rp", Data: claim, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.AddOIDCKey(ctx, store.OIDCKey{ID: "k1", Algorithm: "ES256", PrivateJWK: []byte(`{"d":"ZQXW-CLAIM"}`),
		CreatedAt: now, SignUntil: now.Add(time.Hour), PublishUntil: now.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

// readEverything reads every kind of document back through st, and fails
// the test on the first that does not open.
func readEverything(t *testing.T, backend, st store.Store) {
	t.Helper()
	ctx := context.Background()
	persons, err := backend.StoredDocuments(ctx, store.DocPersons, nil, nil, 1000)
	if err != nil || len(persons) == 0 {
		t.Fatalf("persons: %d, %v", len(persons), err)
	}
	for _, p := range persons {
		if _, err := st.PersonHistory(ctx, p.Key[0]); err != nil {
			t.Fatalf("person history: %v", err)
		}
	}
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err = st.Events(ctx, store.EventQuery{Limit: 1000})
	check("events", err)
	_, err = st.Outbox(ctx, 0, 1000)
	check("outbox", err)
	_, err = st.DatasetRecords(ctx, "vaccination", "", 100)
	check("dataset records", err)
	_, err = st.CardsByPIN(ctx, persons[0].Key[0])
	check("cards", err)
	_, err = st.Dossier(ctx, "D-1")
	check("dossier", err)
	_, err = st.Attachment(ctx, "D-1", "a1")
	check("attachment", err)
	_, err = st.EIDAccount(ctx, "acc-1")
	check("eID account", err)
	_, err = st.EIDSession(ctx, "sess-1")
	check("eID session", err)
	_, err = st.EIDEvents(ctx, "acc-1", 0, 10)
	check("eID events", err)
	_, err = st.EIDTransient(ctx, "otp", "o1")
	check("eID one-time record", err)
	_, err = st.OIDCAuthRequest(ctx, "req-1")
	check("OIDC request", err)
	_, err = st.OIDCToken(ctx, "tok-1")
	check("OIDC token", err)
	_, err = st.OIDCKeys(ctx)
	check("OIDC keys", err)
}

// testReseal runs the whole life of a store moving to sealing: documents
// written in clear before encryption, some sealed under a first data key,
// a second data key, strict mode refusing the clear ones, a re-seal pass
// stopped half-way (as by a crash) and run again while another writer
// keeps writing, and the first key's retirement. raw returns the stored
// bytes as the leak tests scan them.
func testReseal(t *testing.T, backend store.Store, raw func() []byte) {
	ctx := context.Background()
	fill(t, backend)
	fillRest(t, backend)
	if got := found(raw()); len(got) != len(secrets) {
		t.Fatalf("before sealing the scan finds %d of %d values (%q): it could not see a leak", len(got), len(secrets), got)
	}
	kf, err := seal.CreateKeyFile(filepath.Join(t.TempDir(), "dancu.keys"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sealed.Open(ctx, backend, kf, sealed.RetireGrace(0))
	if err != nil {
		t.Fatal(err)
	}
	first := st.Keyring().ActiveKey()
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := st.CreateEIDAccount(ctx, store.EIDAccount{ID: "acc-2", Kind: "citizen", Version: 1, CreatedAt: now,
		Data: []byte(`{"phone":"0933444555"}`)}); err != nil {
		t.Fatal(err)
	}

	// Strict mode refuses what is in clear, without saying what it holds.
	strict := sealed.New(backend, st.Keyring(), sealed.Strict(true))
	_, err = strict.EIDAccount(ctx, "acc-1")
	if !errors.Is(err, sealed.ErrClear) {
		t.Fatalf("strict read of a clear account = %v, want ErrClear", err)
	}
	if msg := err.Error(); strings.Contains(msg, "0933444555") || strings.Contains(msg, "acc-1") {
		t.Errorf("the error shows the document or its key: %s", msg)
	}
	if _, err := strict.EIDAccount(ctx, "acc-2"); err != nil {
		t.Errorf("strict read of a sealed account: %v", err)
	}

	second, err := st.Keyring().NewDataKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	usage, err := st.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range usage {
		if u.Clear == 0 && u.Column != store.DocHouseholds {
			t.Errorf("%s: no document in clear before the pass (%+v): the scenario misses it", u.Column, u)
		}
	}
	if err := st.RetireDataKey(ctx, first); !errors.Is(err, sealed.ErrKeyInUse) || !strings.Contains(err.Error(), "1 documents") {
		t.Errorf("retiring a key that seals a document = %v, want ErrKeyInUse naming 1 document", err)
	}
	if err := st.RetireDataKey(ctx, second); !errors.Is(err, sealed.ErrKeyInUse) {
		t.Errorf("retiring the newest key = %v, want ErrKeyInUse", err)
	}

	// A pass stopped after three batches, as by a crash.
	stop, cancel := context.WithCancel(ctx)
	batches := 0
	res, err := st.Reseal(stop, sealed.ResealOptions{Batch: 2, Progress: func(sealed.ResealProgress) {
		if batches++; batches == 3 {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) || res.Resealed != 6 {
		t.Fatalf("stopped pass = %+v, %v; want 6 resealed and context.Canceled", res, err)
	}

	// Run again while another writer keeps replacing a request.
	var wg sync.WaitGroup
	var last int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			if err := st.PutOIDCAuthRequest(ctx, store.OIDCAuthRequest{ID: "req-live", ClientID: "rp",
				Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Error(err)
				return
			}
			last = i
		}
	}()
	var progress []sealed.ResealProgress
	res, err = st.Reseal(ctx, sealed.ResealOptions{Batch: 1, Rewrite: true, Progress: func(p sealed.ResealProgress) { progress = append(progress, p) }})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Key != second || res.Resealed == 0 || res.Left != 0 || len(progress) == 0 {
		t.Fatalf("pass = %+v after %d progress reports, want everything under key %d", res, len(progress), second)
	}
	for i, p := range progress {
		if p.Todo > 0 && p.Done > p.Todo || (i > 0 && progress[i-1].Column == p.Column && p.Done < progress[i-1].Done) {
			t.Errorf("progress %d: %+v after %+v", i, p, progress[max(i-1, 0)])
		}
	}
	if r, err := st.OIDCAuthRequest(ctx, "req-live"); err != nil || string(r.Data) != fmt.Sprintf(`{"n":%d}`, last) {
		t.Errorf("the concurrent writer's last request = %s, %v; want n %d (the pass undid a write)", r.Data, err, last)
	}
	usage, err = st.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range usage {
		if u.Clear != 0 || len(u.ByKey) > 1 || (len(u.ByKey) == 1 && u.ByKey[second] == 0) {
			t.Errorf("%s after the pass: %d in clear, by key %v; want all under key %d", u.Column, u.Clear, u.ByKey, second)
		}
	}
	if got := found(raw()); len(got) > 0 {
		t.Errorf("in clear in the stored bytes after the pass: %q", got)
	}

	// The first key goes, and a process that never had it reads everything,
	// strictly.
	if err := sealed.New(backend, st.Keyring()).RetireDataKey(ctx, first); !errors.Is(err, sealed.ErrKeyInUse) || !strings.Contains(err.Error(), "added") {
		t.Errorf("retiring an unused key just superseded = %v, want ErrKeyInUse for the grace period", err)
	}
	if err := st.RetireDataKey(ctx, first); err != nil {
		t.Fatalf("retire key %d after the pass: %v", first, err)
	}
	keys, err := backend.DataKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID == first {
			t.Errorf("key %d still stored after its retirement", first)
		}
	}
	fresh, err := sealed.Open(ctx, backend, kf, sealed.Strict(true))
	if err != nil {
		t.Fatal(err)
	}
	readEverything(t, backend, fresh)
}

func TestReseal_SQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dancu.db")
	backend, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	testReseal(t, backend, func() []byte { return sqliteFiles(t, path) })
}

func TestReseal_Postgres(t *testing.T) {
	dsn := pgtest.NewDSN(t)
	backend, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	testReseal(t, backend, func() []byte { return pgTables(t, dsn) })
}

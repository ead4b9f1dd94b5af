package feed

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// backend opens an empty store of one kind for a test.
type backend struct {
	name string
	open func(t testing.TB) store.Store
}

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// backends are SQLite always and PostgreSQL when DANCU_TEST_POSTGRES names
// a server.
func backends() []backend {
	bs := []backend{{"sqlite", openSQLite}}
	if os.Getenv(pgtest.EnvVar) != "" {
		bs = append(bs, backend{"postgres", func(t testing.TB) store.Store {
			t.Helper()
			st, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}})
	}
	return bs
}

// fakeExchange holds agencies and grants in memory.
type fakeExchange struct {
	mu     sync.Mutex
	grants map[string][]exchange.Grant
}

func newFakeExchange(gs ...exchange.Grant) *fakeExchange {
	f := &fakeExchange{grants: map[string][]exchange.Grant{}}
	for _, g := range gs {
		g.Status = exchange.Active
		f.grants[g.Agency] = append(f.grants[g.Agency], g)
	}
	return f
}

func (f *fakeExchange) Agency(_ context.Context, id string) (*exchange.Agency, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.grants[id]; !ok {
		return nil, store.ErrNotFound
	}
	return &exchange.Agency{ID: id, Status: exchange.Active}, nil
}

func (f *fakeExchange) Grants(_ context.Context, agency string) ([]exchange.Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.grants[agency]), nil
}

// memRecorder keeps accesses in memory.
type memRecorder struct {
	mu  sync.Mutex
	got []audit.Access
}

func (r *memRecorder) Record(_ context.Context, as ...audit.Access) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, as...)
	return nil
}

func (r *memRecorder) accesses() []audit.Access {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// The test grants: the insurer receives deaths and marriages with names and
// birth dates; the bank receives only deaths, with names.
var (
	insurerGrant = exchange.Grant{Agency: "vss", Purpose: "insurance", Fields: []string{"full_name", "birth_date"},
		EventTypes: []string{"death", "marriage"}}
	bankGrant = exchange.Grant{Agency: "bank", Purpose: "kyc", Fields: []string{"full_name"},
		EventTypes: []string{"death"}}
)

// appendEvents writes outbox rows as the registry does, one transaction
// each; types cycle over the given event types and people over n PINs.
func appendEvents(t testing.TB, st store.Store, count, people int, types ...string) {
	t.Helper()
	appendEventsFrom(t, st, 0, count, people, types...)
}

// appendEventsFrom is appendEvents numbering the events from first.
func appendEventsFrom(t testing.TB, st store.Store, first, count, people int, types ...string) {
	t.Helper()
	if len(types) == 0 {
		types = []string{"death", "marriage"}
	}
	ctx := context.Background()
	const chunk = 500
	for start := first; start < first+count; start += chunk {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+chunk, first+count); i++ {
				p := &registry.Person{
					PIN: fmt.Sprintf("0791900%05d", i%people), FullName: "Nguyễn Văn An",
					Phone: "0900000000", Status: registry.Status{State: registry.Alive},
				}
				typ := types[i%len(types)]
				data, err := json.Marshal(map[string]any{
					"event_id": fmt.Sprintf("e%d", i), "event_type": typ, "effective_date": "2026-01-02",
					"version": i/people + 1, "person": p,
				})
				if err != nil {
					return err
				}
				if err := tx.AppendOutbox(ctx, store.OutboxRow{EventID: fmt.Sprintf("e%d", i), EventType: typ, PIN: p.PIN, Data: data}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// received is one webhook as the test receiver saw it.
type received struct {
	id, pin string
	seq     int64
	body    []byte
}

// receiver is a webhook endpoint that verifies each request's signature
// independently of the code under test, and answers with decide.
type receiver struct {
	t      testing.TB
	secret string
	decide func(seq int64, pin string, n int) int // n counts this message's attempts, from 1
	mu     sync.Mutex
	got    []received
	tries  map[string]int
	bad    int
}

func newReceiver(t testing.TB, decide func(int64, string, int) int) *receiver {
	return &receiver{t: t, decide: decide, tries: map[string]int{}}
}

// verify checks a request as a receiver library would: HMAC-SHA256 with the
// base64-decoded secret over id.timestamp.body, compared to any v1 entry of
// the signature header, and a timestamp within five minutes.
func verify(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		return err
	}
	if d := time.Since(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp off by %v", d)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	m.Write(body)
	want := m.Sum(nil)
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no valid signature")
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var msg struct {
		Type string `json:"type"`
		Data Event  `json:"data"`
	}
	rc.mu.Lock()
	secret := rc.secret
	rc.mu.Unlock()
	if err := verify(secret, r.Header, body); err != nil || json.Unmarshal(body, &msg) != nil {
		rc.mu.Lock()
		rc.bad++
		rc.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var pin string
	json.Unmarshal(msg.Data.Person["pin"], &pin)
	id := r.Header.Get("webhook-id")
	rc.mu.Lock()
	rc.tries[id]++
	n := rc.tries[id]
	rc.mu.Unlock()
	status := http.StatusNoContent
	if rc.decide != nil {
		status = rc.decide(msg.Data.Seq, pin, n)
	}
	if status == 0 { // hang past the relay's attempt timeout
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
		return
	}
	if status < 300 {
		rc.mu.Lock()
		rc.got = append(rc.got, received{id: id, pin: pin, seq: msg.Data.Seq, body: body})
		rc.mu.Unlock()
	}
	w.WriteHeader(status)
}

func (rc *receiver) deliveries() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	// d only keeps a broken relay from hanging the test; it is not a
	// performance assertion, and a CI machine shared with other jobs can be
	// many times slower than a quiet one.
	deadline := time.Now().Add(max(d, 90*time.Second))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkPerPersonOrder fails unless the first delivery of each message came
// in Seq order for each person, and reports the distinct messages seen.
func checkPerPersonOrder(t testing.TB, got []received) map[int64]bool {
	t.Helper()
	seen := map[int64]bool{}
	last := map[string]int64{}
	for _, r := range got {
		if seen[r.seq] {
			continue // a redelivery (at-least-once)
		}
		seen[r.seq] = true
		if r.seq < last[r.pin] {
			t.Errorf("person %s: message %d delivered after %d", r.pin, r.seq, last[r.pin])
		}
		last[r.pin] = r.seq
	}
	return seen
}

//go:build unix

package crash_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store/postgres/pgtest"
)

// receiver is an agency's webhook endpoint: it keeps, per person, the outbox
// positions of the messages in the order they first arrived (a message
// delivered again keeps its first place: delivery is at least once).
type receiver struct {
	mu     sync.Mutex
	seen   map[int64]bool
	byPIN  map[string][]int64
	copies int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Data struct {
			Seq    int64 `json:"seq"`
			Person struct {
				PIN string `json:"pin"`
			} `json:"person"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil || msg.Data.Seq == 0 {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.copies++
	if !rc.seen[msg.Data.Seq] {
		rc.seen[msg.Data.Seq] = true
		rc.byPIN[msg.Data.Person.PIN] = append(rc.byPIN[msg.Data.Person.PIN], msg.Data.Seq)
	}
	w.WriteHeader(http.StatusNoContent)
}

// TestCluster_KillLeaseHolder runs three dancu processes on one PostgreSQL
// database behind a round-robin client, streams life events and lookups at
// them, and kills -9 the process holding the outbox relay's lease mid-stream.
// Another process takes the relay (and the checkpoint signer) over within
// seconds; afterwards every acknowledged event is on record, the agency's
// webhook has received every outbox message, in order per person, and the
// access log — appended by all three processes — verifies as one tree.
func TestCluster_KillLeaseHolder(t *testing.T) {
	if os.Getenv(pgtest.EnvVar) == "" {
		t.Skip(pgtest.EnvVar + " is not set; the cluster test needs PostgreSQL")
	}
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.NewDSN(t)
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())

	rc := &receiver{seen: map[int64]bool{}, byPIN: map[string][]int64{}}
	hook := httptest.NewServer(rc)
	defer hook.Close()

	// The first process migrates the database; the others join it.
	var procs []*proc
	var bases []string
	// Every process sharing the database uses the same key file.
	keys := filepath.Join(t.TempDir(), "dancu.keys")
	for range 3 {
		p, base := startServeWith(t, "--db", dsn, "--data", t.TempDir(), "--key-file", keys)
		procs, bases = append(procs, p), append(bases, base)
	}
	types := []string{"initial_registration", "birth_registration", "id_card_issued", "correction", "temporary_residence_registration"}
	admin := func(method, path string, body any) {
		t.Helper()
		b, _ := json.Marshal(body)
		status, out, err := request(ctx, method, bases[0]+path, b)
		if err != nil || status >= 300 {
			t.Fatalf("%s %s: %d %s %v", method, path, status, out, err)
		}
	}
	admin("POST", "/v1/admin/agencies", map[string]any{"id": "bhxh", "name": "Bảo hiểm xã hội", "kind": "insurer"})
	admin("PUT", "/v1/admin/agencies/bhxh/grants/social-insurance.enrolment", map[string]any{
		"legal_basis": "Luật Bảo hiểm xã hội 2024", "fields": []string{"full_name"}, "event_types": types})
	admin("POST", "/v1/admin/webhooks", map[string]any{"id": "bhxh-hook", "agency": "bhxh",
		"purpose": "social-insurance.enrolment", "url": hook.URL, "event_types": types})

	sent := newBurstLog()
	homes := seed(t, bases[1], sent)

	// The stream: clients post events and look people up, round robin over
	// the processes still alive.
	var dead atomic.Int32 // 1 + index of the killed process, 0 before
	alive := func(i int) bool { return int(dead.Load()) != i+1 }
	var stop atomic.Bool
	var lookupFailures atomic.Int64
	var wg sync.WaitGroup
	const clients = 6
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for n := 0; !stop.Load(); n++ {
				i := (c + n) % len(procs)
				if !alive(i) {
					continue
				}
				ev, doomed := lifeEvent(99, c, n, homes)
				if doomed {
					sent.mu.Lock()
					sent.doomed[ev["id"].(string)] = true
					sent.mu.Unlock()
				}
				o, res, _, _ := post(ctx, bases[i], ev)
				sent.record(ev, o, res)
				if o == acked && len(res.People) > 0 && alive((i+1)%len(procs)) {
					pin := res.People[rng.IntN(len(res.People))].ID
					status, _, err := request(ctx, "GET", bases[(i+1)%len(procs)]+"/v1/citizens/"+pin, nil)
					if err != nil || status != http.StatusOK {
						if alive((i + 1) % len(procs)) {
							lookupFailures.Add(1)
						}
					}
				}
			}
		})
	}

	// Kill the relay's lease holder once the stream is well under way.
	for sent.acks.Load() < 120 {
		time.Sleep(20 * time.Millisecond)
	}
	var holder string
	if err := db.QueryRow(ctx, "SELECT holder FROM leases WHERE name = 'feed.relay'").Scan(&holder); err != nil {
		t.Fatalf("relay lease: %v", err)
	}
	victim := -1
	for i, p := range procs {
		if strings.Contains(holder, "/"+strconv.Itoa(p.cmd.Process.Pid)+"/") {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("the relay lease holder %q is none of the processes", holder)
	}
	dead.Store(int32(victim + 1))
	procs[victim].kill()
	killedAt := time.Now()
	t.Logf("killed process %d, the relay's lease holder, after %d acknowledged events", victim, sent.acks.Load())

	// Take-over: another process holds the relay lease within seconds.
	for {
		var h string
		err := db.QueryRow(ctx, "SELECT holder FROM leases WHERE name = 'feed.relay' AND expires > clock_timestamp()").Scan(&h)
		if err == nil && h != holder {
			t.Logf("relay lease taken over after %v", time.Since(killedAt).Round(time.Millisecond))
			break
		}
		if time.Since(killedAt) > 20*time.Second {
			t.Fatalf("no process took the relay lease over within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for sent.acks.Load() < 300 {
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if n := lookupFailures.Load(); n > 0 {
		t.Errorf("%d lookups at live processes failed", n)
	}

	// Events whose answer was lost with the process are sent again to a
	// live one: each is applied once.
	live := bases[(victim+1)%len(procs)]
	for _, id := range sent.unanswered("r99-") {
		sent.mu.Lock()
		ev := sent.events[id]
		sent.mu.Unlock()
		o, res, status, err := post(ctx, live, ev)
		if o == unknown {
			t.Fatalf("retry of %s: %d %v", id, status, err)
		}
		sent.record(ev, o, res)
	}

	// Every acknowledged event is on record, once.
	sent.mu.Lock()
	for id, o := range sent.outcome {
		if o != acked {
			continue
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM events WHERE id = $1", sent.results[id].EventID).Scan(&n); err != nil || n != 1 {
			t.Errorf("acknowledged event %s: %d on record, %v", id, n, err)
		}
	}
	sent.mu.Unlock()

	// Every outbox message of a granted type reaches the webhook, in order
	// per person.
	var want int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM outbox WHERE event_type = ANY($1)", types).Scan(&want); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		rc.mu.Lock()
		got := len(rc.seen)
		rc.mu.Unlock()
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook received %d of %d outbox messages", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rc.mu.Lock()
	for pin, seqs := range rc.byPIN {
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Errorf("person %s: message %d arrived after %d", pin[:3]+"…", seqs[i], seqs[i-1])
				break
			}
		}
	}
	t.Logf("webhook: %d messages, %d deliveries (at least once), %d people", want, rc.copies, len(rc.byPIN))
	rc.mu.Unlock()

	// The access log, appended by all three processes, is one tree, and the
	// surviving signer covers all of it.
	var size int64
	if err := db.QueryRow(ctx, "SELECT size FROM access_log_state").Scan(&size); err != nil {
		t.Fatal(err)
	}
	for {
		// The checkpoint is a signed note: origin, size, root, signature.
		status, body, err := request(ctx, "GET", live+"/v1/audit/checkpoint", nil)
		lines := strings.Split(string(body), "\n")
		if err == nil && status == http.StatusOK && len(lines) > 1 && lines[1] == strconv.FormatInt(size, 10) {
			break
		}
		if time.Since(deadline) > 0 {
			t.Fatalf("no checkpoint covers the %d entries of the access log", size)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var signed int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM access_checkpoints").Scan(&signed); err != nil {
		t.Fatal(err)
	}
	t.Logf("access log: %d entries, %d checkpoints signed", size, signed)
	for i, p := range procs {
		if i != victim {
			p.stop()
		}
	}
	v := startDancu(t, environ(), "audit", "verify", "--db", dsn, "--key-file", keys)
	if st := v.wait(120 * time.Second); !st.Success() {
		t.Fatalf("dancu audit verify: %v\n%s%s", st, v.stdout, v.stderr)
	}
	t.Logf("audit verify:\n%s", v.stdout)
}

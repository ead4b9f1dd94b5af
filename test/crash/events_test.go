//go:build unix

package crash_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// The burst: burstClients post concurrently into seedHouseholds households.
const (
	seedHouseholds = 8
	burstClients   = 6
	// effectiveDate dates every event: on the 2025 administrative units
	// (which births and residences are checked against) and in the past.
	effectiveDate = "2025-09-15"
	// noHousehold is a household id that is never on record. A birth into
	// it gets as far as allocating a PIN and updating the parents in memory
	// before it is refused: nothing of it may be written.
	noHousehold = "HNOSUCHHOUSE0"
)

// burstKills are the ranges of acknowledged events after which each round
// kills the server: early in a burst, and after a few hundred.
var burstKills = [][2]int{{20, 80}, {150, 400}, {60, 250}}

// household is one of the seeded households: its id and the PINs of the
// couple at its head.
type household struct {
	id, head, wife string
}

// outcome is what the client learnt of one event it posted.
type outcome int

const (
	acked   outcome = iota // 201 or 200: the event must be on record
	refused                // a 4xx answer: the event must not be on record
	unknown                // no answer (the kill): either, but whole
)

// burstLog records every event the clients posted, by id.
type burstLog struct {
	mu      sync.Mutex
	events  map[string]map[string]any // as posted
	doomed  map[string]bool           // events the registry must refuse
	outcome map[string]outcome
	results map[string]registry.Result // of acknowledged events
	acks    atomic.Int64
}

func newBurstLog() *burstLog {
	return &burstLog{events: map[string]map[string]any{}, doomed: map[string]bool{},
		outcome: map[string]outcome{}, results: map[string]registry.Result{}}
}

// isDoomed reports whether the event is one the registry must refuse.
func (l *burstLog) isDoomed(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.doomed[id]
}

func (l *burstLog) record(ev map[string]any, o outcome, res *registry.Result) {
	id := ev["id"].(string)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events[id] = ev
	l.outcome[id] = o
	if res != nil {
		l.results[id] = *res
	}
	if o == acked {
		l.acks.Add(1)
	}
}

// unanswered returns the ids of the events with no answer whose id starts
// with prefix, sorted.
func (l *burstLog) unanswered(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids []string
	for id, o := range l.outcome {
		if o == unknown && strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestEvents_KillMidBurst(t *testing.T) {
	// The burst waits on fsyncs, the generate test on the CPU: they overlap.
	t.Parallel()
	rng := newRand(t)
	rounds := burstKills
	if testing.Short() {
		rounds = rounds[:1]
	}
	dir := t.TempDir()
	sent := newBurstLog()

	// Each step starts its own server: a server belongs to the (sub)test
	// that started it, which kills it at its end if it still runs.
	srv, base := startServe(t, dir)
	homes := seed(t, base, sent)
	srv.stop()
	for r, k := range rounds {
		killAfter := k[0] + rng.IntN(k[1]-k[0])
		// A little more, so that the kill falls anywhere in the handling
		// of the requests in flight, not just after an answer.
		delay := time.Duration(rng.Int64N(int64(10 * time.Millisecond)))
		ok := t.Run(fmt.Sprintf("round%d", r+1), func(t *testing.T) {
			srv, base := startServe(t, dir)
			burst(t, srv, base, r+1, homes, sent, killAfter, delay)
			srv, base = startServe(t, dir)
			onRecord := checkEvents(t, base, dir, sent, srv)
			// A client that got no answer sends the event again: the
			// restarted server must apply it once.
			srv, base = startServe(t, dir)
			retry(t, base, fmt.Sprintf("r%d-", r+1), sent, onRecord)
			srv.stop()
		})
		if !ok {
			return
		}
	}
	t.Run("final", func(t *testing.T) {
		srv, base := startServe(t, dir)
		checkEvents(t, base, dir, sent, srv)
	})
}

// retry posts again, unchanged, each event with the prefix that got no
// answer. One that is on record must be answered 200 with its first result,
// one that is not must be applied now, with 201, and a doomed one refused
// again.
func retry(t *testing.T, base, prefix string, sent *burstLog, onRecord map[string]bool) {
	t.Helper()
	ids := sent.unanswered(prefix)
	var replayed, applied, refusedAgain int
	for _, id := range ids {
		sent.mu.Lock()
		ev := sent.events[id]
		sent.mu.Unlock()
		o, res, status, err := post(context.Background(), base, ev)
		want := http.StatusCreated
		switch {
		case sent.isDoomed(id):
			want = http.StatusNotFound
		case onRecord[id]:
			want = http.StatusOK
		}
		if status != want {
			t.Errorf("event %s sent again after the restart: status %d, %v; want %d", id, status, err, want)
			continue
		}
		switch status {
		case http.StatusOK:
			replayed++
		case http.StatusCreated:
			applied++
		default:
			refusedAgain++
		}
		sent.record(ev, o, res)
	}
	t.Logf("sent the %d unanswered events again: %d replayed, %d applied now, %d refused", len(ids), replayed, applied, refusedAgain)
}

// post submits one event and returns the outcome. A transport error is
// unknown: the request may have been applied before the connection broke.
func post(ctx context.Context, base string, ev map[string]any) (outcome, *registry.Result, int, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return unknown, nil, 0, err
	}
	status, b, err := request(ctx, http.MethodPost, base+"/v1/events", body)
	switch {
	case err != nil:
		return unknown, nil, 0, err
	case status == http.StatusCreated || status == http.StatusOK:
		var res registry.Result
		if err := json.Unmarshal(b, &res); err != nil {
			return unknown, nil, status, fmt.Errorf("decode result: %w", err)
		}
		return acked, &res, status, nil
	case status >= 400 && status < 500:
		return refused, nil, status, nil
	}
	return unknown, nil, status, nil
}

// seed registers the households the burst writes into, each founded by a
// man at an address and joined by his wife.
func seed(t *testing.T, base string, sent *burstLog) []household {
	t.Helper()
	ctx := context.Background()
	// Synthetic names; never logged.
	men := []string{"Nguyễn Văn An", "Trần Đức Bình", "Lê Quang Cường", "Phạm Minh Dũng", "Hoàng Văn Em", "Vũ Thanh Giang", "Đặng Hữu Hải", "Bùi Công Khang"}
	women := []string{"Lê Thị Hoa", "Ngô Thị Lan", "Đỗ Thị Mai", "Hồ Thị Ngọc", "Dương Thị Oanh", "Lý Thị Phương", "Trịnh Thị Quyên", "Mai Thị Sương"}
	var homes []household
	for i := range seedHouseholds {
		var h household
		head := map[string]any{
			"id": fmt.Sprintf("seed-h%02d-head", i), "type": "initial_registration", "effective_date": effectiveDate,
			"reason": "crash test seed",
			"data": map[string]any{
				"full_name": men[i%len(men)], "birth_date": fmt.Sprintf("198%d-03-1%d", i%10, i%10), "sex": "male",
				"registration_place": map[string]any{"province": "79"}, "ethnicity": "01",
				"address": map[string]any{"province": "79", "commune": "25747", "address": fmt.Sprintf("%d Đường Số 3", i+1)},
			},
		}
		o, res, status, err := post(ctx, base, head)
		if o != acked || len(res.Households) != 1 {
			t.Fatalf("seed household %d: status %d, %v", i, status, err)
		}
		sent.record(head, o, res)
		h.id, h.head = res.Households[0].ID, res.PIN
		wife := map[string]any{
			"id": fmt.Sprintf("seed-h%02d-wife", i), "type": "initial_registration", "effective_date": effectiveDate,
			"reason": "crash test seed",
			"data": map[string]any{
				"full_name": women[i%len(women)], "birth_date": fmt.Sprintf("198%d-07-2%d", i%10, i%10), "sex": "female",
				"registration_place": map[string]any{"province": "01"}, "ethnicity": "01",
				"household_id": h.id, "relationship": "spouse",
			},
		}
		o, res, status, err = post(ctx, base, wife)
		if o != acked {
			t.Fatalf("seed household %d spouse: status %d, %v", i, status, err)
		}
		sent.record(wife, o, res)
		h.wife = res.PIN
		homes = append(homes, h)
	}
	return homes
}

// lifeEvent returns the n-th event of a client: a birth, an ID card, a
// phone correction or a temporary residence, in turn, spread over the
// households, and every tenth a birth into a household that does not exist,
// which the registry must refuse with 404. Births change three people and
// a household in one event; the others change one person.
func lifeEvent(round, client, n int, homes []household) (ev map[string]any, doomed bool) {
	h := homes[(client+n)%len(homes)]
	subject := h.head
	if n%8 >= 4 {
		subject = h.wife
	}
	ev = map[string]any{
		"id":             fmt.Sprintf("r%d-c%d-%05d", round, client, n),
		"effective_date": effectiveDate,
		"reason":         "crash test burst",
	}
	doomed = n%10 == 9
	switch {
	case doomed || n%4 == 0:
		sex := []string{"male", "female"}[(n/4)%2]
		names := []string{"Nguyễn Minh Khôi", "Nguyễn Ngọc Anh", "Trần Gia Bảo", "Trần Bảo Ngọc"}
		ev["type"] = "birth_registration"
		ev["data"] = map[string]any{
			"full_name": names[(client+n/4)%len(names)], "birth_date": effectiveDate, "sex": sex,
			"registration_place": map[string]any{"province": "79", "commune": "25747"}, "ethnicity": "01",
			"mother_pin": h.wife, "father_pin": h.head,
			// The burst's children share four names, a birth date and
			// their parents, which the registry's duplicate check takes
			// for one child registered twice: the registrar declares them
			// different people, as the registry asks.
			"confirm_not_duplicate": true, "not_duplicate_reason": "crash test: distinct synthetic children",
		}
		if doomed {
			ev["data"].(map[string]any)["household_id"] = noHousehold
		}
	case n%4 == 1:
		ev["type"], ev["subject"] = "id_card_issued", subject
	case n%4 == 2:
		// A new number each time, so that no correction repeats the
		// recorded value and is refused.
		ev["type"], ev["subject"] = "correction", subject
		ev["data"] = map[string]any{"field": "phone", "value": fmt.Sprintf("09%d%d%06d", round, client, n)}
	default:
		ev["type"], ev["subject"] = "temporary_residence_registration", subject
		ev["data"] = map[string]any{"province": "01", "commune": "00004", "address": fmt.Sprintf("%d Phố Huế", n+1)}
	}
	return ev, doomed
}

// burst runs the clients until killAfter events are acknowledged and delay
// has passed, kills the server and waits for the clients to notice.
func burst(t *testing.T, srv *proc, base string, round int, homes []household, sent *burstLog, killAfter int, delay time.Duration) {
	t.Helper()
	ctx := context.Background()
	var killed atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, burstClients)
	start := sent.acks.Load()
	began := time.Now()
	for c := range burstClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				ev, doomed := lifeEvent(round, c, n, homes)
				if doomed {
					sent.mu.Lock()
					sent.doomed[ev["id"].(string)] = true
					sent.mu.Unlock()
				}
				o, res, status, err := post(ctx, base, ev)
				sent.record(ev, o, res)
				if killed.Load() {
					return
				}
				// Before the kill every event must go through, and every
				// doomed one be refused: anything else is a bug in the test
				// or the server.
				if doomed && status != http.StatusNotFound || !doomed && o != acked {
					errs <- fmt.Errorf("event %s before the kill: status %d, %v", ev["id"], status, err)
					return
				}
			}
		}()
	}
	for sent.acks.Load()-start < int64(killAfter) {
		select {
		case err := <-errs:
			killed.Store(true)
			srv.kill()
			wg.Wait()
			t.Fatal(err)
		default:
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(delay)
	killed.Store(true)
	srv.kill()
	elapsed := time.Since(began)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("killed dancu serve %v into the burst, after %d acknowledged events (%d in all); %d requests left without an answer",
		elapsed.Round(time.Millisecond), sent.acks.Load()-start, sent.acks.Load(), len(sent.unanswered(fmt.Sprintf("r%d-", round))))
}

// recorded is the state of the registry as a restarted server reports it.
type recorded struct {
	events  map[string]api.EventRecord
	history map[string][]api.CitizenVersion // by PIN
}

// checkEvents checks the restarted server against the burst log, then
// stops it and checks the outbox and household histories in the file. It
// returns the ids of the events on record.
func checkEvents(t *testing.T, base, dir string, sent *burstLog, srv *proc) map[string]bool {
	t.Helper()
	ctx := context.Background()
	began := time.Now()
	rec := recorded{events: map[string]api.EventRecord{}, history: map[string][]api.CitizenVersion{}}

	// Every event on record, in seq order.
	var after int64
	lastSeq := int64(0)
	for {
		var page api.EventPage
		getJSON(t, fmt.Sprintf("%s/v1/events?limit=%d&after=%d", base, api.MaxEventLimit, after), &page)
		for _, e := range page.Items {
			if _, dup := rec.events[e.ID]; dup {
				t.Errorf("event %s is listed twice", e.ID)
			}
			if e.Seq <= lastSeq {
				t.Errorf("event %s has seq %d after %d", e.ID, e.Seq, lastSeq)
			}
			lastSeq = e.Seq
			rec.events[e.ID] = e
		}
		if page.NextAfter == 0 {
			break
		}
		after = page.NextAfter
	}

	// What the clients learnt agrees with what is on record.
	sent.mu.Lock()
	outcomes := maps.Clone(sent.outcome)
	results := maps.Clone(sent.results)
	doomed := maps.Clone(sent.doomed)
	sent.mu.Unlock()
	var nAcked, nRefused, nUnknown, nUnknownThere int
	for id, o := range outcomes {
		_, listed := rec.events[id]
		status, body, err := request(ctx, http.MethodGet, base+"/v1/events/"+url.PathEscape(id), nil)
		if err != nil {
			t.Fatalf("GET event %s: %v", id, err)
		}
		if listed != (status == http.StatusOK) {
			t.Errorf("event %s: GET answers %d but the list has it: %v", id, status, listed)
		}
		switch o {
		case acked:
			nAcked++
			if status != http.StatusOK {
				t.Errorf("acknowledged event %s: GET answers %d after the restart, want 200", id, status)
				continue
			}
			var got api.EventRecord
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("decode event %s: %v", id, err)
			}
			if diff := sameResult(results[id], got.Result); diff != "" {
				t.Errorf("acknowledged event %s: the recorded result differs from the acknowledged one: %s", id, diff)
			}
		case refused:
			nRefused++
			if status != http.StatusNotFound {
				t.Errorf("refused event %s: GET answers %d, want 404", id, status)
			}
		case unknown:
			nUnknown++
			if status == http.StatusOK {
				nUnknownThere++
			}
		}
		if doomed[id] && status != http.StatusNotFound {
			t.Errorf("event %s, which the registry must refuse, is on record", id)
		}
	}
	for id := range rec.events {
		if _, ok := outcomes[id]; !ok {
			t.Errorf("event %s is on record but no client posted it", id)
		}
	}

	// Every recorded event is whole, and every version belongs to one.
	people := map[string]bool{} // PINs the events created
	for id, e := range rec.events {
		if e.Result == nil || len(e.Result.People) == 0 {
			t.Errorf("event %s is recorded without the people it changed", id)
			continue
		}
		for _, ref := range e.Result.People {
			if ref.Version == 1 {
				people[ref.ID] = true
			}
			h := rec.historyOf(t, base, ref.ID)
			if i := ref.Version - 1; i < 0 || int(i) >= len(h) || h[i].Version != ref.Version || h[i].EventID != id {
				t.Errorf("event %s: a person version %d it wrote is not in the history with its id", id, ref.Version)
			}
		}
	}
	versions := 0
	for pin, h := range rec.history {
		for i, v := range h {
			versions++
			if v.Version != int64(i+1) {
				t.Errorf("a person's history has version %d at position %d", v.Version, i+1)
			}
			e, ok := rec.events[v.EventID]
			if !ok {
				t.Errorf("version %d of a person was written by event %s, which is not on record: half-applied", v.Version, v.EventID)
				continue
			}
			if !slices.Contains(e.Result.People, registry.VersionRef{ID: pin, Version: v.Version}) {
				t.Errorf("event %s's result does not name version %d of a person whose history gives it", v.EventID, v.Version)
			}
		}
	}
	t.Logf("after the restart: %d events on record; %d acknowledged, %d refused, %d without an answer of which %d applied; %d people, %d person versions; API checks took %v",
		len(rec.events), nAcked, nRefused, nUnknown, nUnknownThere, len(people), versions, time.Since(began).Round(time.Millisecond))

	// The outbox and household histories are read from the file, with the
	// server stopped so that the store is opened as after a restart.
	srv.stop()
	checkOutbox(t, filepath.Join(dir, "dancu.db"), rec, len(people))
	ids := make(map[string]bool, len(rec.events))
	for id := range rec.events {
		ids[id] = true
	}
	return ids
}

// sameResult compares an acknowledged result with the recorded one.
func sameResult(want registry.Result, got *registry.Result) string {
	switch {
	case got == nil:
		return "no result recorded"
	case got.EventID != want.EventID || got.Seq != want.Seq || got.Type != want.Type || got.PIN != want.PIN:
		return fmt.Sprintf("event %s seq %d type %s, acknowledged event %s seq %d type %s",
			got.EventID, got.Seq, got.Type, want.EventID, want.Seq, want.Type)
	case !got.RecordedAt.Equal(want.RecordedAt):
		return "another recorded_at"
	case !slices.Equal(got.People, want.People):
		return fmt.Sprintf("%d person versions, %d acknowledged", len(got.People), len(want.People))
	case !slices.Equal(got.Households, want.Households):
		return fmt.Sprintf("%d household versions, %d acknowledged", len(got.Households), len(want.Households))
	}
	return ""
}

// historyOf returns a person's history, reading it once per check.
func (r *recorded) historyOf(t *testing.T, base, pin string) []api.CitizenVersion {
	t.Helper()
	if h, ok := r.history[pin]; ok {
		return h
	}
	var h api.CitizenHistory
	getJSON(t, base+"/v1/citizens/"+pin+"/history", &h)
	r.history[pin] = h.Items
	return h.Items
}

// getJSON GETs url and decodes a 200 answer into v. Failure messages name
// the path up to the first PIN only.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	status, body, err := request(context.Background(), http.MethodGet, u, nil)
	what := u
	if i := strings.Index(what, "/v1/citizens/"); i >= 0 {
		what = what[:i] + "/v1/citizens/{pin}/..."
	}
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", what, status, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode GET %s: %v", what, err)
	}
}

// checkOutbox opens the file with the store and checks that the outbox
// holds one row per person each recorded event changed and nothing else,
// that each household version an event names carries its id, and that the
// people on record are exactly those the events created.
func checkOutbox(t *testing.T, path string, rec recorded, people int) {
	t.Helper()
	ctx := context.Background()
	st, err := openStore(ctx, path)
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	closeStore := sync.OnceValue(st.Close)
	defer closeStore()

	if n, err := st.CountPersons(ctx); err != nil || n != int64(people) {
		t.Errorf("CountPersons = %d, %v; the recorded events created %d", n, err, people)
	}

	rows := map[string][]string{} // event id → PINs, in outbox order
	var after int64
	total := 0
	for {
		page, err := st.Outbox(ctx, after, 1000)
		if err != nil {
			t.Fatalf("Outbox: %v", err)
		}
		for _, o := range page {
			rows[o.EventID] = append(rows[o.EventID], o.PIN)
			if e, ok := rec.events[o.EventID]; !ok {
				t.Errorf("outbox row %d names event %s, which is not on record", o.Seq, o.EventID)
			} else if o.EventType != e.Type {
				t.Errorf("outbox row %d of event %s has type %s, want %s", o.Seq, o.EventID, o.EventType, e.Type)
			}
			after = o.Seq
		}
		total += len(page)
		if len(page) < 1000 {
			break
		}
	}
	households := map[string][]store.HouseholdVersion{}
	for id, e := range rec.events {
		var want []string
		for _, ref := range e.Result.People {
			want = append(want, ref.ID)
		}
		if got := rows[id]; !slices.Equal(got, want) {
			t.Errorf("event %s: %d outbox rows, want one for each of the %d people it changed, in order", id, len(got), len(want))
		}
		for _, ref := range e.Result.Households {
			h, ok := households[ref.ID]
			if !ok {
				if h, err = st.HouseholdHistory(ctx, ref.ID); err != nil {
					t.Fatalf("HouseholdHistory: %v", err)
				}
				households[ref.ID] = h
			}
			if i := ref.Version - 1; i < 0 || int(i) >= len(h) || h[i].Version != ref.Version || h[i].EventID != id {
				t.Errorf("event %s: household version %d it wrote is not in the household's history with its id", id, ref.Version)
			}
		}
	}
	for _, h := range households {
		for i, v := range h {
			e, ok := rec.events[v.EventID]
			if v.Version != int64(i+1) || !ok || !slices.Contains(e.Result.Households, registry.VersionRef{ID: v.ID, Version: v.Version}) {
				t.Errorf("household version %d (event %s) belongs to no recorded event that names it", v.Version, v.EventID)
			}
		}
	}
	t.Logf("outbox: %d rows for %d events; %d households", total, len(rows), len(households))
	if err := closeStore(); err != nil {
		t.Errorf("close store: %v", err)
	}
}

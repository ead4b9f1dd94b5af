package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// verifyTests are the cases for the Verification interface.
var verifyTests = []conformanceTest{
	{"VerifyRows", testVerifyRows},
	{"VerifyJobLifecycle", testVerifyJobLifecycle},
	{"VerifyRowsSharedSnapshot", testVerifyRowsSharedSnapshot},
	{"VerifyQuota", testVerifyQuota},
}

func testVerifyRows(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s,
		person("079190000001", 1, "nguyen van an", change("e1", "2026-01-01", t0)),
		person("079190000002", 1, "tran thi binh", change("e2", "2026-01-01", t0)))
	dead := person("079190000002", 2, "tran thi binh", change("e3", "2026-02-01", t0))
	dead.State = "dead"
	dead.Data = []byte(`{"dead":true}`)
	put(t, s, dead)

	for _, withData := range []bool{false, true} {
		rows, err := s.VerifyRows(ctx, []string{"079190000002", "079190000009", "079190000001"}, withData)
		if err != nil {
			t.Fatalf("VerifyRows(%v): %v", withData, err)
		}
		slices.SortFunc(rows, func(a, b store.VerifyRow) int { return cmpString(a.PIN, b.PIN) })
		if len(rows) != 2 {
			t.Fatalf("VerifyRows(%v) = %d rows, want 2 (an unknown PIN is left out)", withData, len(rows))
		}
		got := rows[1]
		if got.PIN != "079190000002" || got.State != "dead" || got.NameFold != "tran thi binh" ||
			got.BirthDate != "1990-05-17" || got.Sex != "female" {
			t.Errorf("VerifyRows(%v) row = %+v, want the current version's columns", withData, got)
		}
		if withData && string(got.Data) != `{"dead":true}` {
			t.Errorf("VerifyRows(true) data = %s, want the current version's document", got.Data)
		}
		if !withData && got.Data != nil {
			t.Errorf("VerifyRows(false) data = %s, want none", got.Data)
		}
	}
	if rows, err := s.VerifyRows(ctx, nil, true); err != nil || len(rows) != 0 {
		t.Errorf("VerifyRows(nil) = %v, %v; want nothing", rows, err)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func newJob(id, agency string, at time.Time) store.VerifyJob {
	at = at.Truncate(time.Microsecond) // the precision every backend keeps
	return store.VerifyJob{ID: id, Agency: agency, Client: "c1", Purpose: "telecom.subscribers", Format: "csv",
		State: "queued", InputBytes: 1000, Summary: []byte(`{}`), CreatedAt: at, UpdatedAt: at}
}

func testVerifyJobLifecycle(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.VerifyJob(ctx, "j1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("VerifyJob(missing) err = %v, want ErrNotFound", err)
	}
	for i, id := range []string{"j1", "j2", "j3"} {
		if err := s.CreateVerifyJob(ctx, newJob(id, "viettel", t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatalf("CreateVerifyJob(%s): %v", id, err)
		}
	}
	if err := s.CreateVerifyJob(ctx, newJob("j1", "viettel", t0)); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateVerifyJob(again) err = %v, want ErrExists", err)
	}
	if err := s.CreateVerifyJob(ctx, newJob("k1", "mobifone", t0)); err != nil {
		t.Fatal(err)
	}
	j, err := s.VerifyJob(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	want := newJob("j1", "viettel", t0)
	want.Version = 1
	if fmt.Sprint(j) != fmt.Sprint(want) {
		t.Errorf("VerifyJob = %+v\nwant %+v", j, want)
	}
	jobs, err := s.VerifyJobs(ctx, "viettel", 2)
	if err != nil || len(jobs) != 2 || jobs[0].ID != "j3" || jobs[1].ID != "j2" {
		t.Errorf("VerifyJobs(viettel, 2) = %v, %v; want j3, j2 (newest first, limited)", ids(jobs), err)
	}
	all, err := s.VerifyJobs(ctx, "", 10)
	if err != nil || len(all) != 4 || all[0].ID != "j3" || all[3].ID != "k1" && all[3].ID != "j1" {
		t.Errorf("VerifyJobs(\"\", 10) = %v, %v; want every agency's four jobs, newest first", ids(all), err)
	}

	j.State, j.Version, j.Offset, j.Lines, j.ResultBytes = "running", 2, 500, 10, 321
	j.Summary = []byte(`{"MATCH":10}`)
	j.LeaseUntil = t0.Add(time.Minute).Truncate(time.Microsecond)
	if err := s.SaveVerifyJob(ctx, j); err != nil {
		t.Fatalf("SaveVerifyJob: %v", err)
	}
	stale := j
	stale.Offset = 900
	if err := s.SaveVerifyJob(ctx, stale); !errors.Is(err, store.ErrConflict) {
		t.Errorf("SaveVerifyJob(stale version) err = %v, want ErrConflict", err)
	}
	ghost := newJob("nope", "viettel", t0)
	ghost.Version = 2
	if err := s.SaveVerifyJob(ctx, ghost); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SaveVerifyJob(missing job) err = %v, want ErrNotFound", err)
	}
	got, _ := s.VerifyJob(ctx, "j1")
	if got.Offset != 500 || got.ResultBytes != 321 || got.Version != 2 || string(got.Summary) != `{"MATCH":10}` ||
		!got.LeaseUntil.Equal(t0.Add(time.Minute).Truncate(time.Microsecond)) {
		t.Errorf("after save VerifyJob = %+v", got)
	}
	pending, err := s.PendingVerifyJobs(ctx)
	if err != nil || len(pending) != 4 || pending[0].ID != "k1" && pending[0].ID != "j1" {
		t.Errorf("PendingVerifyJobs = %v, %v", ids(pending), err)
	}
	got.State, got.Version, got.FinishedAt = "done", 3, t0.Add(time.Hour)
	if err := s.SaveVerifyJob(ctx, got); err != nil {
		t.Fatal(err)
	}
	pending, _ = s.PendingVerifyJobs(ctx)
	if slices.Contains(ids(pending), "j1") {
		t.Errorf("PendingVerifyJobs still lists a finished job: %v", ids(pending))
	}

}

func ids(js []store.VerifyJob) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.ID)
	}
	return out
}

// testVerifyRowsSharedSnapshot checks what store.ShareSnapshot allows and
// no more: the batches of one run may read an older snapshot, but a new run
// sees every change committed before it started, and a single PIN is always
// read fresh.
func testVerifyRowsSharedSnapshot(t *testing.T, s store.Store) {
	ctx := context.Background()
	pins := []string{"079190000001", "079190000002"}
	put(t, s,
		person(pins[0], 1, "nguyen van an", change("e1", "2026-01-01", t0)),
		person(pins[1], 1, "tran thi binh", change("e2", "2026-01-01", t0)))
	run := store.ShareSnapshot(ctx)
	if rows, err := s.VerifyRows(run, pins, false); err != nil || len(rows) != 2 {
		t.Fatalf("VerifyRows in a run = %v, %v", rows, err)
	}
	dead := person(pins[1], 2, "tran thi binh", change("e3", "2026-02-01", t0))
	dead.State = "dead"
	put(t, s, dead)
	state := func(rows []store.VerifyRow) string {
		for _, r := range rows {
			if r.PIN == pins[1] {
				return r.State
			}
		}
		return "absent"
	}
	if rows, err := s.VerifyRows(run, pins, false); err != nil || state(rows) != "alive" && state(rows) != "dead" {
		t.Errorf("VerifyRows in the same run = %v, %v", rows, err)
	}
	if rows, err := s.VerifyRows(store.ShareSnapshot(ctx), pins, false); err != nil || state(rows) != "dead" {
		t.Errorf("a new run reads state %q (%v), want dead: it must not share the last run's snapshot", state(rows), err)
	}
	if rows, err := s.VerifyRows(run, pins[1:], false); err != nil || state(rows) != "dead" {
		t.Errorf("one PIN in a run reads state %q (%v), want dead", state(rows), err)
	}
	if rows, err := s.VerifyRows(ctx, pins, false); err != nil || state(rows) != "dead" {
		t.Errorf("outside a run: state %q (%v), want dead", state(rows), err)
	}
}

func testVerifyQuota(t *testing.T, s store.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := s.TakeQuota(ctx, "viettel/2026-11-27", 1+i%3, 25)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			granted += g
			mu.Unlock()
		}()
	}
	wg.Wait()
	if granted != 25 {
		t.Errorf("granted %d units against a limit of 25 (asked for 39)", granted)
	}
	if g, err := s.TakeQuota(ctx, "viettel/2026-11-27", 1, 25); err != nil || g != 0 {
		t.Errorf("TakeQuota at the limit = %d, %v; want 0", g, err)
	}
	if g, err := s.TakeQuota(ctx, "viettel/2026-11-27", 5, 27); err != nil || g != 2 {
		t.Errorf("TakeQuota with a raised limit = %d, %v; want the 2 left", g, err)
	}
	if g, err := s.TakeQuota(ctx, "viettel/2026-11-28", 10, 7); err != nil || g != 7 {
		t.Errorf("TakeQuota(new day) = %d, %v; want 7", g, err)
	}
	if g, err := s.TakeQuota(ctx, "mobifone/2026-11-28", 3, 0); err != nil || g != 0 {
		t.Errorf("TakeQuota(limit 0) = %d, %v; want 0", g, err)
	}
}

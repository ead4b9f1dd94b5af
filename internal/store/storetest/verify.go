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
	{"VerifyJobCheckpointAtomic", testVerifyJobCheckpointAtomic},
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
	if err := s.SaveVerifyJob(ctx, j, []store.PINCount{{PIN: "079190000001", N: 2}}); err != nil {
		t.Fatalf("SaveVerifyJob: %v", err)
	}
	stale := j
	stale.Offset = 900
	if err := s.SaveVerifyJob(ctx, stale, nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("SaveVerifyJob(stale version) err = %v, want ErrConflict", err)
	}
	ghost := newJob("nope", "viettel", t0)
	ghost.Version = 2
	if err := s.SaveVerifyJob(ctx, ghost, nil); !errors.Is(err, store.ErrNotFound) {
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
	if err := s.SaveVerifyJob(ctx, got, nil); err != nil {
		t.Fatal(err)
	}
	pending, _ = s.PendingVerifyJobs(ctx)
	if slices.Contains(ids(pending), "j1") {
		t.Errorf("PendingVerifyJobs still lists a finished job: %v", ids(pending))
	}

	counts, err := s.SubscriptionCounts(ctx, "j1", []string{"079190000001", "079190000002"})
	if err != nil || len(counts) != 1 || counts[0] != (store.PINCount{PIN: "079190000001", N: 2}) {
		t.Errorf("SubscriptionCounts = %v, %v", counts, err)
	}
	if c, _ := s.SubscriptionCounts(ctx, "j2", []string{"079190000001"}); len(c) != 0 {
		t.Errorf("another job sees the counts: %v", c)
	}
	if err := s.DeleteSubscriptionCounts(ctx, "j1"); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.SubscriptionCounts(ctx, "j1", []string{"079190000001"}); len(c) != 0 {
		t.Errorf("counts after delete: %v", c)
	}
}

func ids(js []store.VerifyJob) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.ID)
	}
	return out
}

// testVerifyJobCheckpointAtomic checks that counts are written only with
// the job's checkpoint: a save refused for its version leaves them as they were.
func testVerifyJobCheckpointAtomic(t *testing.T, s store.Store) {
	ctx := context.Background()
	j := newJob("j1", "viettel", t0)
	if err := s.CreateVerifyJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	j.Version = 2
	many := make([]store.PINCount, 5000)
	pins := make([]string, len(many))
	for i := range many {
		many[i] = store.PINCount{PIN: fmt.Sprintf("0791900%05d", i), N: 1}
		pins[i] = many[i].PIN
	}
	if err := s.SaveVerifyJob(ctx, j, many); err != nil {
		t.Fatal(err)
	}
	many[0].N = 7
	if err := s.SaveVerifyJob(ctx, j, many); !errors.Is(err, store.ErrConflict) { // version 2 again
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	c, err := s.SubscriptionCounts(ctx, "j1", pins)
	if err != nil || len(c) != len(pins) {
		t.Fatalf("SubscriptionCounts = %d, %v; want %d", len(c), err, len(pins))
	}
	for _, x := range c {
		if x.N != 1 {
			t.Fatalf("count of a refused save was written: %+v", x)
		}
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

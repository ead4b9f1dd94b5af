package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	duplicateTests = []conformanceTest{
		{"DuplicatesPutAndList", testDuplicatesPutAndList},
		{"DuplicatesDecide", testDuplicatesDecide},
		{"DuplicatesBadPairs", testDuplicatesBadPairs},
	}
}

// duplicateTests are the cases for the Duplicates interface.
var duplicateTests []conformanceTest

func candidate(a, b string, w float64) store.DuplicateCandidate {
	return store.DuplicateCandidate{
		PINA: a, PINB: b, Weight: w, Probability: 0.9, Evidence: []byte(`[{"field":"surname"}]`),
		Source: "batch", FoundAt: t0.Truncate(time.Microsecond),
	}
}

func testDuplicatesPutAndList(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, err := s.PutDuplicateCandidates(ctx, []store.DuplicateCandidate{
		candidate("001190000001", "001190000002", 12.5),
		candidate("001190000003", "001190000004", 20),
		candidate("001190000001", "001190000005", 12.5),
		candidate("001190000006", "001190000007", 3),
	})
	if err != nil || n != 4 {
		t.Fatalf("Put = %d, %v; want 4 inserted", n, err)
	}
	got, err := s.DuplicateCandidate(ctx, "001190000003", "001190000004")
	want := candidate("001190000003", "001190000004", 20)
	want.Status = store.DuplicateOpen
	if err != nil || got.Weight != want.Weight || got.Probability != want.Probability || string(got.Evidence) != string(want.Evidence) ||
		got.Source != want.Source || got.Status != want.Status || !got.FoundAt.Equal(want.FoundAt) || got.DecidedBy != "" || !got.DecidedAt.IsZero() {
		t.Fatalf("DuplicateCandidate = %+v, %v; want %+v", got, err, want)
	}
	if _, err := s.DuplicateCandidate(ctx, "001190000004", "001190000003"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reversed pair: err = %v, want ErrNotFound", err)
	}

	// Pages by weight, then PINs.
	var order []string
	q := store.DuplicateQuery{Status: store.DuplicateOpen, Limit: 2}
	for {
		page, err := s.DuplicateCandidates(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			order = append(order, c.PINA+"-"+c.PINB)
		}
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.AfterWeight, q.AfterA, q.AfterB = last.Weight, last.PINA, last.PINB
	}
	wantOrder := []string{"001190000003-001190000004", "001190000001-001190000002", "001190000001-001190000005", "001190000006-001190000007"}
	if len(order) != len(wantOrder) {
		t.Fatalf("listed %v, want %v", order, wantOrder)
	}
	for i := range order {
		if order[i] != wantOrder[i] {
			t.Fatalf("listed %v, want %v", order, wantOrder)
		}
	}
	byPIN, err := s.DuplicateCandidates(ctx, store.DuplicateQuery{PIN: "001190000001", Limit: 10})
	if err != nil || len(byPIN) != 2 {
		t.Errorf("by PIN: %d pairs, %v; want 2", len(byPIN), err)
	}

	// A second batch updates open pairs and adds new ones.
	again := candidate("001190000001", "001190000002", 30)
	again.Source = "registration"
	n, err = s.PutDuplicateCandidates(ctx, []store.DuplicateCandidate{again, candidate("001190000008", "001190000009", 1)})
	if err != nil || n != 1 {
		t.Fatalf("second Put = %d, %v; want 1 inserted", n, err)
	}
	got, _ = s.DuplicateCandidate(ctx, "001190000001", "001190000002")
	if got.Weight != 30 || got.Source != "registration" {
		t.Errorf("open pair not updated: %+v", got)
	}
	if c, err := s.CountDuplicateCandidates(ctx, ""); err != nil || c != 5 {
		t.Errorf("Count = %d, %v; want 5", c, err)
	}
}

func testDuplicatesDecide(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.PutDuplicateCandidates(ctx, []store.DuplicateCandidate{
		candidate("001190000001", "001190000002", 12.5), candidate("001190000003", "001190000004", 8),
	}); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Hour).Truncate(time.Microsecond)
	if err := s.DecideDuplicateCandidate(ctx, "001190000001", "001190000002", store.DuplicateDismissed, "officer-1", at); err != nil {
		t.Fatal(err)
	}
	got, err := s.DuplicateCandidate(ctx, "001190000001", "001190000002")
	if err != nil || got.Status != store.DuplicateDismissed || got.DecidedBy != "officer-1" || !got.DecidedAt.Equal(at) {
		t.Fatalf("after dismiss: %+v, %v", got, err)
	}
	// Deciding again conflicts; a decided pair is not reopened by a batch.
	if err := s.DecideDuplicateCandidate(ctx, "001190000001", "001190000002", store.DuplicateMerged, "officer-2", at); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second decision: err = %v, want ErrConflict", err)
	}
	n, err := s.PutDuplicateCandidates(ctx, []store.DuplicateCandidate{candidate("001190000001", "001190000002", 99)})
	if err != nil || n != 0 {
		t.Errorf("Put of a decided pair = %d, %v; want 0", n, err)
	}
	got, _ = s.DuplicateCandidate(ctx, "001190000001", "001190000002")
	if got.Status != store.DuplicateDismissed || got.Weight != 12.5 {
		t.Errorf("decided pair changed by a batch: %+v", got)
	}
	if err := s.DecideDuplicateCandidate(ctx, "001190000008", "001190000009", store.DuplicateMerged, "x", at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown pair: err = %v, want ErrNotFound", err)
	}
	if err := s.DecideDuplicateCandidate(ctx, "001190000003", "001190000004", store.DuplicateOpen, "x", at); err == nil {
		t.Error("deciding to open accepted")
	}
	open, err := s.CountDuplicateCandidates(ctx, store.DuplicateOpen)
	if err != nil || open != 1 {
		t.Errorf("open = %d, %v; want 1", open, err)
	}
}

func testDuplicatesBadPairs(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, c := range []store.DuplicateCandidate{
		candidate("001190000002", "001190000001", 1),
		candidate("001190000001", "001190000001", 1),
		candidate("", "001190000001", 1),
	} {
		if _, err := s.PutDuplicateCandidates(ctx, []store.DuplicateCandidate{candidate("001190000005", "001190000006", 1), c}); err == nil {
			t.Errorf("pair %s/%s accepted", c.PINA, c.PINB)
		}
	}
	if n, err := s.CountDuplicateCandidates(ctx, ""); err != nil || n != 0 {
		t.Errorf("after refused batches: %d pairs, %v; want none (store unchanged)", n, err)
	}
	if _, err := s.DuplicateCandidates(ctx, store.DuplicateQuery{}); err == nil {
		t.Error("a query without a limit accepted")
	}
}

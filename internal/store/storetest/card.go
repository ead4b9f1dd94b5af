package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/dancu/dancu/internal/store"
)

func init() {
	cardTests = []conformanceTest{
		{"CardsInsertAndReplace", testCardsInsertAndReplace},
		{"CardsSetStatus", testCardsSetStatus},
	}
}

func cardRow(pin string, seq int64, event string) store.CardRow {
	return store.CardRow{
		PIN: pin, Seq: seq, EventID: event, Kind: "can_cuoc", IssueDate: "2024-07-01", Expiry: "2035-03-02",
		Authority: "Bộ Công an", Status: "valid", Chip: true, DG1: []byte{0x61, 0}, DG13: []byte{0x6D, 0},
		SOD: []byte{0x77, 0}, DSSerial: "0a",
	}
}

func testCardsInsertAndReplace(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, err := s.InsertCards(ctx, []store.CardRow{cardRow("079190000001", 5, "e5"), cardRow("079190000002", 6, "e6")})
	if err != nil || n != 2 {
		t.Fatalf("InsertCards = %d, %v; want 2", n, err)
	}
	// The same events again insert nothing and replace nothing.
	if n, err := s.InsertCards(ctx, []store.CardRow{cardRow("079190000001", 5, "e5")}); err != nil || n != 0 {
		t.Fatalf("InsertCards again = %d, %v; want 0", n, err)
	}
	newer := cardRow("079190000001", 9, "e9")
	newer.Chip, newer.DG1, newer.DG13, newer.SOD = false, nil, nil, nil
	if n, err := s.InsertCards(ctx, []store.CardRow{newer}); err != nil || n != 1 {
		t.Fatalf("InsertCards newer = %d, %v; want 1", n, err)
	}
	got, err := s.CardsByPIN(ctx, "079190000001")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Seq != 5 || got[1].Seq != 9 {
		t.Fatalf("CardsByPIN = %d cards, want seq 5 and 9", len(got))
	}
	if got[0].Status != "replaced" || got[0].Version != 2 || got[1].Status != "valid" || got[1].Version != 1 {
		t.Errorf("statuses = %s v%d, %s v%d; want replaced v2, valid v1", got[0].Status, got[0].Version, got[1].Status, got[1].Version)
	}
	if string(got[0].SOD) != "\x77\x00" || got[1].SOD != nil || got[1].Chip || got[0].Authority != "Bộ Công an" {
		t.Errorf("card contents did not round-trip: %+v", got[1])
	}
	if other, _ := s.CardsByPIN(ctx, "079190000002"); len(other) != 1 || other[0].Status != "valid" {
		t.Errorf("another person's card was touched: %+v", other)
	}
	if none, err := s.CardsByPIN(ctx, "079190000009"); err != nil || len(none) != 0 {
		t.Errorf("CardsByPIN of nobody = %v, %v", none, err)
	}
	counts, err := s.CardStatusCounts(ctx)
	if err != nil || counts["valid"] != 2 || counts["replaced"] != 1 {
		t.Errorf("CardStatusCounts = %v, %v", counts, err)
	}
}

func testCardsSetStatus(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.InsertCards(ctx, []store.CardRow{cardRow("079190000001", 5, "e5")}); err != nil {
		t.Fatal(err)
	}
	ch := store.CardStatusChange{Status: "lost", Reason: "reported lost", Actor: "admin"}
	if err := s.SetCardStatus(ctx, "079190000001", 5, 1, ch); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCardStatus(ctx, "079190000001", 5, 1, ch); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale version: %v, want ErrConflict", err)
	}
	if err := s.SetCardStatus(ctx, "079190000001", 6, 1, ch); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no such card: %v, want ErrNotFound", err)
	}
	got, _ := s.CardsByPIN(ctx, "079190000001")
	if len(got) != 1 || got[0].Status != "lost" || got[0].StatusReason != "reported lost" || got[0].StatusActor != "admin" || got[0].Version != 2 {
		t.Errorf("after SetCardStatus: %+v", got)
	}
}

package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// TestSubmit_Within checks the hook that lets another package's write (a
// dossier's decision) commit with the event, or not at all.
func TestSubmit_Within(t *testing.T) {
	w := newWorld(t)
	husband, _, _ := w.family()
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if _, err := w.store.CreateDossier(ctx, store.DossierRow{Code: "HS1", Version: 1, Procedure: "p",
		ApplicantPIN: husband, Province: "01", Status: "accepted", SubmittedAt: at, DueAt: at, UpdatedAt: at}, nil, nil); err != nil {
		t.Fatal(err)
	}
	ev := func(id string) registry.Event {
		return registry.Event{ID: id, Type: "temporary_absence_declaration", Subject: husband,
			EffectiveDate: registry.MustParseDate("2026-11-20"), Reason: "dossier HS1", Data: []byte(`{"destination":"Đà Nẵng"}`)}
	}
	before := w.person(husband).Version
	boom := errors.New("boom")
	_, err := w.reg.Submit(ctx, registry.Submission{Event: ev("svc-1"), Actor: "officer",
		Within: func(ctx context.Context, tx store.Tx, res *registry.Result) error {
			d, err := tx.Dossier(ctx, "HS1")
			if err != nil {
				return err
			}
			d.Version, d.Status = d.Version+1, "approved"
			if err := tx.PutDossier(ctx, d); err != nil {
				return err
			}
			return boom
		}})
	if !errors.Is(err, boom) {
		t.Fatalf("Submit = %v, want the hook's error", err)
	}
	if got := w.person(husband).Version; got != before {
		t.Errorf("a refused hook left version %d, want %d", got, before)
	}
	if _, err := w.store.Event(ctx, "svc-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused hook left the event: %v", err)
	}
	if d, _ := w.store.Dossier(ctx, "HS1"); d.Status != "accepted" {
		t.Errorf("a refused hook left the dossier %q", d.Status)
	}

	calls := 0
	hook := func(ctx context.Context, tx store.Tx, res *registry.Result) error {
		calls++
		if res.Seq == 0 || len(res.People) != 1 {
			t.Errorf("the hook got result %+v", res)
		}
		d, err := tx.Dossier(ctx, "HS1")
		if err != nil {
			return err
		}
		d.Version, d.Status = d.Version+1, "approved"
		return tx.PutDossier(ctx, d)
	}
	res, err := w.reg.Submit(ctx, registry.Submission{Event: ev("svc-2"), Actor: "officer", Within: hook})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := w.store.Dossier(ctx, "HS1"); d.Status != "approved" || d.Version != 2 {
		t.Errorf("dossier after the event = %+v", d)
	}
	out, _ := w.store.Outbox(ctx, 0, 1000)
	if last := out[len(out)-1]; last.EventID != "svc-2" {
		t.Errorf("last outbox row is %q, want the event's", last.EventID)
	}
	again, err := w.reg.Submit(ctx, registry.Submission{Event: ev("svc-2"), Actor: "officer", Within: hook})
	if err != nil || !again.Replayed || again.Seq != res.Seq {
		t.Errorf("replay = %+v, %v", again, err)
	}
	if calls != 1 {
		t.Errorf("the hook ran %d times, want once (not on replay)", calls)
	}
}

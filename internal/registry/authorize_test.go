package registry_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/dancu/dancu/internal/registry"
)

// TestSubmit_AuthorizeTargets checks which units each kind of event is
// placed in, and that a refusal writes nothing.
func TestSubmit_AuthorizeTargets(t *testing.T) {
	w := newWorld(t)
	husband, wife, hh := w.family() // household in 01:00004
	ba := registry.UnitRef{Province: "01", Commune: "00004"}
	sg := registry.UnitRef{Province: "79", Commune: "26740"}
	tests := []struct {
		name, typ, subject string
		data               any
		want               []registry.UnitRef
	}{
		{"birth: registration place and household", "birth_registration", "", obj{
			"full_name": "Nguyễn Văn Bé", "birth_date": "2026-01-05", "sex": "male", "ethnicity": "01",
			"registration_place": obj{"province": "79", "commune": "26740"}, "mother_pin": wife,
		}, []registry.UnitRef{sg, ba}},
		{"initial registration: household joined", "initial_registration", "", obj{
			"full_name": "Lê Thị Cúc", "birth_date": "1990-01-01", "sex": "female", "ethnicity": "01",
			"registration_place": obj{"province": "79"}, "household_id": hh, "relationship": "other",
		}, []registry.UnitRef{ba}},
		{"initial registration: household founded", "initial_registration", "", obj{
			"full_name": "Lê Thị Cúc", "birth_date": "1990-01-01", "sex": "female", "ethnicity": "01",
			"registration_place": obj{"province": "01"},
			"address":            obj{"province": "79", "commune": "26740", "address": "Số 5"},
		}, []registry.UnitRef{sg}},
		{"move: destination only", "permanent_residence_registration", wife, obj{
			"province": "79", "commune": "26740", "address": "Số 9",
		}, []registry.UnitRef{sg}},
		// The wife has just moved: she is placed where she lives now.
		{"other events: subject's permanent residence", "id_card_issued", wife, obj{}, []registry.UnitRef{sg}},
		{"death: residence before the event", "death", wife, obj{}, []registry.UnitRef{sg}},
		{"marriage is placed at the subject", "divorce", husband, obj{}, []registry.UnitRef{ba}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, _ := json.Marshal(tc.data)
			outboxBefore, _ := w.store.Outbox(w.ctx, 0, 10000)
			var got []registry.UnitRef
			refuse := errors.New("refused")
			_, err := w.reg.Submit(w.ctx, registry.Submission{
				Event: registry.Event{Type: tc.typ, Subject: tc.subject, EffectiveDate: registry.MustParseDate("2026-02-01"),
					Reason: "test", Data: raw},
				Actor: "registrar",
				Authorize: func(targets []registry.UnitRef) error {
					got = slices.Clone(targets)
					return refuse
				},
			})
			wantKind(t, err, registry.Forbidden, "")
			if !slices.Equal(got, tc.want) {
				t.Errorf("targets = %v, want %v", got, tc.want)
			}
			outboxAfter, _ := w.store.Outbox(w.ctx, 0, 10000)
			if len(outboxAfter) != len(outboxBefore) {
				t.Errorf("a refused event wrote %d outbox rows", len(outboxAfter)-len(outboxBefore))
			}
			// Accepted, the same event is applied.
			_, err = w.reg.Submit(w.ctx, registry.Submission{
				Event: registry.Event{Type: tc.typ, Subject: tc.subject, EffectiveDate: registry.MustParseDate("2026-02-01"),
					Reason: "test", Data: raw},
				Actor:     "registrar",
				Authorize: func([]registry.UnitRef) error { return nil },
			})
			if err != nil && tc.typ != "divorce" {
				t.Fatalf("accepted event: %v", err)
			}
		})
	}
}

package linkage_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/dancu/dancu/internal/match/linkage"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// screenStore is what the screen test needs of a backend.
type screenStore interface {
	store.Registry
	linkage.Store
}

// TestScreen_registration registers a person, then the same person again
// with another spelling, on each backend: the second registration is
// refused with the first as candidate, goes ahead once the registrar
// declares another person, and leaves the pair in the review queue.
func TestScreen_registration(t *testing.T) {
	ctx := context.Background()
	backends := map[string]func(t *testing.T) screenStore{
		"sqlite": func(t *testing.T) screenStore {
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(t *testing.T) screenStore {
			if os.Getenv(pgtest.EnvVar) == "" {
				t.Skip(pgtest.EnvVar + " not set")
			}
			st, err := postgres.Open(ctx, pgtest.NewDSN(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			reg := registry.New(st, registry.WithScreen(linkage.NewScreen(linkage.NewService(st), slog.New(slog.DiscardHandler))))
			submit := func(id, name string, extra map[string]any) (*registry.Result, error) {
				d := map[string]any{
					"full_name": name, "birth_date": "1985-03-02", "sex": "female", "ethnicity": "01",
					"registration_place": map[string]string{"province": "01"},
					"address":            map[string]string{"province": "01", "commune": "00004", "address": "Số 1 phố Đội Cấn"},
				}
				for k, v := range extra {
					d[k] = v
				}
				data, _ := json.Marshal(d)
				return reg.Submit(ctx, registry.Submission{Actor: "registrar", Event: registry.Event{ID: id,
					Type: "initial_registration", EffectiveDate: registry.MustParseDate("2025-08-01"), Reason: "test", Data: data}})
			}
			first, err := submit("e1", "Nguyễn Thị Thanh Thủy", nil)
			if err != nil {
				t.Fatalf("first registration: %v", err)
			}
			before, _ := st.CountPersons(ctx)

			_, err = submit("e2", "Nguyen Thi Thanh Thuy", nil)
			var re *registry.Error
			if !errors.As(err, &re) || re.Kind != registry.Conflict || re.Field != "data.confirm_not_duplicate" {
				t.Fatalf("second registration: %v, want a conflict on data.confirm_not_duplicate", err)
			}
			if len(re.Duplicates) != 1 || re.Duplicates[0].PIN != first.PIN || re.Duplicates[0].Probability < 0.5 ||
				re.Duplicates[0].Residence != (registry.UnitRef{Province: "01", Commune: "00004"}) {
				t.Fatalf("candidates %+v, want the first registration's person", re.Duplicates)
			}
			if after, _ := st.CountPersons(ctx); after != before {
				t.Fatalf("a refused registration wrote: %d people, want %d", after, before)
			}
			if _, err := st.Event(ctx, "e2"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a refused registration recorded its event: %v", err)
			}

			// A declaration needs its reason.
			_, err = submit("e3", "Nguyen Thi Thanh Thuy", map[string]any{"confirm_not_duplicate": true})
			if registry.KindOf(err) != registry.Invalid {
				t.Fatalf("confirmation without reason: %v, want invalid", err)
			}

			res, err := submit("e4", "Nguyen Thi Thanh Thuy", map[string]any{"confirm_not_duplicate": true,
				"not_duplicate_reason": "Checked in person: another woman, same name and birthday"})
			if err != nil {
				t.Fatalf("confirmed registration: %v", err)
			}
			ev, err := st.Event(ctx, "e4")
			if err != nil {
				t.Fatal(err)
			}
			var recorded registry.Event
			if err := json.Unmarshal(ev.Request, &recorded); err != nil {
				t.Fatal(err)
			}
			var d struct {
				Confirm bool   `json:"confirm_not_duplicate"`
				Reason  string `json:"not_duplicate_reason"`
			}
			if err := json.Unmarshal(recorded.Data, &d); err != nil || !d.Confirm || d.Reason == "" {
				t.Fatalf("the event records %s, want the declaration", recorded.Data)
			}
			a, b := first.PIN, res.PIN
			if b < a {
				a, b = b, a
			}
			c, err := st.DuplicateCandidate(ctx, a, b)
			if err != nil || c.Source != linkage.SourceRegistration || c.Status != store.DuplicateOpen {
				t.Fatalf("queued pair %+v, %v; want an open pair from the registration", c, err)
			}
			var evidence []map[string]any
			if err := json.Unmarshal(c.Evidence, &evidence); err != nil || len(evidence) != int(linkage.NumFields) {
				t.Errorf("evidence %s: %v", c.Evidence, err)
			}

			// Someone else is registered without a question.
			if _, err := submit("e5", "Lê Văn Tám", map[string]any{"sex": "male", "birth_date": "1970-01-01"}); err != nil {
				t.Fatalf("unrelated registration: %v", err)
			}
		})
	}
}

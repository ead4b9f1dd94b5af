package linkage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/match/compare"
	"github.com/dancu/dancu/internal/match/linkage"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

func allExact() linkage.Vector {
	var v linkage.Vector
	for f := range linkage.NumFields {
		v[f] = compare.Exact
	}
	return v
}

func TestMFromKnown(t *testing.T) {
	ref := linkage.ReferenceModel().M
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

	t.Run("no known duplicates keeps the prior", func(t *testing.T) {
		got := linkage.MFromKnown(nil, ref, linkage.KnownPriorPairs)
		for f := range linkage.NumFields {
			var sum float64
			for l := compare.Different; l < compare.NumLevels; l++ {
				sum += ref[f][l]
			}
			for l := compare.Different; l < compare.NumLevels; l++ {
				if want := max(ref[f][l]/sum, 1e-4); !near(got[f][l], want) {
					t.Errorf("m[%s][%s] = %v, want %v", f, l, got[f][l], want)
				}
			}
		}
	})

	t.Run("counts move m, missing values do not", func(t *testing.T) {
		var known []linkage.Vector
		for i := range 1000 {
			v := allExact()
			v[linkage.Phone] = compare.Different // a new phone number since the first registration
			if i%10 == 0 {
				v[linkage.Phone] = compare.Exact
			}
			v[linkage.Father] = compare.Missing
			known = append(known, v)
		}
		got := linkage.MFromKnown(known, ref, 100)
		var sum float64
		for l := compare.Different; l < compare.NumLevels; l++ {
			sum += ref[linkage.Phone][l]
		}
		want := (900 + 100*ref[linkage.Phone][compare.Different]/sum) / 1100
		if !near(got[linkage.Phone][compare.Different], want) {
			t.Errorf("m[phone][different] = %v, want %v", got[linkage.Phone][compare.Different], want)
		}
		if got[linkage.Phone][compare.Different] < 0.8 {
			t.Errorf("m[phone][different] = %v: 90%% of the known duplicates differ", got[linkage.Phone][compare.Different])
		}
		var fsum float64
		for l := compare.Different; l < compare.NumLevels; l++ {
			fsum += ref[linkage.Father][l]
		}
		for l := compare.Different; l < compare.NumLevels; l++ {
			if want := max(ref[linkage.Father][l]/fsum, 1e-4); !near(got[linkage.Father][l], want) {
				t.Errorf("m[father][%s] = %v moved without evidence (prior %v)", l, got[linkage.Father][l], want)
			}
		}
		for f := range linkage.NumFields {
			var s float64
			for l := compare.Different; l < compare.NumLevels; l++ {
				s += got[f][l]
			}
			if math.Abs(s-1) > 1e-3 {
				t.Errorf("m[%s] sums to %v", f, s)
			}
		}
	})
}

// TestService_Batch_knownDuplicates: a batch over the registry estimates m
// from the pairs registrars merged (and only those), saves it, and the
// check of one record then uses it.
func TestService_Batch_knownDuplicates(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := registry.New(st)
	for i, name := range []string{"Nguyễn Thị Thanh Thủy", "Trần Văn Bình", "Lê Văn Tám", "Phạm Thị Hoa"} {
		data, _ := json.Marshal(map[string]any{
			"full_name": name, "birth_date": fmt.Sprintf("198%d-03-02", i), "sex": "female", "ethnicity": "01",
			"registration_place": map[string]string{"province": "01"},
			"address":            map[string]string{"province": "01", "commune": "00004", "address": "Số 1 phố Đội Cấn"},
		})
		if _, err := reg.Submit(ctx, registry.Submission{Actor: "test", Event: registry.Event{
			Type: "initial_registration", EffectiveDate: registry.MustParseDate("2025-08-01"), Reason: "test", Data: data}}); err != nil {
			t.Fatal(err)
		}
	}
	ref := linkage.ReferenceModel()
	put := func(n int, phone compare.Level, status string) {
		var cs []store.DuplicateCandidate
		for i := range n {
			v := allExact()
			v[linkage.Phone] = phone
			ev, _ := json.Marshal(ref.Evidence(v))
			cs = append(cs, store.DuplicateCandidate{PINA: fmt.Sprintf("%s%07d", status[:1], i), PINB: fmt.Sprintf("z%s%07d", status[:1], i),
				Weight: 30, Probability: 0.99, Evidence: ev, Source: linkage.SourceBatch, Status: store.DuplicateOpen, FoundAt: time.Now()})
		}
		if _, err := st.PutDuplicateCandidates(ctx, cs); err != nil {
			t.Fatal(err)
		}
		if status == store.DuplicateOpen {
			return
		}
		for _, c := range cs {
			if err := st.DecideDuplicateCandidate(ctx, c.PINA, c.PINB, status, "registrar", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 1,200 merged pairs (more than a page of the queue), all with another
	// phone; open and dismissed pairs with the same phone, which must not
	// count.
	put(1200, compare.Different, store.DuplicateMerged)
	put(300, compare.Exact, store.DuplicateOpen)
	put(300, compare.Exact, store.DuplicateDismissed)
	// One merged pair whose evidence is not a vector.
	if _, err := st.PutDuplicateCandidates(ctx, []store.DuplicateCandidate{{PINA: "x1", PINB: "x2", Weight: 1, Probability: 0.6,
		Evidence: []byte(`[{"field":"surname","level":"exact"}]`), Source: linkage.SourceBatch, Status: store.DuplicateOpen, FoundAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := st.DecideDuplicateCandidate(ctx, "x1", "x2", store.DuplicateMerged, "registrar", time.Now()); err != nil {
		t.Fatal(err)
	}

	svc := linkage.NewService(st)
	rep, err := svc.Batch(ctx, linkage.Options{}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Known != 1200 || rep.KnownSkipped != 1 {
		t.Fatalf("known = %d, skipped %d; want 1200 and 1", rep.Known, rep.KnownSkipped)
	}
	got, err := svc.Model(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	m := got.M[linkage.Phone][compare.Different]
	if m < 0.9 || m <= ref.M[linkage.Phone][compare.Different] {
		t.Errorf("saved m[phone][different] = %v (reference %v), want above 0.9 from 1,200 merged pairs with another phone",
			m, ref.M[linkage.Phone][compare.Different])
	}
	// Fields the merged pairs agree on keep m near the top level.
	if got.M[linkage.Surname][compare.Exact] < 0.9 {
		t.Errorf("m[surname][exact] = %v, want at least 0.9", got.M[linkage.Surname][compare.Exact])
	}
}

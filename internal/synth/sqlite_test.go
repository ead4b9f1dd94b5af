package synth

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// TestGenerate_sqlite loads a small population into SQLite and reads it
// back through the registry, end to end.
func TestGenerate_sqlite(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	o := Options{Citizens: 3000, Seed: 11}
	st, err := Generate(ctx, s, o)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if n, err := s.CountPersons(ctx); err != nil || n != int64(o.Citizens) {
		t.Fatalf("CountPersons = %d, %v; want %d", n, err, o.Citizens)
	}
	if _, err := Generate(ctx, s, o); err == nil {
		t.Error("a second Generate into the same store succeeded")
	}
	want := generated(t, o)
	reg := registry.New(s)
	checked := 0
	for _, id := range want.sortedPINs() {
		if checked == 200 {
			break
		}
		checked++
		rec, err := reg.Person(ctx, id, registry.Date{})
		if err != nil {
			t.Fatalf("Person: %v", err)
		}
		if vs := want.persons[id]; rec.Version != int64(len(vs)) || rec.Person.FullName != want.current[id].FullName {
			t.Errorf("person %s: version %d, want %d", id, rec.Version, len(vs))
		}
		hist, err := reg.History(ctx, id)
		if err != nil || len(hist) != len(want.persons[id]) {
			t.Errorf("history of %s: %d versions, %v", id, len(hist), err)
		}
		if hid := rec.Person.HouseholdID; hid != "" {
			h, err := reg.Household(ctx, hid)
			if err != nil || h.Household.Member(id) < 0 {
				t.Errorf("household of %s: %v", id, err)
			}
		}
	}
	if st.People != o.Citizens {
		t.Errorf("stats %+v", st)
	}
}

// BenchmarkGenerateSQLite measures the whole `dancu generate` pipeline into
// a fully indexed SQLite file: generation, encoding, loading and the index
// build at the loader's Close. Opening and closing the store are left out.
func BenchmarkGenerateSQLite(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	var people int
	var spent time.Duration
	var cpu int64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "dancu.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuTime()
		st, err := Generate(ctx, s, Options{Citizens: n, Seed: uint64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		spent += st.Elapsed
		people += st.People
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(people)/spent.Seconds(), "people/s")
	b.ReportMetric(float64(cpu)/float64(people), "cpu-ns/person")
}

package sealed_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sealed"
	"github.com/dancu/dancu/internal/store/sealed/sealedtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

const benchPeople = 20_000

// benchBatch is benchPeople people with a 950-byte document each (the
// synthetic population's mean), in one loader batch.
func benchBatch() (store.Batch, []string) {
	doc := []byte(fmt.Sprintf(`{"religion":"none","pad":"%0940d"}`, 0))
	var b store.Batch
	var pins []string
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range benchPeople {
		pin := fmt.Sprintf("079190%06d", i)
		pins = append(pins, pin)
		b.Persons = append(b.Persons, store.PersonVersion{
			PersonRow: store.PersonRow{PIN: pin, Version: 1, NameKey: "nguyen van an", NameFold: "nguyễn văn an",
				BirthYear: 1990, BirthDate: "1990-01-01", Sex: "male", Province: "79", Commune: "26734", State: "alive",
				HouseholdID: "H1", Data: doc},
			Change: store.Change{EventID: "e", EventType: "birth_registration", Actor: "generator", ValidFrom: "1990-01-01", RecordedAt: at}})
	}
	return b, pins
}

// BenchmarkSealedSQLite compares a plain and a sealed SQLite store in one
// run: a bulk load (people per second) and a read of a person by PIN, the
// two paths encryption at rest sits on.
func BenchmarkSealedSQLite(b *testing.B) {
	batch, pins := benchBatch()
	ctx := context.Background()
	for _, sealedStore := range []bool{false, true} {
		name := "plain"
		if sealedStore {
			name = "sealed"
		}
		open := func(b *testing.B) store.Store {
			backend, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "dancu.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { backend.Close() })
			if sealedStore {
				return sealedtest.Wrap(b, backend)
			}
			return backend
		}
		b.Run("load/"+name, func(b *testing.B) {
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				st := open(b)
				b.StartTimer()
				start := time.Now()
				load(b, st, batch)
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(benchPeople*b.N)/elapsed.Seconds(), "people/s")
		})
		b.Run("person/"+name, func(b *testing.B) {
			st := open(b)
			load(b, st, batch)
			r := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				if _, err := st.Person(ctx, pins[r.IntN(len(pins))]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// load bulk-loads batch into st.
func load(b *testing.B, st store.Store, batch store.Batch) {
	b.Helper()
	ctx := context.Background()
	l, err := st.NewLoader(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := l.Load(ctx, batch); err != nil {
		b.Fatal(err)
	}
	if err := l.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReseal measures the re-seal pass over benchPeople people stored
// in clear (documents per second), on SQLite and, with
// DANCU_TEST_POSTGRES, PostgreSQL, with the default batch of 500 and with
// 2,000 side by side.
func BenchmarkReseal(b *testing.B) {
	batch, _ := benchBatch()
	ctx := context.Background()
	backends := map[string]func(b *testing.B) store.Store{
		"sqlite": func(b *testing.B) store.Store {
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "dancu.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) store.Store {
			s, err := postgres.Open(ctx, pgtest.NewDSN(b))
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		for _, size := range []int{500, 2000} {
			b.Run(fmt.Sprintf("%s/batch=%d", name, size), func(b *testing.B) {
				var elapsed time.Duration
				var docs int64
				for range b.N {
					b.StopTimer()
					backend := backends[name](b)
					load(b, backend, batch)
					st := sealedtest.Wrap(b, backend)
					b.StartTimer()
					start := time.Now()
					res, err := st.Reseal(ctx, sealed.ResealOptions{Batch: size})
					elapsed += time.Since(start)
					if err != nil || res.Resealed != benchPeople {
						b.Fatalf("reseal = %+v, %v", res, err)
					}
					docs += res.Resealed
					b.StopTimer()
					backend.Close()
				}
				b.ReportMetric(float64(docs)/elapsed.Seconds(), "docs/s")
			})
		}
	}
}

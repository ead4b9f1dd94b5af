package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
)

// Shape of the benchmark population: what `dancu generate` writes for a small
// country, two versions per person (birth, then an ID card) and a household
// for every four people.
const (
	benchPersons   = 100_000
	benchBatch     = 10_000
	benchDocBytes  = 600 // a registry document as JSON
	perHousehold   = 4
	benchSurnames  = "nguyen tran le pham hoang vu dang bui do ho ngo duong ly"
	benchGiven     = "an binh chi dung giang hoa khanh lan minh nam phuong quang son thuy tuan"
	benchMiddle    = "van thi duc ngoc minh thanh huu"
	benchProvinces = 63
)

// benchPopulation builds the batches once, so that the benchmarks time the
// database and not the generator.
func benchPopulation() []store.Batch {
	r := rand.New(rand.NewPCG(1, 2))
	sur, mid, giv := strings.Fields(benchSurnames), strings.Fields(benchMiddle), strings.Fields(benchGiven)
	doc := func(n int) []byte {
		b := make([]byte, benchDocBytes)
		for i := range b {
			b[i] = 'a' + byte((i*7+n)%26)
		}
		return b
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var batches []store.Batch
	for start := 0; start < benchPersons; start += benchBatch {
		var b store.Batch
		for i := start; i < start+benchBatch; i++ {
			year := 1930 + r.IntN(95)
			prov := fmt.Sprintf("%03d", 1+r.IntN(benchProvinces))
			pin := fmt.Sprintf("%s%d%02d%06d", prov, (year/100-19)*2+r.IntN(2), year%100, r.IntN(1_000_000))
			pin = pin[:6] + fmt.Sprintf("%06d", i) // unique, still spread over provinces
			name := sur[r.IntN(len(sur))] + " " + mid[r.IntN(len(mid))] + " " + giv[r.IntN(len(giv))]
			hh := fmt.Sprintf("HH%08d", i/perHousehold)
			v1 := store.PersonVersion{
				PersonRow: store.PersonRow{PIN: pin, Version: 1, NameKey: name, NameFold: name, BirthYear: year,
					BirthDate: fmt.Sprintf("%d-%02d-%02d", year, 1+r.IntN(12), 1+r.IntN(28)), Sex: "female",
					Province: prov[1:], Commune: fmt.Sprintf("%05d", r.IntN(30000)), State: "alive", HouseholdID: hh, Data: doc(i)},
				Change: store.Change{EventID: "birth-" + pin, EventType: "birth_registration", Actor: "generator",
					Reason: "synthetic", ValidFrom: fmt.Sprintf("%d-01-01", year), RecordedAt: at},
			}
			v2 := v1
			v2.Version, v2.Data = 2, doc(i+1)
			v2.EventID, v2.EventType, v2.ValidFrom = "card-"+pin, "id_card_issued", "2021-07-01"
			b.Persons = append(b.Persons, v1, v2)
			if i%perHousehold == 0 {
				b.Households = append(b.Households, store.HouseholdVersion{
					HouseholdRow: store.HouseholdRow{ID: hh, Version: 1, HeadPIN: pin, Province: v1.Province, Commune: v1.Commune, Data: doc(i)[:200]},
					Change:       v1.Change,
				})
			}
		}
		batches = append(batches, b)
	}
	return batches
}

// BenchmarkLoader loads the population into an empty registry through
// store.Loader, Close (and so the index builds) included.
func BenchmarkLoader(b *testing.B) {
	batches := benchPopulation()
	ctx := context.Background()
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		s, err := postgres.Open(ctx, pgtest.NewDSN(b))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		l, err := s.NewLoader(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, batch := range batches {
			if err := l.Load(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.Close(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(benchPersons*b.N)/elapsed.Seconds(), "persons/s")
}

// BenchmarkPlainCopy is the floor BenchmarkLoader is measured against: the
// same version rows COPYed into one table without keys, in the same batches,
// with one index built afterwards.
func BenchmarkPlainCopy(b *testing.B) {
	batches := benchPopulation()
	ctx := context.Background()
	cols := []string{"pin", "version", "name_key", "name_fold", "birth_year", "birth_date", "sex", "province",
		"commune", "state", "household_id", "data", "event_id", "event_type", "actor", "reason", "valid_from", "recorded_at"}
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		conn, err := pgx.Connect(ctx, pgtest.NewDSN(b))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `CREATE TABLE plain (pin text COLLATE "C", version bigint, name_key text COLLATE "C",
			name_fold text, birth_year integer, birth_date text, sex text, province text, commune text, state text,
			household_id text, data bytea, event_id text, event_type text, actor text, reason text, valid_from text,
			recorded_at timestamptz)`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		row := make([]any, len(cols))
		for _, batch := range batches {
			_, err := conn.CopyFrom(ctx, pgx.Identifier{"plain"}, cols, pgx.CopyFromSlice(len(batch.Persons), func(i int) ([]any, error) {
				v := &batch.Persons[i]
				row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11],
					row[12], row[13], row[14], row[15], row[16], row[17] =
					v.PIN, v.Version, v.NameKey, v.NameFold, v.BirthYear, v.BirthDate, v.Sex, v.Province, v.Commune,
					v.State, v.HouseholdID, v.Data, v.EventID, v.EventType, v.Actor, v.Reason, v.ValidFrom, v.RecordedAt
				return row, nil
			}))
			if err != nil {
				b.Fatal(err)
			}
		}
		if _, err := conn.Exec(ctx, `CREATE INDEX ON plain (pin, version)`); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		b.StopTimer()
		conn.Close(ctx)
		b.StartTimer()
	}
	b.ReportMetric(float64(benchPersons*b.N)/elapsed.Seconds(), "persons/s")
}

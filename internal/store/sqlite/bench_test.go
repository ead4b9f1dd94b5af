package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// The synthetic populations for the benchmarks: people in random PIN order
// (as a generator working household by household produces them), in batches
// of batchPersons (synth.ChunkSize).
//
//   - brief: two versions each (birth registration, then an ID card) of a
//     600-byte document, a household for every four people, no events.
//   - synth: the mix internal/synth emits, measured on 20,000 people: 1.5
//     versions per person of a 950-byte document, 0.28 households, 0.7
//     events per person with 500 bytes of request and result and two
//     subjects each.
const (
	benchPersons = 100_000
	batchPersons = 10_000
)

type shape struct {
	name       string
	docBytes   int
	versions2  int // per ten people, how many get a second version
	events     int // per ten people, how many have an event
	eventBytes int
}

var (
	shapeBrief = shape{name: "brief", docBytes: 600, versions2: 10}
	shapeSynth = shape{name: "synth", docBytes: 950, versions2: 5, events: 7, eventBytes: 500}
)

var (
	benchSurnames = []string{"nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do"}
	benchMiddles  = []string{"van", "thi", "duc", "minh", "ngoc", "thanh", "huu", "quang"}
	benchGiven    = []string{"an", "binh", "chi", "dung", "giang", "ha", "hoa", "hung", "lan", "linh", "mai", "nam", "phuong", "quan", "son", "thao", "thuy", "trang", "tuan", "yen"}
)

type population struct {
	batches []store.Batch
	pins    []string
	keys    []string
	// bytes is roughly what the loader stores per person: documents and
	// event bodies, plus 150 bytes for the other columns of each row.
	bytes int
}

func makePopulation(n int, sh shape) population {
	return makePopulationSeed(n, sh, 1, make(map[string]bool, n))
}

// makePopulationSeed makes n people whose PINs are not in seen, and adds
// them to it.
func makePopulationSeed(n int, sh shape, seed uint64, seen map[string]bool) population {
	r := rand.New(rand.NewPCG(seed, 2))
	var pop population
	doc := make([]byte, sh.docBytes)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch store.Batch
	var head string
	for i := 0; i < n; i++ {
		year := 1930 + r.IntN(96)
		var pin string
		for {
			pin = fmt.Sprintf("%03d%d%02d%06d", 1+r.IntN(96), (year-1900)/100*2+r.IntN(2), year%100, r.IntN(1_000_000))
			if !seen[pin] {
				seen[pin] = true
				break
			}
		}
		key := benchSurnames[r.IntN(len(benchSurnames))] + " " + benchMiddles[r.IntN(len(benchMiddles))] + " " + benchGiven[r.IntN(len(benchGiven))]
		hh := fmt.Sprintf("HH%d-%08d", seed, i/4)
		for j := range doc {
			doc[j] = 'a' + byte(r.IntN(26))
		}
		row := store.PersonRow{
			PIN: pin, Version: 1, NameKey: key, NameFold: key, BirthYear: year,
			BirthDate: fmt.Sprintf("%d-%02d-%02d", year, 1+r.IntN(12), 1+r.IntN(28)), Sex: "female",
			Province: fmt.Sprintf("%02d", 1+r.IntN(34)), Commune: fmt.Sprintf("%05d", r.IntN(30000)),
			State: "alive", HouseholdID: hh, Data: slices.Clone(doc),
		}
		v1 := store.PersonVersion{PersonRow: row, Change: store.Change{EventID: "birth-" + pin, EventType: "birth_registration",
			Actor: "generator", Reason: "synthetic", ValidFrom: row.BirthDate, RecordedAt: at}}
		batch.Persons = append(batch.Persons, v1)
		pop.bytes += 2*150 + len(v1.Data)
		if i%10 < sh.versions2 {
			v2 := v1
			v2.Version, v2.Data = 2, slices.Clone(doc[:len(doc)-50])
			v2.Change = store.Change{EventID: "card-" + pin, EventType: "id_card_issued", Actor: "generator",
				Reason: "synthetic", ValidFrom: "2021-07-01", RecordedAt: at}
			batch.Persons = append(batch.Persons, v2)
			pop.bytes += 150 + len(v2.Data)
		}
		if i%4 == 0 {
			head = pin
			batch.Households = append(batch.Households, store.HouseholdVersion{
				HouseholdRow: store.HouseholdRow{ID: hh, Version: 1, HeadPIN: pin, Province: row.Province, Commune: row.Commune, Data: []byte(`{"members":4}`)},
				Change:       v1.Change,
			})
			pop.bytes += 2 * 150
		}
		if i%10 < sh.events {
			batch.Events = append(batch.Events, store.EventRow{ID: fmt.Sprintf("birth-%d-%s", seed, pin), Type: "birth_registration", Actor: "generator",
				EffectiveDate: row.BirthDate, RecordedAt: at, Subjects: []string{pin, head},
				Request: doc[:sh.eventBytes*3/5], Result: doc[:sh.eventBytes*2/5]})
			pop.bytes += 150 + sh.eventBytes + 2*30
		}
		pop.pins = append(pop.pins, pin)
		pop.keys = append(pop.keys, key)
		if (i+1)%batchPersons == 0 {
			pop.batches = append(pop.batches, batch)
			batch = store.Batch{}
		}
	}
	if len(batch.Persons) > 0 {
		pop.batches = append(pop.batches, batch)
	}
	return pop
}

func load(tb testing.TB, s *Store, pop population) {
	ctx := context.Background()
	l, err := s.NewLoader(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range pop.batches {
		if err := l.Load(ctx, b); err != nil {
			tb.Fatal(err)
		}
	}
	if err := l.Close(ctx); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkLoader loads benchPersons people into an empty store, building the
// indexes at Close, and reports people per second.
func BenchmarkLoader(b *testing.B) {
	for _, sh := range []shape{shapeBrief, shapeSynth} {
		b.Run("shape="+sh.name, func(b *testing.B) {
			pop := makePopulation(benchPersons, sh)
			var elapsed, cpu time.Duration
			for range b.N {
				b.StopTimer()
				s := openTest(b)
				b.StartTimer()
				start, cpu0 := time.Now(), cpuTime()
				load(b, s, pop)
				elapsed += time.Since(start)
				cpu += cpuTime() - cpu0
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			reportRate(b, benchPersons*b.N, elapsed, cpu)
		})
	}
}

// BenchmarkPlainInsert is the yardstick for BenchmarkLoader: the same number
// of people, each as one plain row as wide as everything the loader stores
// for a person (population.bytes), inserted one row per statement in key
// order in transactions of batchPersons, with one secondary index built
// afterwards. It is about as fast as SQLite takes that many bytes through
// database/sql, on the same connection settings.
func BenchmarkPlainInsert(b *testing.B) {
	for _, sh := range []shape{shapeBrief, shapeSynth} {
		b.Run("shape="+sh.name, func(b *testing.B) { benchPlainInsert(b, sh) })
	}
}

func benchPlainInsert(b *testing.B, sh shape) {
	pop := makePopulation(benchPersons, sh)
	type plain struct {
		pin, key string
		data     []byte
	}
	width := pop.bytes / len(pop.pins)
	rows := make([]plain, len(pop.pins))
	for i, pin := range pop.pins {
		// 12 bytes of PIN and about 15 of name key are part of the width.
		rows[i] = plain{pin: pin, key: pop.keys[i], data: make([]byte, width-27)}
	}
	slices.SortFunc(rows, func(a, b plain) int { return strings.Compare(a.pin, b.pin) })
	ctx := context.Background()
	var elapsed, cpu time.Duration
	for range b.N {
		b.StopTimer()
		s := openTest(b)
		if _, err := s.w.ExecContext(ctx, `CREATE TABLE plain (pin TEXT NOT NULL PRIMARY KEY, name_key TEXT NOT NULL, data BLOB)`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		conn, err := s.w.Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
			b.Fatal(err)
		}
		st, err := conn.PrepareContext(ctx, "INSERT INTO plain (pin, name_key, data) VALUES (?, ?, ?)")
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(rows); i += batchPersons {
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			ins := tx.StmtContext(ctx, st)
			for _, r := range rows[i:min(i+batchPersons, len(rows))] {
				if _, err := ins.ExecContext(ctx, r.pin, r.key, r.data); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "CREATE INDEX plain_name ON plain (name_key)"); err != nil {
			b.Fatal(err)
		}
		conn.Close()
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	reportRate(b, len(rows)*b.N, elapsed, cpu)
	b.ReportMetric(float64(width), "bytes/person")
}

// reportRate reports people per second of wall time, and the process's CPU
// time (user and system, all threads) per person, which a busy machine
// disturbs less than the wall clock.
func reportRate(b *testing.B, people int, elapsed, cpu time.Duration) {
	b.ReportMetric(float64(people)/elapsed.Seconds(), "persons/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(people), "cpu-ns/person")
}

// loadedStore is a store holding benchPersons people, built once per test
// binary run and shared by the read benchmarks.
func loadedStore(b *testing.B) (*Store, population) {
	b.Helper()
	pop := makePopulation(benchPersons, shapeSynth)
	s := openTest(b)
	load(b, s, pop)
	return s, pop
}

// cpuPerOp reports the process's CPU time per operation when the benchmark
// function returns; call it first, with defer.
func cpuPerOp(b *testing.B) func() {
	c0 := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkPerson(b *testing.B) {
	s, pop := loadedStore(b)
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		defer cpuPerOp(b)()
		r := rand.New(rand.NewPCG(3, 4))
		for b.Loop() {
			if _, err := s.Person(ctx, pop.pins[r.IntN(len(pop.pins))]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		defer cpuPerOp(b)()
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 4))
			for pb.Next() {
				if _, err := s.Person(ctx, pop.pins[r.IntN(len(pop.pins))]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("history", func(b *testing.B) {
		defer cpuPerOp(b)()
		r := rand.New(rand.NewPCG(3, 4))
		for b.Loop() {
			if _, err := s.PersonHistory(ctx, pop.pins[r.IntN(len(pop.pins))]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("search_name_page", func(b *testing.B) {
		defer cpuPerOp(b)()
		r := rand.New(rand.NewPCG(3, 4))
		for b.Loop() {
			// Surname and middle name: a few thousand matches, one page.
			key := pop.keys[r.IntN(len(pop.keys))]
			key = key[:strings.LastIndexByte(key, ' ')]
			if _, err := s.SearchPersons(ctx, store.PersonQuery{NameKey: key, Limit: 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("update", func(b *testing.B) {
		defer cpuPerOp(b)()
		r := rand.New(rand.NewPCG(5, 6))
		for b.Loop() {
			pin := pop.pins[r.IntN(len(pop.pins))]
			err := s.Update(ctx, func(tx store.Tx) error {
				cur, err := tx.Person(ctx, pin)
				if err != nil {
					return err
				}
				cur.Version++
				if err := tx.PutPerson(ctx, cur); err != nil {
					return err
				}
				return tx.AppendOutbox(ctx, store.OutboxRow{EventID: "e", EventType: "t", PIN: pin})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

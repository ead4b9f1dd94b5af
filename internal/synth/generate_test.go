package synth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/store"
)

// hashBatches runs the generator and hashes every row it emits, in order.
func hashBatches(t *testing.T, o Options) [32]byte {
	t.Helper()
	h := sha256.New()
	_, err := Batches(context.Background(), o, func(b store.Batch) error {
		for _, v := range b.Persons {
			hashPerson(h, v)
		}
		for _, v := range b.Households {
			hashStrings(h, v.ID, v.HeadPIN, v.Province, v.Commune, string(v.Data))
			hashChange(h, v.Change)
		}
		for _, e := range b.Events {
			hashStrings(h, e.ID, e.Type, e.Actor, e.Reason, e.EffectiveDate, e.RecordedAt.String(), string(e.Request), string(e.Result))
			hashStrings(h, e.Subjects...)
		}
		hashStrings(h, "end of batch")
		return nil
	})
	if err != nil {
		t.Fatalf("Batches: %v", err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func hashPerson(h hash.Hash, v store.PersonVersion) {
	hashStrings(h, v.PIN, v.NameKey, v.NameFold, v.BirthDate, v.Sex, v.Province, v.Commune, v.State, v.HouseholdID, string(v.Data))
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], uint64(v.Version))
	binary.LittleEndian.PutUint64(b[8:], uint64(v.BirthYear))
	h.Write(b[:])
	hashChange(h, v.Change)
}

func hashChange(h hash.Hash, c store.Change) {
	hashStrings(h, c.EventID, c.EventType, c.Actor, c.Reason, c.ValidFrom, c.RecordedAt.String())
}

func hashStrings(h hash.Hash, ss ...string) {
	var n [8]byte
	for _, s := range ss {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
}

func TestBatches_deterministic(t *testing.T) {
	const n = 2*ChunkSize + 1234 // three chunks, the last one short
	base := hashBatches(t, Options{Citizens: n, Seed: 42, Workers: 1})
	tests := []struct {
		name string
		o    Options
		same bool
	}{
		{"same seed, three workers", Options{Citizens: n, Seed: 42, Workers: 3}, true},
		{"same seed, default workers", Options{Citizens: n, Seed: 42}, true},
		{"same seed, explicit default now", Options{Citizens: n, Seed: 42, Workers: 2, Now: DefaultNow}, true},
		{"other seed", Options{Citizens: n, Seed: 43, Workers: 2}, false},
		{"other day", Options{Citizens: n, Seed: 42, Workers: 2, Now: DefaultNow.AddDate(0, 1, 0)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hashBatches(t, tt.o)
			if (got == base) != tt.same {
				t.Errorf("hash equal to the base run: %v, want %v", got == base, tt.same)
			}
		})
	}
}

func TestAllocator_resolvesCollisionsInOrder(t *testing.T) {
	// Every candidate is the same number: all but the first must be
	// redrawn, the same way each time.
	same := pin.MustParse("079085000001")
	mk := func() []*chunk {
		var cs []*chunk
		for i := range 3 {
			c := &chunk{index: i, people: make([]person, 500), households: make([]hh, 7)}
			for k := range c.people {
				c.people[k].pin = same
			}
			cs = append(cs, c)
		}
		return cs
	}
	run := func() []string {
		a := newAllocator(9, 10)
		var out []string
		for _, c := range mk() {
			a.assign(c)
			for _, p := range c.people {
				out = append(out, p.pin.String())
			}
		}
		if a.redrawn < 1499 {
			t.Errorf("redrawn %d candidates, want at least 1499", a.redrawn)
		}
		return out
	}
	first, second := run(), run()
	seen := map[string]bool{}
	for i, s := range first {
		if seen[s] {
			t.Fatalf("PIN %s assigned twice", s)
		}
		seen[s] = true
		if s != second[i] {
			t.Fatalf("person %d: %s, then %s: allocation is not deterministic", i, s, second[i])
		}
		p := pin.MustParse(s)
		if err := pin.Check(p, 1985, pin.Male, "079"); err != nil {
			t.Fatalf("redrawn PIN %s changed its meaning: %v", s, err)
		}
	}
	if first[0] != same.String() {
		t.Errorf("the first candidate was redrawn")
	}
}

func TestPinSet(t *testing.T) {
	s := newPinSet(1)
	for v := uint64(1); v <= 5000; v++ {
		if !s.add(v * 7919) {
			t.Fatalf("add(%d) reported a duplicate", v*7919)
		}
	}
	for v := uint64(1); v <= 5000; v++ {
		if s.add(v * 7919) {
			t.Fatalf("add(%d) again reported new", v*7919)
		}
	}
}

// fakeRegistry is a store.Registry with a person count and a loader that
// keeps what it is given. Other methods are not used by Generate.
type fakeRegistry struct {
	store.Registry
	count   int64
	batches []store.Batch
	failAt  int
	closed  bool
}

func (f *fakeRegistry) CountPersons(context.Context) (int64, error) { return f.count, nil }

func (f *fakeRegistry) NewLoader(context.Context) (store.Loader, error) { return f, nil }

var errLoad = errors.New("load failed")

func (f *fakeRegistry) Load(_ context.Context, b store.Batch) error {
	if f.failAt > 0 && len(f.batches)+1 == f.failAt {
		return errLoad
	}
	f.batches = append(f.batches, b)
	return nil
}

func (f *fakeRegistry) Close(context.Context) error { f.closed = true; return nil }

func TestGenerate(t *testing.T) {
	var calls []int
	f := &fakeRegistry{}
	o := Options{Citizens: 2*ChunkSize + 10, Seed: 5, Progress: func(done, total int) {
		if total != 2*ChunkSize+10 {
			t.Errorf("progress total %d", total)
		}
		calls = append(calls, done)
	}}
	st, err := Generate(context.Background(), f, o)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if !f.closed {
		t.Error("loader not closed")
	}
	if len(f.batches) != 3 {
		t.Errorf("%d batches, want 3", len(f.batches))
	}
	if st.People != o.Citizens || st.Households == 0 || st.Versions < st.People || st.Elapsed <= 0 {
		t.Errorf("stats %+v", st)
	}
	if len(calls) == 0 || calls[len(calls)-1] != o.Citizens {
		t.Errorf("progress calls %v: want the total last", calls)
	}
	var people int
	for _, b := range f.batches {
		for _, v := range b.Persons {
			if v.Version == 1 {
				people++
			}
		}
	}
	if people != o.Citizens {
		t.Errorf("%d people loaded, want %d", people, o.Citizens)
	}
}

func TestGenerate_errors(t *testing.T) {
	tests := []struct {
		name string
		f    *fakeRegistry
		o    Options
		want string
	}{
		{"store not empty", &fakeRegistry{count: 3}, Options{Citizens: 10}, "already holds 3 people"},
		{"no citizens", &fakeRegistry{}, Options{}, "must be positive"},
		{"negative workers", &fakeRegistry{}, Options{Citizens: 10, Workers: -1}, "must not be negative"},
		{"before the reform", &fakeRegistry{}, Options{Citizens: 10, Now: time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)}, "2025-07-01"},
		{"load fails", &fakeRegistry{failAt: 2}, Options{Citizens: 3 * ChunkSize}, errLoad.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(context.Background(), tt.f, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Generate error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBatches_cancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := Batches(ctx, Options{Citizens: 10 * ChunkSize, Seed: 1}, func(store.Batch) error {
		n++
		if n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Batches after cancel: %v, want context.Canceled", err)
	}
}

func TestBatches_eventsInDateOrder(t *testing.T) {
	_, err := Batches(context.Background(), Options{Citizens: ChunkSize + 500, Seed: 3}, func(b store.Batch) error {
		for i := 1; i < len(b.Events); i++ {
			if b.Events[i].EffectiveDate < b.Events[i-1].EffectiveDate {
				t.Fatalf("event %d on %s after one on %s", i, b.Events[i].EffectiveDate, b.Events[i-1].EffectiveDate)
			}
		}
		if len(b.Events) == 0 || b.Events[0].Type != evInitial {
			t.Errorf("a batch does not start with the initial registrations")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

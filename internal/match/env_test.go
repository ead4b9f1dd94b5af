package match

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/synth"
)

// backends opens an empty store of each available kind: SQLite always,
// PostgreSQL when DANCU_TEST_POSTGRES is set.
func backends(t testing.TB) map[string]store.Store {
	out := map[string]store.Store{}
	s, err := sqlite.Open(context.Background(), t.TempDir()+"/d.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	out["sqlite"] = s
	if os.Getenv(pgtest.EnvVar) != "" {
		p, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		out["postgres"] = p
	}
	return out
}

// population is a generated registry and its people, read back.
type population struct {
	st     store.Store
	people []registry.Person // sorted by PIN
}

// populate fills st with n synthetic people (seed 1) and reads them back.
func populate(t testing.TB, st store.Store, n int) *population {
	t.Helper()
	ctx := context.Background()
	if _, err := synth.Generate(ctx, st, synth.Options{Citizens: n, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(st)
	p := &population{st: st}
	after := ""
	for {
		rows, err := st.SearchPersons(ctx, store.PersonQuery{AfterPIN: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			rec, err := reg.Person(ctx, r.PIN, registry.Date{})
			if err != nil {
				t.Fatal(err)
			}
			p.people = append(p.people, *rec.Person)
		}
		after = rows[len(rows)-1].PIN
	}
	slices.SortFunc(p.people, func(a, b registry.Person) int { return cmpStr(a.PIN, b.PIN) })
	return p
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// find returns the first person satisfying ok.
func (p *population) find(t testing.TB, ok func(*registry.Person) bool) *registry.Person {
	t.Helper()
	for i := range p.people {
		if ok(&p.people[i]) {
			return &p.people[i]
		}
	}
	t.Fatal("no such person in the test population")
	return nil
}

// sharedPop is one SQLite population for the tests that only read it.
var sharedPop struct {
	once sync.Once
	pop  *population
	err  error
}

func sqlitePopulation(t testing.TB) *population {
	t.Helper()
	sharedPop.once.Do(func() {
		dir, err := os.MkdirTemp("", "dancu-match-")
		if err != nil {
			sharedPop.err = err
			return
		}
		s, err := sqlite.Open(context.Background(), dir+"/d.db")
		if err != nil {
			sharedPop.err = err
			return
		}
		sharedPop.pop = populate(t, s, 3000)
	})
	if sharedPop.err != nil {
		t.Fatal(sharedPop.err)
	}
	return sharedPop.pop
}

package match

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/match/testbed"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// grantsFake holds grants in memory.
type grantsFake map[string]*exchange.Grant

func (g grantsFake) Grant(_ context.Context, agency, purpose string) (*exchange.Grant, error) {
	if x, ok := g[agency+"/"+purpose]; ok {
		return x, nil
	}
	return nil, store.ErrNotFound
}

// loadPeople writes people to st as version 1.
func loadPeople(t testing.TB, st store.Store, people []*registry.Person) {
	t.Helper()
	ctx := context.Background()
	l, err := st.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	flush := func() {
		if len(b.Persons) == 0 {
			return
		}
		if err := l.Load(ctx, b); err != nil {
			t.Fatal(err)
		}
		b = store.Batch{}
	}
	for _, p := range people {
		row, err := registry.PersonRow(p, 1)
		if err != nil {
			t.Fatal(err)
		}
		b.Persons = append(b.Persons, store.PersonVersion{PersonRow: row, Change: store.Change{EventID: "load-" + p.PIN,
			EventType: "initial_registration", Actor: "test", Reason: "test bed", ValidFrom: "2020-01-01",
			RecordedAt: time.Now().UTC()}})
		if len(b.Persons) == 5000 {
			flush()
		}
	}
	flush()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// quality is what verification said about a test bed's claims.
type quality struct {
	claims, same, matched, truePos, falsePos int
}

func (q quality) precision() float64 {
	if q.matched == 0 {
		return 1
	}
	return float64(q.truePos) / float64(q.matched)
}

func (q quality) recall() float64 { return float64(q.truePos) / float64(q.same) }

// measure sends every claim through Service.Verify with strategy.
func measure(t testing.TB, svc *Service, claims []testbed.Claim, strategy string) quality {
	t.Helper()
	var q quality
	for _, c := range claims {
		a := c.Attributes
		req := Request{Agency: "bank", Client: "bank-sys", Purpose: "kyc", PIN: c.PIN, Strategy: strategy,
			Claim: Claim{FullName: a.FullName, BirthDate: a.BirthDate, Sex: a.Sex, Address: a.Address, Province: a.Province, Commune: a.Commune, Phone: a.Phone}}
		ans, err := svc.Verify(context.Background(), req)
		if err != nil {
			t.Fatalf("claim about %s: %v", c.PIN, err)
		}
		q.claims++
		if c.SamePerson {
			q.same++
		}
		if ans.Match {
			q.matched++
			if c.SamePerson {
				q.truePos++
			} else {
				q.falsePos++
			}
		}
	}
	return q
}

// testBedService is a Service over a store holding the test bed's people.
func testBedService(t testing.TB, people int) (*Service, []*registry.Person) {
	t.Helper()
	ctx := context.Background()
	ps, err := testbed.People(ctx, people, 11)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, t.TempDir()+"/bed.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loadPeople(t, st, ps)
	g := grantsFake{"bank/kyc": {Agency: "bank", Purpose: "kyc", DemographicCheck: true, Status: exchange.Active,
		MatchStrategies: []string{Exact, Partial}, PartialDailyLimit: 1 << 30}}
	svc, err := NewService(ctx, st, g, &audittest.Recorder{}, Options{Scorer: Comparators{}})
	if err != nil {
		t.Fatal(err)
	}
	return svc, ps
}

// TestService_quality measures precision and recall of both strategies on
// the corrupted test bed (package testbed) and holds them to the issue's
// targets: precision at least 99.9% for exact and partial at the default
// match value, recall of the true persons at least 98% with partial.
// DANCU_QUALITY_PEOPLE and DANCU_QUALITY_CLAIMS make it larger.
func TestService_quality(t *testing.T) {
	people, claims := envInt("DANCU_QUALITY_PEOPLE", 10000), envInt("DANCU_QUALITY_CLAIMS", 10000)
	if testing.Short() || raceEnabled {
		people, claims = 5000, 4000
	}
	svc, ps := testBedService(t, people)
	cs := testbed.Claims(ps, claims, 7, testbed.DefaultClaimMix)
	for _, tc := range []struct {
		strategy   string
		minRecall  float64
		minPrecise float64
	}{
		{Exact, 0, 0.999},
		{Partial, 0.98, 0.999},
	} {
		q := measure(t, svc, cs, tc.strategy)
		t.Logf("%s on %d people, %d claims (%d about the PIN's holder): precision %.5f (%d false matches), recall %.5f",
			tc.strategy, people, q.claims, q.same, q.precision(), q.falsePos, q.recall())
		if q.precision() < tc.minPrecise {
			t.Errorf("%s: precision %.5f < %.3f", tc.strategy, q.precision(), tc.minPrecise)
		}
		if q.recall() < tc.minRecall {
			t.Errorf("%s: recall %.5f < %.2f", tc.strategy, q.recall(), tc.minRecall)
		}
	}
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestService_qualityMisses(t *testing.T) {
	if os.Getenv("DANCU_QUALITY_DEBUG") == "" {
		t.Skip("set DANCU_QUALITY_DEBUG to list the partial strategy's misses by corruption")
	}
	svc, ps := testBedService(t, 20000)
	cs := testbed.Claims(ps, 20000, 7, testbed.DefaultClaimMix)
	missed := map[string]int{}
	byPIN := map[string]*registry.Person{}
	for _, p := range ps {
		byPIN[p.PIN] = p
	}
	for _, c := range cs {
		if !c.SamePerson {
			continue
		}
		a := c.Attributes
		req := Request{Agency: "bank", Client: "bank-sys", Purpose: "kyc", PIN: c.PIN, Strategy: Partial,
			Claim: Claim{FullName: a.FullName, BirthDate: a.BirthDate, Sex: a.Sex, Address: a.Address, Province: a.Province, Commune: a.Commune, Phone: a.Phone}}
		ans, _ := svc.Verify(context.Background(), req)
		if !ans.Match {
			missed[fmt.Sprint(c.Corruptions)]++
			if missed[fmt.Sprint(c.Corruptions)] <= 2 {
				rows, _ := svc.st.VerifyRows(context.Background(), []string{c.PIN}, true)
				r, _ := recordOf(rows[0])
				o, at := Comparators{}.Score(&req.Claim, &r)
				t.Logf("%v: score %d %v", c.Corruptions, o, at)
			}
		}
	}
	t.Logf("misses: %v", missed)
}

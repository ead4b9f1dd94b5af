package linkage

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/dancu/dancu/internal/match/testbed"
	"github.com/dancu/dancu/internal/registry"
)

// testbedRecords returns n synthetic people and a duplicate of a share
// rate of them, as linkage records, with the true pairs.
func testbedRecords(t testing.TB, n int, rate float64, seed uint64) ([]Record, []PINPair) {
	t.Helper()
	people, err := testbed.People(context.Background(), n, seed)
	if err != nil {
		t.Fatal(err)
	}
	dups, pairs := testbed.Duplicates(people, rate, seed)
	recs := make([]Record, 0, len(people)+len(dups))
	for _, p := range append(people, dups...) {
		recs = append(recs, RecordOf(p))
	}
	truth := make([]PINPair, len(pairs))
	for i, p := range pairs {
		truth[i] = PINPair{p.Original, p.Duplicate}
	}
	return recs, truth
}

func found(recs []Record, pairs []Pair) []PINPair {
	out := make([]PINPair, len(pairs))
	for i, p := range pairs {
		out[i] = PINPair{recs[p.A].PIN, recs[p.B].PIN}
	}
	return out
}

// TestRun_quality asserts the F1 target on the test bed: 50,000 people with
// 1% duplicates.
func TestRun_quality(t *testing.T) {
	n := 50000
	if s := os.Getenv("DANCU_LINKAGE_PEOPLE"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		n = 10000
	}
	recs, truth := testbedRecords(t, n, 0.01, 11)
	res, err := Run(context.Background(), recs, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	q := Measure(found(recs, res.Pairs), truth)
	t.Logf("%d records, %d compared, %d patterns, EM %d rounds, lambda %.5f: %+v; elapsed %v; blocks %v oversized %v",
		len(recs), res.Stats.Compared, res.Stats.Patterns, res.Stats.EMRounds, res.Model.Lambda, q, res.Stats.Elapsed, res.Stats.Blocks, res.Stats.Oversized)
	for f := range NumFields {
		t.Logf("%-15s m %.3f u %.3f", Field(f), res.Model.M[f], res.Model.U[f])
	}
	if testing.Verbose() {
		all, _ := Run(context.Background(), recs, Options{Seed: 1, MinProbability: 1e-9})
		got := map[PINPair]Pair{}
		for _, p := range all.Pairs {
			got[PINPair{recs[p.A].PIN, recs[p.B].PIN}.Ordered()] = p
		}
		byPIN := map[string]int{}
		for i := range recs {
			byPIN[recs[i].PIN] = i
		}
		shown := 0
		for _, tp := range truth {
			p, ok := got[tp.Ordered()]
			if ok && p.Probability >= 0.5 || shown > 20 {
				continue
			}
			shown++
			a, b := &recs[byPIN[tp.A]], &recs[byPIN[tp.B]]
			t.Logf("missed (p=%.3f w=%.1f) %v: %q %v | %q %v", p.Probability, p.Weight, p.Vector, a.Name.Fold, a.Birth, b.Name.Fold, b.Birth)
		}
	}
	if q.F1 < 0.95 {
		t.Errorf("F1 %.4f < 0.95", q.F1)
	}
	_ = registry.Male
}

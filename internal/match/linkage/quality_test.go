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
	people := testbedPeople(t, n, seed)
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

// testbedPeople returns n synthetic people.
func testbedPeople(t testing.TB, n int, seed uint64) []*registry.Person {
	t.Helper()
	people, err := testbed.People(context.Background(), n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return people
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
	if q.F1 < 0.95 {
		t.Errorf("F1 %.4f < 0.95", q.F1)
	}
}

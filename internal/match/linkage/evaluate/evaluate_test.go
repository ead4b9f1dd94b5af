package evaluate

import (
	"context"
	"testing"
)

// TestRun asserts the quality target, F1 at least 0.95 with 1%
// duplicates, on a population small enough for every test run (the
// 1,000,000-person figure is in BENCHMARKS.md, from `dancu dedup
// --evaluate`).
func TestRun(t *testing.T) {
	n := 40000
	if testing.Short() {
		n = 10000
	}
	rep, err := Run(context.Background(), Options{People: n, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	q := rep.Quality
	t.Logf("%d people, %d duplicates: precision %.4f recall %.4f F1 %.4f; link %v, prepare %v", rep.People, rep.Duplicates, q.Precision, q.Recall, q.F1, rep.Link, rep.Prepare)
	if rep.Duplicates < n/200 || rep.Duplicates > n/50 {
		t.Errorf("%d duplicates for 1%% of %d", rep.Duplicates, n)
	}
	if q.F1 < 0.95 {
		t.Errorf("F1 %.4f < 0.95", q.F1)
	}
}

func TestRun_badOptions(t *testing.T) {
	for _, o := range []Options{{}, {People: 10, Rate: 2}, {People: 10, Rate: -0.5}} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("Run(%+v) gave no error", o)
		}
	}
}

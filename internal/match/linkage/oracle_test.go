package linkage

import (
	"context"
	"testing"

	"github.com/dancu/dancu/internal/match/compare"
)

func TestOracle(t *testing.T) {
	recs, truth := testbedRecords(t, 50000, 0.01, 11)
	res, err := Run(context.Background(), recs, Options{Seed: 1, MinProbability: 0.0000001})
	if err != nil {
		t.Fatal(err)
	}
	tr := map[PINPair]bool{}
	for _, p := range truth {
		tr[p.Ordered()] = true
	}
	var cm, cu [NumFields][compare.NumLevels]float64
	nm := 0
	for _, p := range res.Pairs {
		pp := PINPair{recs[p.A].PIN, recs[p.B].PIN}.Ordered()
		for f := range NumFields {
			if tr[pp] {
				cm[f][p.Vector[f]]++
			} else {
				cu[f][p.Vector[f]]++
			}
		}
		if tr[pp] {
			nm++
		}
	}
	var m Model
	m.Lambda = float64(nm) / float64(len(res.Pairs))
	for f := range NumFields {
		m.M[f] = normalise(cm[f])
		m.U[f] = normalise(cu[f])
		t.Logf("%-15s m %.3f u %.3f", Field(f), m.M[f], m.U[f])
	}
	var fp []PINPair
	for _, p := range res.Pairs {
		if m.Probability(m.Weight(p.Vector)) >= 0.5 {
			fp = append(fp, PINPair{recs[p.A].PIN, recs[p.B].PIN})
		}
	}
	inBlocks := map[PINPair]bool{}
	for _, p := range res.Pairs {
		inBlocks[PINPair{recs[p.A].PIN, recs[p.B].PIN}.Ordered()] = true
	}
	byPIN := map[string]*Record{}
	for i := range recs {
		byPIN[recs[i].PIN] = &recs[i]
	}
	shown := 0
	for _, p := range truth {
		if !inBlocks[p.Ordered()] && shown < 15 {
			shown++
			a, b := byPIN[p.A], byPIN[p.B]
			t.Logf("missed by blocking: %q %v %s | %q %v %s", a.Name.Fold, a.Birth, a.BirthProvince, b.Name.Fold, b.Birth, b.BirthProvince)
		}
	}
	t.Logf("pairs per rule %v", res.Stats.Pairs)
	t.Logf("pairs %d, matches among them %d of %d; oracle %+v", len(res.Pairs), nm, len(truth), Measure(fp, truth))
}

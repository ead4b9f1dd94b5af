package linkage

import (
	"errors"
	"math"

	"github.com/dancu/dancu/internal/match/compare"
)

// Model holds the parameters of the Fellegi–Sunter model: for each field
// and level, m is the probability of that level among true matches and u
// among non-matches; Lambda is the share of true matches among the pairs
// compared. Missing levels carry no evidence and are left out of both.
type Model struct {
	Lambda float64                               `json:"lambda"`
	M      [NumFields][compare.NumLevels]float64 `json:"m"`
	U      [NumFields][compare.NumLevels]float64 `json:"u"`
}

// FieldEvidence is what one field contributes to a pair's match weight.
type FieldEvidence struct {
	Field  string        `json:"field"`
	Level  compare.Level `json:"-"`
	LevelS string        `json:"level"`
	// Weight is log2(m/u) for the field's level: positive for agreement
	// that matches are likelier to show, negative for disagreement, 0 for
	// a missing value.
	Weight float64 `json:"weight"`
}

// Weight returns the match weight of a comparison vector: the sum of the
// fields' log2(m/u), the log-likelihood ratio of "same person" against
// "different people" in bits.
func (m *Model) Weight(v Vector) float64 {
	var w float64
	for f := range NumFields {
		w += m.fieldWeight(Field(f), v[f])
	}
	return w
}

func (m *Model) fieldWeight(f Field, l compare.Level) float64 {
	if l == compare.Missing {
		return 0
	}
	return math.Log2(m.M[f][l] / m.U[f][l])
}

// Evidence returns each field's level and weight for a vector.
func (m *Model) Evidence(v Vector) []FieldEvidence {
	out := make([]FieldEvidence, NumFields)
	for f := range NumFields {
		out[f] = FieldEvidence{Field: Field(f).String(), Level: v[f], LevelS: v[f].String(), Weight: round2(m.fieldWeight(Field(f), v[f]))}
	}
	return out
}

// Probability turns a match weight into the posterior probability that
// the pair is the same person, given the model's prior Lambda.
func (m *Model) Probability(weight float64) float64 {
	prior := math.Log2(m.Lambda / (1 - m.Lambda))
	return 1 / (1 + math.Exp2(-(weight + prior)))
}

// WeightFor returns the match weight at which Probability is p.
func (m *Model) WeightFor(p float64) float64 {
	return math.Log2(p/(1-p)) - math.Log2(m.Lambda/(1-m.Lambda))
}

// Validate reports whether the model's probabilities are usable.
func (m *Model) Validate() error {
	if !(m.Lambda > 0 && m.Lambda < 1) {
		return errors.New("linkage: lambda must be in (0, 1)")
	}
	for f := range NumFields {
		for l := compare.Different; l < compare.NumLevels; l++ {
			if !(m.M[f][l] > 0 && m.M[f][l] <= 1) || !(m.U[f][l] > 0 && m.U[f][l] <= 1) {
				return errors.New("linkage: m and u must be in (0, 1] for every field and level")
			}
		}
	}
	return nil
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// DefaultModel is the starting point of estimation: m says true matches
// mostly agree exactly and sometimes closely, u is flat. A batch replaces
// u with the level frequencies among the pairs it compared, and
// expectation–maximisation estimates m (except for the fields in priors)
// and Lambda.
func DefaultModel() Model {
	var m Model
	m.Lambda = 0.01
	for f := range NumFields {
		m.M[f] = [compare.NumLevels]float64{0, 0.04, 0.06, 0.15, 0.75}
		m.U[f] = [compare.NumLevels]float64{0, 0.80, 0.10, 0.05, 0.05}
	}
	// The name parts of a duplicate: mostly equal, else equal up to
	// diacritics, tone marks or one typing error (the share of the test
	// bed's corruptions that touch one part), rarely further apart.
	m.M[Surname] = [compare.NumLevels]float64{0, 0.005, 0.015, 0.10, 0.88}
	m.M[Middle] = [compare.NumLevels]float64{0, 0.03, 0.02, 0.12, 0.83}
	// Another given name altogether (not a typing error) is the mark of
	// another person — a twin, a sibling — far more than of a second
	// registration: its m is kept low, so that agreement on everything a
	// family shares (date of birth of twins, address, parents) does not
	// outweigh it.
	m.M[Given] = [compare.NumLevels]float64{0, 0.001, 0.029, 0.10, 0.87}
	m.M[BirthDate] = [compare.NumLevels]float64{0, 0.01, 0.09, 0.25, 0.65}
	m.M[Sex] = [compare.NumLevels]float64{0, 0.01, 0.01, 0.01, 0.97}
	m.U[Sex] = [compare.NumLevels]float64{0, 0.5, 0.01, 0.01, 0.48}
	return m
}

// floor keeps estimated probabilities away from 0, so that one level never
// seen among matches does not veto a pair on its own.
const floor = 1e-4

// priors are the fields whose m expectation–maximisation keeps as it
// starts: the parts of the name. A latent-class estimation on pairs that
// blocking selected for agreeing on names has two structures to explain —
// the same person, and the same family (siblings, cousins: same surname,
// parents, province and residence, other given names) — and the families
// are far more numerous than the duplicates. Fixing that a duplicate's
// name parts agree (exactly or up to the noise of the test bed) selects
// the first structure; everything else is estimated.
var priors = []Field{Surname, Middle, Given, BirthDate}

// estimate runs expectation–maximisation on the counts of comparison
// patterns, starting from start, for at most iterations rounds or until
// the parameters move by less than 1e-6. It estimates Lambda and m; u
// stays as it starts (the level frequencies among the compared pairs, of
// which all but a fraction of a percent are two different people — an
// estimate EM cannot improve but can lose: with u free, the latent class
// drifts to the commonest structure among the pairs, which is families and
// namesakes, not duplicates), and so do m of sex (a copy keeps the sex)
// and of the fields in priors; with fixM, every m stays as it starts and
// only Lambda is estimated.
func estimate(counts map[uint32]int64, start Model, iterations int, fixM bool) (Model, int) {
	type pc struct {
		v Vector
		n float64
	}
	pats := make([]pc, 0, len(counts))
	var total float64
	for p, n := range counts {
		pats = append(pats, pc{vectorOf(p), float64(n)})
		total += float64(n)
	}
	m := start
	if total == 0 {
		// No pair was compared (a registry of a few people): there is
		// nothing to estimate from, and the update below would divide by
		// zero.
		return m, 0
	}
	it := 0
	for it < iterations {
		it++
		var accM, accU [NumFields][compare.NumLevels]float64
		var sumG float64
		logPrior := math.Log(m.Lambda / (1 - m.Lambda))
		var lm, lu [NumFields][compare.NumLevels]float64
		for f := range NumFields {
			for l := compare.Different; l < compare.NumLevels; l++ {
				lm[f][l], lu[f][l] = math.Log(m.M[f][l]), math.Log(m.U[f][l])
			}
		}
		for _, p := range pats {
			x := logPrior
			for f := range NumFields {
				if l := p.v[f]; l != compare.Missing {
					x += lm[f][l] - lu[f][l]
				}
			}
			g := 1 / (1 + math.Exp(-x))
			sumG += g * p.n
			for f := range NumFields {
				if l := p.v[f]; l != compare.Missing {
					accM[f][l] += g * p.n
					accU[f][l] += (1 - g) * p.n
				}
			}
		}
		next := m
		next.Lambda = min(max(sumG/total, 1e-6), 1-1e-6)
		for f := range NumFields {
			next.M[f] = normalise(accM[f])
			next.U[f] = normalise(accU[f])
		}
		next.M[Sex] = start.M[Sex]
		next.U = start.U
		for _, f := range priors {
			next.M[f] = start.M[f]
		}
		if fixM {
			next.M = start.M
		}
		delta := math.Abs(next.Lambda - m.Lambda)
		for f := range NumFields {
			for l := range compare.NumLevels {
				delta = max(delta, math.Abs(next.M[f][l]-m.M[f][l]), math.Abs(next.U[f][l]-m.U[f][l]))
			}
		}
		m = next
		if delta < 1e-6 {
			break
		}
	}
	return m, it
}

// normalise turns counts over the non-missing levels into probabilities,
// each at least floor.
func normalise(c [compare.NumLevels]float64) [compare.NumLevels]float64 {
	var sum float64
	for l := compare.Different; l < compare.NumLevels; l++ {
		sum += c[l]
	}
	var out [compare.NumLevels]float64
	for l := compare.Different; l < compare.NumLevels; l++ {
		if sum > 0 {
			out[l] = c[l] / sum
		} else {
			out[l] = 0.25
		}
		out[l] = max(out[l], floor)
	}
	return out
}

package synth

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// alias is a table for drawing an index with given weights in constant time
// (Walker's alias method, with Vose's construction). One draw takes one
// 64-bit random number: its high part picks a column, the low part of the
// same product decides between the column and its alias.
type alias struct {
	cut   []uint64 // keep the column when the fraction is below cut
	other []int32  // the column's alias
}

// newAlias builds the table for weights w, which must not all be zero.
// Weights need not be normalised.
func newAlias(w []float64) alias {
	n := len(w)
	var sum float64
	for _, x := range w {
		sum += x
	}
	if n == 0 || !(sum > 0) {
		panic("synth: alias table needs a positive weight")
	}
	p := make([]float64, n)
	var small, large []int
	for i, x := range w {
		p[i] = x * float64(n) / sum
		if p[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	a := alias{cut: make([]uint64, n), other: make([]int32, n)}
	for i := range a.other {
		a.other[i] = int32(i)
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.cut[s] = scale(p[s])
		a.other[s] = int32(l)
		p[l] -= 1 - p[s]
		if p[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What is left has probability 1 up to rounding.
	for _, i := range append(small, large...) {
		a.cut[i] = math.MaxUint64
	}
	return a
}

// scale maps a probability in [0, 1] to a 64-bit threshold.
func scale(p float64) uint64 {
	if p >= 1 {
		return math.MaxUint64
	}
	if p <= 0 {
		return 0
	}
	return uint64(p * (1 << 63) * 2)
}

// draw returns an index with probability proportional to its weight.
func (a *alias) draw(r *rand.Rand) int {
	hi, lo := bits.Mul64(r.Uint64(), uint64(len(a.cut)))
	if lo < a.cut[hi] {
		return int(hi)
	}
	return int(a.other[hi])
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// between returns a uniform day in [lo, hi]; lo when hi < lo.
func between(r *rand.Rand, lo, hi day) day {
	if hi <= lo {
		return lo
	}
	return lo + day(r.IntN(int(hi-lo)+1))
}

package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// lpMax maximises c·x subject to A x = b, x ≥ 0, by the two-phase simplex
// method with Bland's rule. It reports false when the system is infeasible.
// It is an independent check of Protect: it knows nothing of hypercubes.
func lpMax(A [][]float64, b, c []float64) (float64, bool) {
	m, n := len(A), len(c)
	// Tableau: m rows of [x (n) | artificials (m) | rhs], then the objective.
	w := n + m + 1
	t := make([][]float64, m+1)
	basis := make([]int, m)
	for i := range m {
		t[i] = make([]float64, w)
		sign := 1.0
		if b[i] < 0 {
			sign = -1
		}
		for j := range n {
			t[i][j] = sign * A[i][j]
		}
		t[i][n+i] = 1
		t[i][w-1] = sign * b[i]
		basis[i] = n + i
	}
	t[m] = make([]float64, w)
	const eps = 1e-9
	pivot := func(r, col int) {
		p := t[r][col]
		for j := range w {
			t[r][j] /= p
		}
		for i := range t {
			if i != r && math.Abs(t[i][col]) > eps {
				f := t[i][col]
				for j := range w {
					t[i][j] -= f * t[r][j]
				}
			}
		}
		basis[r] = col
	}
	run := func(cols int) bool { // minimise the objective row; false if unbounded
		for {
			col := -1
			for j := range cols {
				if t[m][j] < -eps {
					col = j
					break
				}
			}
			if col < 0 {
				return true
			}
			r := -1
			for i := range m {
				if t[i][col] > eps {
					if r < 0 || t[i][w-1]/t[i][col] < t[r][w-1]/t[r][col]-eps ||
						math.Abs(t[i][w-1]/t[i][col]-t[r][w-1]/t[r][col]) <= eps && basis[i] < basis[r] {
						r = i
					}
				}
			}
			if r < 0 {
				return false
			}
			pivot(r, col)
		}
	}
	// Phase 1: minimise the sum of the artificials.
	for j := range w {
		t[m][j] = 0
	}
	for i := range m {
		for j := range w {
			t[m][j] -= t[i][j]
		}
		t[m][n+i] = 0
	}
	run(n + m)
	if -t[m][w-1] > 1e-6 {
		return 0, false
	}
	// Drive artificials out of the basis where possible.
	for i := range m {
		if basis[i] >= n {
			for j := range n {
				if math.Abs(t[i][j]) > eps {
					pivot(i, j)
					break
				}
			}
		}
	}
	// Phase 2: minimise -c·x over the original columns.
	for j := range w {
		t[m][j] = 0
	}
	for j := range n {
		t[m][j] = -c[j]
	}
	for i := range m {
		if bj := basis[i]; bj < n && t[m][bj] != 0 {
			f := t[m][bj]
			for j := range w {
				t[m][j] -= f * t[i][j]
			}
		}
	}
	for i := range m { // forbid artificials from re-entering
		for j := n; j < n+m; j++ {
			_ = i
			t[m][j] = 0
		}
	}
	if !run(n) {
		return math.Inf(1), true
	}
	return t[m][w-1], true
}

// table is a random dense table for the disclosure tests.
type table struct {
	axes   []Axis
	coords [][]int
	counts []int64
}

func randomTable(r *rand.Rand, axes []Axis, small float64) table {
	t := table{axes: axes}
	var rec func(c []int)
	rec = func(c []int) {
		if len(c) == len(axes) {
			v := int64(10 + r.IntN(40))
			if r.Float64() < small {
				v = int64(1 + r.IntN(9))
			}
			t.coords = append(t.coords, append([]int(nil), c...))
			t.counts = append(t.counts, v)
			return
		}
		for v := range axes[len(c)].Size {
			rec(append(c, v))
		}
	}
	rec(nil)
	return t
}

// intervals returns, for each suppressed cell, the smallest and largest
// value it can take given the published cells and every margin along each
// dimension (within groups).
func intervals(t *testing.T, tb table, sup []bool) map[int][2]float64 {
	t.Helper()
	unknown := map[int]int{}
	for i, s := range sup {
		if s {
			unknown[i] = len(unknown)
		}
	}
	var A [][]float64
	var b []float64
	for d, ax := range tb.axes {
		lines := map[string][]int{}
		for i, c := range tb.coords {
			k := make([]int, len(c)+1)
			copy(k, c)
			k[d] = -1
			k[len(c)] = ax.group(c[d])
			lines[fmtInts(k)] = append(lines[fmtInts(k)], i)
		}
		for _, cells := range lines {
			row := make([]float64, len(unknown))
			var rhs float64
			any := false
			for _, i := range cells {
				if u, ok := unknown[i]; ok {
					row[u] = 1
					rhs += float64(tb.counts[i])
					any = true
				}
			}
			if any {
				A, b = append(A, row), append(b, rhs)
			}
		}
	}
	out := map[int][2]float64{}
	for i, u := range unknown {
		c := make([]float64, len(unknown))
		c[u] = 1
		hi, ok := lpMax(A, b, c)
		if !ok {
			t.Fatal("the published table is infeasible")
		}
		c[u] = -1
		lo, _ := lpMax(A, b, c)
		out[i] = [2]float64{-lo, hi}
	}
	return out
}

func fmtInts(v []int) string {
	b := make([]byte, 0, len(v)*3)
	for _, x := range v {
		b = append(b, byte(x), byte(x>>8), ',')
	}
	return string(b)
}

func TestLPMax(t *testing.T) {
	// x + y = 5, y + z = 3, x, y, z ≥ 0: x ∈ [2, 5].
	A := [][]float64{{1, 1, 0}, {0, 1, 1}}
	b := []float64{5, 3}
	hi, ok := lpMax(A, b, []float64{1, 0, 0})
	lo, _ := lpMax(A, b, []float64{-1, 0, 0})
	if !ok || math.Abs(hi-5) > 1e-6 || math.Abs(-lo-2) > 1e-6 {
		t.Errorf("x ∈ [%v, %v], want [2, 5]", -lo, hi)
	}
	// x = 2 and x = 3 at once: infeasible.
	if _, ok := lpMax([][]float64{{1}, {1}}, []float64{2, 3}, []float64{1}); ok {
		t.Error("an infeasible system was solved")
	}
}

func TestProtect_NothingRecoverable(t *testing.T) {
	provinces := []int{0, 0, 0, 1, 1, 2, 2, 2, 2}
	cases := []struct {
		name  string
		axes  []Axis
		small float64
	}{
		{"rows by columns", []Axis{{Size: 8}, {Size: 5}}, 0.15},
		{"many small", []Axis{{Size: 6}, {Size: 4}}, 0.5},
		{"three dimensions", []Axis{{Size: 4}, {Size: 2}, {Size: 5}}, 0.15},
		{"communes in provinces by sex", []Axis{{Size: len(provinces), Group: provinces}, {Size: 2}}, 0.3},
		{"communes in interleaved provinces by sex", []Axis{{Size: 9, Group: []int{0, 1, 0, 2, 1, 2, 0, 1, 2}}, {Size: 2}}, 0.3},
		{"one dimension", []Axis{{Size: 12}}, 0.2},
	}
	for _, tc := range cases {
		for seed := range uint64(8) {
			r := rand.New(rand.NewPCG(seed, 7))
			tb := randomTable(r, tc.axes, tc.small)
			sup := Protect(tb.axes, tb.coords, tb.counts, 10)
			for i, v := range tb.counts {
				if v < 10 && !sup[i] {
					t.Fatalf("%s/%d: cell %v = %d is published", tc.name, seed, tb.coords[i], v)
				}
			}
			for i, iv := range intervals(t, tb, sup) {
				if iv[1]-iv[0] < 1-1e-6 {
					t.Errorf("%s/%d: suppressed cell %v = %d is pinned to [%.2f, %.2f] by the margins",
						tc.name, seed, tb.coords[i], tb.counts[i], iv[0], iv[1])
				}
			}
		}
	}
}

// TestProtect_LineRule checks the textbook condition: no line holds exactly
// one suppressed cell, or its margin would give it away.
func TestProtect_LineRule(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	tb := randomTable(r, []Axis{{Size: 10}, {Size: 6}}, 0.2)
	sup := Protect(tb.axes, tb.coords, tb.counts, 10)
	rows, cols := map[int]int{}, map[int]int{}
	for i, c := range tb.coords {
		if sup[i] {
			rows[c[0]]++
			cols[c[1]]++
		}
	}
	for k, n := range rows {
		if n == 1 {
			t.Errorf("row %d has a single suppressed cell", k)
		}
	}
	for k, n := range cols {
		if n == 1 {
			t.Errorf("column %d has a single suppressed cell", k)
		}
	}
}

// TestProtect_Unprotected shows that the test can fail: primary
// suppression alone leaves a lone small cell recoverable from its row.
func TestProtect_Unprotected(t *testing.T) {
	tb := table{axes: []Axis{{Size: 2}, {Size: 2}},
		coords: [][]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, counts: []int64{3, 40, 50, 60}}
	onlyPrimary := []bool{true, false, false, false}
	iv := intervals(t, tb, onlyPrimary)[0]
	if iv[1]-iv[0] > 1e-6 {
		t.Fatalf("a lone suppressed cell has interval %v; the check cannot fail", iv)
	}
	sup := Protect(tb.axes, tb.coords, tb.counts, 10)
	if n := count(sup); n != 4 {
		t.Errorf("Protect suppressed %d cells of a 2×2 table with one small cell, want 4", n)
	}
}

func count(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// Cells found through the array and through the map give the same
// decisions (large tables use the map).
func TestProtect_DenseAndSparseAgree(t *testing.T) {
	groups := []int{0, 1, 0, 2, 1, 2, 0, 1, 2, 3, 3, 0}
	axes := []Axis{{Size: len(groups), Group: groups}, {Size: 7}, {Size: 2}}
	for seed := range uint64(20) {
		tb := randomTable(rand.New(rand.NewPCG(seed, 11)), axes, 0.3)
		dense := Protect(tb.axes, tb.coords, tb.counts, 10)
		old := denseLimit
		denseLimit = 0
		sparse := Protect(tb.axes, tb.coords, tb.counts, 10)
		denseLimit = old
		if !slices.Equal(dense, sparse) {
			t.Fatalf("seed %d: the array and the map disagree", seed)
		}
	}
}

package stats

import (
	"slices"
	"sort"
)

// Axis is one dimension of a table under disclosure control: how many
// values it has and, for a dimension nested in another (communes in
// provinces), the group of each value. Lines along a nested dimension run
// only within a group, because the sum over a group is itself published
// (a province's total is the sum of its communes).
type Axis struct {
	Size  int
	Group []int // nil: one group
}

func (a Axis) group(v int) int {
	if a.Group == nil {
		return 0
	}
	return a.Group[v]
}

// maxAlternatives bounds the values tried along each dimension when
// looking for a hypercube around a cell: the smallest ones, which cost
// least to suppress.
const maxAlternatives = 5

// Protect decides which cells of a table of counts to suppress so that no
// count under threshold can be recovered, even knowing every total of the
// table over any of its dimensions (every margin, published by the same API
// with fewer dimensions), and returns the decision for each cell.
//
// Cells are given by their coordinates (one value index per axis) and
// count; cells not given are empty. A count in [1, threshold) is suppressed
// (primary suppression; zeros are published). Each such cell is then put
// in a hypercube of suppressed cells (secondary suppression): the cell, and
// for every dimension along which its line holds other cells, one other
// value of that dimension, with every corner a non-empty cell. Adding ε to
// the corners with an even number of changed coordinates and taking it from
// the others changes no margin, so every suppressed cell can take a range
// of values of width at least twice the smallest corner: the attacker's
// linear constraints cannot pin it down. Corners are chosen to suppress as
// little as possible (cells already suppressed cost nothing). When no such
// hypercube exists, every non-empty cell on the cell's lines is suppressed.
func Protect(axes []Axis, coords [][]int, counts []int64, threshold int64) []bool {
	n := len(counts)
	sup := make([]bool, n)
	if n == 0 || threshold <= 1 {
		return sup
	}
	stride := make([]uint64, len(axes))
	m := uint64(1)
	for d := len(axes) - 1; d >= 0; d-- {
		// (Keys fit in 64 bits: the axes are a table's observed values.)
		stride[d] = m
		m *= uint64(max(axes[d].Size, 1))
	}
	key := func(c []int) uint64 {
		var k uint64
		for d, v := range c {
			k += uint64(v) * stride[d]
		}
		return k
	}
	// index finds a cell by its key; lines[d] the cells on each line
	// along dimension d (a line: the cells that differ only in
	// coordinate d, within one group of d).
	index := newCellIndex(n, m)
	for i, c := range coords {
		index.put(key(c), i)
	}
	lines := make([]lineSet, len(axes))
	for d := range axes {
		// A line's key is a cell's key with coordinate d replaced by the
		// first value of its group (0 when the axis has one group).
		rep := groupFirsts(axes[d])
		lines[d] = newLineSet(n, func(i int) uint64 {
			c := coords[i]
			return key(c) - uint64(c[d])*stride[d] + uint64(rep(c[d]))*stride[d]
		})
	}
	var primary []int
	for i, v := range counts {
		if v > 0 && v < threshold {
			sup[i] = true
			primary = append(primary, i)
		}
	}
	// Smallest first: their hypercubes are the hardest to find.
	sort.Slice(primary, func(a, b int) bool { return counts[primary[a]] < counts[primary[b]] })
	covered := make([]bool, n)
	corner := make([]int, len(axes))
	best5 := make([]int, 0, maxAlternatives)
	for _, p := range primary {
		if covered[p] {
			continue
		}
		c := coords[p]
		// The alternatives along each dimension whose line has other cells.
		var dims []int
		var alts [][]int
		for d := range axes {
			a := cheapest(lines[d].of(p), p, sup, counts, best5[:0])
			if len(a) == 0 {
				continue
			}
			vals := make([]int, 0, maxAlternatives)
			for _, j := range a {
				vals = append(vals, coords[j][d])
			}
			dims = append(dims, d)
			alts = append(alts, vals)
		}
		if len(dims) == 0 {
			covered[p] = true
			continue
		}
		best, bestCost := []int(nil), int64(-1)
		choice := make([]int, len(dims))
		var cells []int
		for {
			// The hypercube for this choice of alternatives.
			cells = cells[:0]
			ok := true
			var total int64
			for mask := 0; mask < 1<<len(dims) && ok; mask++ {
				copy(corner, c)
				for k, d := range dims {
					if mask&(1<<k) != 0 {
						corner[d] = alts[k][choice[k]]
					}
				}
				j, found := index.get(key(corner))
				if !found || counts[j] <= 0 {
					ok = false
					break
				}
				cells = append(cells, j)
				total += cost(sup, counts, j)
			}
			if ok && (bestCost < 0 || total < bestCost) {
				best, bestCost = slices.Clone(cells), total
			}
			k := 0
			for ; k < len(dims); k++ {
				choice[k]++
				if choice[k] < len(alts[k]) {
					break
				}
				choice[k] = 0
			}
			if k == len(dims) {
				break
			}
		}
		if best != nil {
			for _, j := range best {
				sup[j], covered[j] = true, true
			}
			continue
		}
		for _, d := range dims {
			for _, j := range lines[d].of(p) {
				sup[j] = true
			}
		}
		covered[p] = true
	}
	return sup
}

// cost is what suppressing cell j adds: nothing if it is already suppressed.
func cost(sup []bool, counts []int64, j int) int64 {
	if sup[j] {
		return 0
	}
	return counts[j]
}

// cheapest returns the (at most maxAlternatives) cells of line other than
// p that cost least to suppress, cheapest first, ties in line order,
// appended to out. (A selection, not a sort of the line: a commune's line
// within its province holds a hundred cells, and this runs for every
// primary cell.)
func cheapest(line []int32, p int, sup []bool, counts []int64, out []int) []int {
	for _, j32 := range line {
		j := int(j32)
		if j == p {
			continue
		}
		c := cost(sup, counts, j)
		if len(out) == maxAlternatives && c >= cost(sup, counts, out[len(out)-1]) {
			continue
		}
		if len(out) < maxAlternatives {
			out = append(out, j)
		}
		// Insert j after every cell costing no more.
		k := len(out) - 1
		for k > 0 && cost(sup, counts, out[k-1]) > c {
			out[k] = out[k-1]
			k--
		}
		out[k] = j
	}
	return out
}

// denseLimit is the largest table (the product of its axes' sizes) whose
// cells are found through an array rather than a map: 4 MiB of int32. (A
// variable so that tests run both.)
var denseLimit uint64 = 1 << 20

// cellIndex maps a cell's key to its position.
type cellIndex struct {
	dense  []int32 // position+1, 0 for none
	sparse map[uint64]int
}

func newCellIndex(n int, size uint64) *cellIndex {
	if size <= denseLimit {
		return &cellIndex{dense: make([]int32, size)}
	}
	return &cellIndex{sparse: make(map[uint64]int, n)}
}

func (x *cellIndex) put(k uint64, i int) {
	if x.dense != nil {
		x.dense[k] = int32(i + 1)
		return
	}
	x.sparse[k] = i
}

func (x *cellIndex) get(k uint64) (int, bool) {
	if x.dense != nil {
		if k >= uint64(len(x.dense)) || x.dense[k] == 0 {
			return 0, false
		}
		return int(x.dense[k]) - 1, true
	}
	i, ok := x.sparse[k]
	return i, ok
}

// lineSet holds the cells of every line along one dimension: cells sorted
// by line, then position, and for each cell its line's bounds.
type lineSet struct {
	cells      []int32
	start, end []int32 // by cell
}

func newLineSet(n int, lineKey func(i int) uint64) lineSet {
	type kc struct {
		k uint64
		i int32
	}
	byLine := make([]kc, n)
	for i := range byLine {
		byLine[i] = kc{lineKey(i), int32(i)}
	}
	slices.SortFunc(byLine, func(a, b kc) int {
		if a.k != b.k {
			if a.k < b.k {
				return -1
			}
			return 1
		}
		return int(a.i - b.i)
	})
	ls := lineSet{cells: make([]int32, n), start: make([]int32, n), end: make([]int32, n)}
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && byLine[hi].k == byLine[lo].k {
			hi++
		}
		for j := lo; j < hi; j++ {
			ls.cells[j] = byLine[j].i
			ls.start[byLine[j].i], ls.end[byLine[j].i] = int32(lo), int32(hi)
		}
		lo = hi
	}
	return ls
}

// of returns the cells on cell i's line, i included, in position order.
func (ls lineSet) of(i int) []int32 { return ls.cells[ls.start[i]:ls.end[i]] }

// groupFirsts returns, for an axis, the first value of each value's group.
func groupFirsts(a Axis) func(v int) int {
	if a.Group == nil {
		return func(int) int { return 0 }
	}
	first := map[int]int{}
	rep := make([]int, len(a.Group))
	for v, g := range a.Group {
		if f, ok := first[g]; ok {
			rep[v] = f
		} else {
			first[g] = v
			rep[v] = v
		}
	}
	return func(v int) int { return rep[v] }
}

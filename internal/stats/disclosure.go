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
	index := make(map[uint64]int, n)
	// lines[d] maps a cell's key with coordinate d zeroed, plus its group,
	// to the cells on that line.
	lines := make([]map[[2]uint64][]int, len(axes))
	for d := range axes {
		lines[d] = map[[2]uint64][]int{}
	}
	lineKey := func(i, d int) [2]uint64 {
		c := coords[i]
		return [2]uint64{key(c) - uint64(c[d])*stride[d], uint64(axes[d].group(c[d]))}
	}
	for i, c := range coords {
		index[key(c)] = i
		for d := range axes {
			lk := lineKey(i, d)
			lines[d][lk] = append(lines[d][lk], i)
		}
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
	for _, p := range primary {
		if covered[p] {
			continue
		}
		c := coords[p]
		// The alternatives along each dimension whose line has other cells.
		var dims []int
		var alts [][]int
		for d := range axes {
			var a []int
			for _, j := range lines[d][lineKey(p, d)] {
				if j != p {
					a = append(a, j)
				}
			}
			if len(a) == 0 {
				continue
			}
			sort.Slice(a, func(x, y int) bool { return cost(sup, counts, a[x]) < cost(sup, counts, a[y]) })
			vals := make([]int, 0, maxAlternatives)
			for _, j := range a[:min(len(a), maxAlternatives)] {
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
				j, found := index[key(corner)]
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
			for _, j := range lines[d][lineKey(p, d)] {
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

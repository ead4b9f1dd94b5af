package compare

// OSA returns the optimal-string-alignment distance between a and b
// (Damerau–Levenshtein where a transposition of two adjacent bytes is one
// edit and no substring is edited twice), counted in bytes: the comparators
// apply it to keys, which are ASCII for Vietnamese input. It stops early
// and returns limit+1 as soon as the distance is known to exceed limit,
// which keeps bulk comparisons cheap; limit < 0 means no limit.
func OSA(a, b string, limit int) int {
	if limit < 0 {
		limit = len(a) + len(b)
	}
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	if a == b {
		return 0
	}
	if len(a) == 0 {
		return len(b)
	}
	if len(b) == 0 {
		return len(a)
	}
	// Three rows of the dynamic programme, on the stack for short keys.
	var buf [3 * 65]int
	var prev2, prev, cur []int
	if n := len(b) + 1; n <= 65 {
		prev2, prev, cur = buf[:n], buf[n:2*n], buf[2*n:3*n]
	} else {
		prev2, prev, cur = make([]int, n), make([]int, n), make([]int, n)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[len(b)] > limit {
		return limit + 1
	}
	return prev[len(b)]
}

// JaroWinkler returns the Jaro–Winkler similarity of a and b in [0, 1],
// on bytes, with the usual prefix scale 0.1 over at most four bytes. Two
// empty strings are similar (1); one empty string is not (0).
func JaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	window := max(len(b)/2-1, 0)
	var ma, mb [64]bool
	var flagsA, flagsB []bool
	if len(a) <= 64 && len(b) <= 64 {
		flagsA, flagsB = ma[:len(a)], mb[:len(b)]
	} else {
		flagsA, flagsB = make([]bool, len(a)), make([]bool, len(b))
	}
	matches := 0
	for i := 0; i < len(a); i++ {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for j := lo; j < hi; j++ {
			if !flagsB[j] && a[i] == b[j] {
				flagsA[i], flagsB[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions, j := 0, 0
	for i := 0; i < len(a); i++ {
		if !flagsA[i] {
			continue
		}
		for !flagsB[j] {
			j++
		}
		if a[i] != b[j] {
			transpositions++
		}
		j++
	}
	m := float64(matches)
	jaro := (m/float64(len(a)) + m/float64(len(b)) + (m-float64(transpositions/2))/m) / 3
	prefix := 0
	for prefix < 4 && prefix < len(a) && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

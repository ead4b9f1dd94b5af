package linkage

// PINPair is an unordered pair of PINs.
type PINPair struct{ A, B string }

// Ordered returns the pair with A < B.
func (p PINPair) Ordered() PINPair {
	if p.B < p.A {
		return PINPair{p.B, p.A}
	}
	return p
}

// Quality is how a set of pairs found compares with the true pairs.
type Quality struct {
	Found, True       int
	TP, FP, FN        int
	Precision, Recall float64
	F1                float64
}

// Measure compares the pairs found with the true pairs (order within a
// pair does not matter; repeated pairs count once).
func Measure(found, truth []PINPair) Quality {
	t := make(map[PINPair]bool, len(truth))
	for _, p := range truth {
		t[p.Ordered()] = true
	}
	f := make(map[PINPair]bool, len(found))
	for _, p := range found {
		f[p.Ordered()] = true
	}
	q := Quality{Found: len(f), True: len(t)}
	for p := range f {
		if t[p] {
			q.TP++
		} else {
			q.FP++
		}
	}
	q.FN = q.True - q.TP
	if q.Found > 0 {
		q.Precision = float64(q.TP) / float64(q.Found)
	}
	if q.True > 0 {
		q.Recall = float64(q.TP) / float64(q.True)
	}
	if q.Precision+q.Recall > 0 {
		q.F1 = 2 * q.Precision * q.Recall / (q.Precision + q.Recall)
	}
	return q
}

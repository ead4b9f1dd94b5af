package linkage

import (
	"cmp"
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dancu/dancu/internal/match/compare"
)

// Options tune a batch run. The zero value is usable: every zero field
// takes the default documented on it.
type Options struct {
	// Workers is the number of goroutines comparing pairs; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// MaxBlock is the largest block compared pair by pair (default 150).
	// A larger block — a very common name in a year — is sorted by date
	// of birth and name, and each record is compared with the Window
	// records after it (sorted neighbourhood), so that work stays linear.
	MaxBlock int
	// Window is the sorted-neighbourhood window of large blocks (default 25).
	Window int
	// Iterations bounds expectation–maximisation (default 50).
	Iterations int
	// MinProbability is the posterior probability from which a pair is
	// reported as a candidate duplicate (default 0.5).
	MinProbability float64
	// Seed is kept for reproducible variants of the batch; the batch
	// itself is deterministic.
	Seed uint64
	// Start, if set, is the model expectation–maximisation starts from
	// (its u is always replaced by the level frequencies among the pairs
	// compared); otherwise DefaultModel.
	Start *Model
	// M, if set, fixes m for every field: the estimation then finds only
	// the share of duplicates. A batch over the registry uses the m of
	// ReferenceModel, estimated on the test bed, where duplicates are
	// known to be present: on a registry with very few duplicates there
	// is nothing for expectation–maximisation to estimate m from, and it
	// settles on the next structure among the pairs (namesakes of the same
	// year and province) instead — 180,000 false candidates on a clean
	// registry of 1,000,000 people, measured.
	M *[NumFields][compare.NumLevels]float64
	// PriorRate, if positive, fixes the share of duplicates instead of
	// estimating it: PriorRate duplicates per record, so that Lambda (per
	// pair compared) is PriorRate × records / pairs compared, whatever the
	// size of the registry. With M fixed too, nothing is estimated but u.
	// A batch over the registry fixes both (DefaultPriorRate): on a
	// registry with almost no duplicates the estimate of the share tends
	// to 0 and would hide the few there are.
	PriorRate float64
	// Progress, if set, is called from one goroutine with a stage name
	// ("keys", "compare", "estimate", "score") and the work done and total
	// in that stage, at most a few times a second.
	Progress func(stage string, done, total int64)
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxBlock <= 0 {
		o.MaxBlock = 150
	}
	if o.Window <= 0 {
		o.Window = 25
	}
	if o.Iterations <= 0 {
		o.Iterations = 50
	}
	if o.MinProbability <= 0 {
		o.MinProbability = 0.5
	}
}

// Pair is a candidate duplicate found by a batch: two records (indexes
// into the records the batch was given, A < B) with their comparison
// vector, match weight and posterior probability.
type Pair struct {
	A, B        int32
	Vector      Vector
	Weight      float64
	Probability float64
}

// Stats sums up a batch.
type Stats struct {
	Records   int
	Compared  int64            // pairs compared (each pair once)
	Pairs     map[string]int64 // pairs compared, per rule that first brought them together
	Blocks    map[string]int64 // blocks of two or more records, per rule
	Oversized map[string]int64 // blocks compared in a window, per rule
	Patterns  int              // distinct comparison vectors
	EMRounds  int
	Elapsed   map[string]time.Duration // per stage
}

// Result is what a batch found.
type Result struct {
	Model Model
	Pairs []Pair // by weight, highest first
	Stats Stats
}

// ErrTooMany is returned for a batch of more records than an int32 counts.
var ErrTooMany = errors.New("linkage: too many records for one batch")

// block is a run of records sharing a rule's key.
type block struct {
	rule       int
	start, end int32 // into sorted[rule]
}

// Run finds the likely duplicates among recs: blocking by every rule of
// Rules, comparison of every pair a block brings together (once, however
// many rules do), expectation–maximisation of the model on the counts of
// comparison vectors, and the pairs whose posterior probability reaches
// o.MinProbability among the Plausible ones. It keeps one key per rule and record (8 bytes) and 16
// bytes per pair compared besides the records.
func Run(ctx context.Context, recs []Record, o Options) (*Result, error) {
	o.defaults()
	if len(recs) >= 1<<31-1 {
		return nil, ErrTooMany
	}
	st := Stats{Records: len(recs), Pairs: map[string]int64{}, Blocks: map[string]int64{}, Oversized: map[string]int64{}, Elapsed: map[string]time.Duration{}}
	progress := o.Progress
	if progress == nil {
		progress = func(string, int64, int64) {}
	}

	// Keys and sorted blocks, per rule.
	t0 := time.Now()
	nr := len(Rules)
	keys := make([][]uint64, nr)
	sorted := make([][]int32, nr)
	oversized := make([]map[uint64]bool, nr)
	var blocks []block
	for ri, rule := range Rules {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k := make([]uint64, len(recs))
		parallel(len(recs), o.Workers, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if recs[i].MergedInto == "" {
					k[i] = keyOf(rule, &recs[i])
				}
			}
		})
		keys[ri] = k
		idx := make([]int32, 0, len(recs))
		for i, x := range k {
			if x != 0 {
				idx = append(idx, int32(i))
			}
		}
		slices.SortFunc(idx, func(a, b int32) int { return cmp.Or(cmp.Compare(k[a], k[b]), cmp.Compare(a, b)) })
		sorted[ri] = idx
		oversized[ri] = map[uint64]bool{}
		for s := 0; s < len(idx); {
			e := s + 1
			for e < len(idx) && k[idx[e]] == k[idx[s]] {
				e++
			}
			if e-s >= 2 {
				blocks = append(blocks, block{rule: ri, start: int32(s), end: int32(e)})
				st.Blocks[rule.Name]++
				if e-s > o.MaxBlock {
					oversized[ri][k[idx[s]]] = true
					st.Oversized[rule.Name]++
				}
			}
			s = e
		}
		progress("keys", int64(ri+1), int64(nr))
	}
	st.Elapsed["keys"] = time.Since(t0)

	// Comparison of every pair the blocks bring together.
	t0 = time.Now()
	type shard struct {
		pairs  []rawPair
		counts map[uint32]int64
		byRule []int64
	}
	shards := make([]shard, o.Workers)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				progress("compare", done.Load(), int64(len(blocks)))
			}
		}
	}()
	for w := range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sh := &shards[w]
			sh.counts = map[uint32]int64{}
			sh.byRule = make([]int64, nr)
			var members []int32
			for {
				b := int(next.Add(1) - 1)
				if b >= len(blocks) || ctx.Err() != nil {
					return
				}
				bl := blocks[b]
				members = append(members[:0], sorted[bl.rule][bl.start:bl.end]...)
				window := len(members)
				if len(members) > o.MaxBlock {
					slices.SortFunc(members, func(x, y int32) int {
						rx, ry := &recs[x], &recs[y]
						return cmp.Or(cmp.Compare(rx.Birth.Year, ry.Birth.Year), cmp.Compare(rx.Birth.Month, ry.Birth.Month),
							cmp.Compare(rx.Birth.Day, ry.Birth.Day), cmp.Compare(rx.Name.Key, ry.Name.Key), cmp.Compare(x, y))
					})
					window = o.Window
				}
				for i := range members {
					for j := i + 1; j < len(members) && j <= i+window; j++ {
						a, c := members[i], members[j]
						if a > c {
							a, c = c, a
						}
						if coveredEarlier(keys, oversized, bl.rule, a, c) {
							continue
						}
						ra, rc := &recs[a], &recs[c]
						if linked(ra, rc) {
							continue
						}
						v := Compare(ra, rc)
						p := v.pattern()
						sh.counts[p]++
						sh.pairs = append(sh.pairs, rawPair{a, c, p})
						sh.byRule[bl.rule]++
					}
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	progress("compare", int64(len(blocks)), int64(len(blocks)))
	counts := map[uint32]int64{}
	for _, sh := range shards {
		for p, n := range sh.counts {
			counts[p] += n
		}
		st.Compared += int64(len(sh.pairs))
		for r, n := range sh.byRule {
			st.Pairs[Rules[r].Name] += n
		}
	}
	st.Patterns = len(counts)
	st.Elapsed["compare"] = time.Since(t0)

	// Estimation.
	t0 = time.Now()
	start := DefaultModel()
	if o.Start != nil {
		start = *o.Start
	}
	if o.M != nil {
		start.M = *o.M
	}
	// Among the pairs blocking brings together almost all are two people,
	// so the frequency of each level among them is u, the distribution
	// under non-match, as blocking shapes it.
	start.U = levelFrequencies(counts)
	var model Model
	var rounds int
	lambda := 0.0
	if o.PriorRate > 0 && st.Compared > 0 {
		lambda = min(max(o.PriorRate*float64(len(recs))/float64(st.Compared), 1e-9), 0.5)
	}
	if o.M != nil && lambda > 0 {
		model = start
		model.Lambda = lambda
	} else {
		if lambda > 0 {
			start.Lambda = lambda
		}
		model, rounds = estimate(counts, start, o.Iterations, o.M != nil)
		if lambda > 0 {
			model.Lambda = lambda
		}
	}
	st.EMRounds = rounds
	progress("estimate", 1, 1)
	st.Elapsed["estimate"] = time.Since(t0)

	// Scoring.
	t0 = time.Now()
	minW := model.WeightFor(o.MinProbability)
	weights := make(map[uint32]float64, len(counts))
	for p := range counts {
		if v := vectorOf(p); Plausible(v) {
			weights[p] = model.Weight(v)
		} else {
			weights[p] = math.Inf(-1)
		}
	}
	var out []Pair
	for _, sh := range shards {
		for _, rp := range sh.pairs {
			if w := weights[rp.pattern]; w >= minW {
				out = append(out, Pair{A: rp.a, B: rp.b, Vector: vectorOf(rp.pattern), Weight: w, Probability: model.Probability(w)})
			}
		}
	}
	slices.SortFunc(out, func(x, y Pair) int {
		return cmp.Or(cmp.Compare(y.Weight, x.Weight), cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
	progress("score", 1, 1)
	st.Elapsed["score"] = time.Since(t0)
	return &Result{Model: model, Pairs: out, Stats: st}, nil
}

// DefaultPriorRate is the share of records expected to be duplicates
// when a batch does not estimate it: 1%, the share of the test bed on
// which the reference model was estimated.
const DefaultPriorRate = 0.01

// rawPair is a compared pair before scoring.
type rawPair struct {
	a, b    int32
	pattern uint32
}

// coveredEarlier reports whether an earlier rule already brought a and b
// together in a block compared pair by pair, so that the pair was
// compared there.
func coveredEarlier(keys [][]uint64, oversized []map[uint64]bool, rule int, a, b int32) bool {
	for r := 0; r < rule; r++ {
		if k := keys[r][a]; k != 0 && k == keys[r][b] && !oversized[r][k] {
			return true
		}
	}
	return false
}

// levelFrequencies returns, for each field, the share of each level among
// the pairs counted (missing values left out).
func levelFrequencies(counts map[uint32]int64) [NumFields][compare.NumLevels]float64 {
	var c [NumFields][compare.NumLevels]float64
	for p, n := range counts {
		v := vectorOf(p)
		for f := range NumFields {
			c[f][v[f]] += float64(n)
		}
	}
	var u [NumFields][compare.NumLevels]float64
	for f := range NumFields {
		u[f] = normalise(c[f])
	}
	return u
}

// parallel runs fn over [0, n) split into contiguous ranges, one per
// worker.
func parallel(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n < 1000 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+step, n))
	}
	wg.Wait()
}

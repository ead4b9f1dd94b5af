package evaluate

import (
	"context"
	"errors"
	"time"

	"github.com/dancu/dancu/internal/cputime"
	"github.com/dancu/dancu/internal/match/linkage"
	"github.com/dancu/dancu/internal/match/testbed"
	"github.com/dancu/dancu/internal/registry"
)

// Options say what to measure.
type Options struct {
	// People is the size of the population before duplicates. Required.
	People int
	// Rate is the share of people duplicated (default 0.01).
	Rate float64
	// Seed selects the population and the duplicates.
	Seed uint64
	// Linkage tunes the batch.
	Linkage linkage.Options
	// EstimateM estimates m by expectation–maximisation on the test bed
	// (how ReferenceModel is made); otherwise m and the share of
	// duplicates are ReferenceModel's, as in a batch over the registry.
	EstimateM bool
	// Generated, if set, is called with the number of people generated
	// so far, now and then.
	Generated func(done, total int)
}

// Report is what a measurement found.
type Report struct {
	People, Duplicates int
	Quality            linkage.Quality
	// Generate is the wall time of generating the population (not part
	// of duplicate detection); Prepare the time spent turning registry
	// records into linkage records; Link the wall time of the batch.
	Generate, Prepare, Link time.Duration
	// LinkCPU is the CPU time (all threads) the batch used; 0 where it
	// cannot be measured.
	LinkCPU time.Duration
	Stats   linkage.Stats
	Model   linkage.Model
}

// Run generates the test bed, links it and measures the result.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.People <= 0 {
		return Report{}, errors.New("evaluate: the number of people must be positive")
	}
	if o.Rate == 0 {
		o.Rate = 0.01
	}
	if o.Rate < 0 || o.Rate > 1 {
		return Report{}, errors.New("evaluate: the duplicate rate must be between 0 and 1")
	}
	d := testbed.NewDuplicator(o.Seed)
	recs := make([]linkage.Record, 0, o.People+int(float64(o.People)*o.Rate*1.2)+16)
	var picked []*registry.Person
	var prepare time.Duration
	start := time.Now()
	err := testbed.Population(ctx, o.People, o.Seed, func(p *registry.Person) error {
		t := time.Now()
		recs = append(recs, linkage.RecordOf(p))
		prepare += time.Since(t)
		d.Reserve(p.PIN)
		if d.Pick(o.Rate) {
			picked = append(picked, p)
		}
		if o.Generated != nil && len(recs)%50000 == 0 {
			o.Generated(len(recs), o.People)
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	truth := make([]linkage.PINPair, 0, len(picked))
	for _, p := range picked {
		q, _ := d.Duplicate(p)
		t := time.Now()
		recs = append(recs, linkage.RecordOf(q))
		prepare += time.Since(t)
		truth = append(truth, linkage.PINPair{A: p.PIN, B: q.PIN})
	}
	picked = nil
	rep := Report{People: o.People, Duplicates: len(truth), Generate: time.Since(start) - prepare, Prepare: prepare}

	if !o.EstimateM && o.Linkage.M == nil {
		ref := linkage.ReferenceModel()
		o.Linkage.M = &ref.M
		if o.Linkage.PriorRate <= 0 {
			o.Linkage.PriorRate = linkage.DefaultPriorRate
		}
	}
	t, cpu := time.Now(), cputime.Process()
	res, err := linkage.Run(ctx, recs, o.Linkage)
	if err != nil {
		return Report{}, err
	}
	rep.Link, rep.LinkCPU = time.Since(t), cputime.Process()-cpu
	found := make([]linkage.PINPair, len(res.Pairs))
	for i, p := range res.Pairs {
		found[i] = linkage.PINPair{A: recs[p.A].PIN, B: recs[p.B].PIN}
	}
	rep.Quality = linkage.Measure(found, truth)
	rep.Stats, rep.Model = res.Stats, res.Model
	return rep, nil
}

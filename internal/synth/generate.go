package synth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// ChunkSize is the number of people generated from one random stream and
// loaded in one store transaction. It is fixed, not derived from the number
// of workers, because the chunks are what makes the output reproducible.
const ChunkSize = 10_000

// DefaultNow is the "today" of a run whose Options.Now is zero: 1 July 2026,
// midnight in Viet Nam, five years after the database went live. A fixed
// default makes the same seed give the same population whenever it runs.
var DefaultNow = time.Date(2026, 7, 1, 0, 0, 0, 0, registry.Vietnam)

// Options says what to generate.
type Options struct {
	// Citizens is the number of people, dead ones included. Required.
	Citizens int
	// Seed selects the population: the same seed, number and Now give the
	// same records, byte for byte.
	Seed uint64
	// Workers is the number of goroutines generating and encoding; 0 means
	// runtime.GOMAXPROCS(0), less one in Generate, whose loader needs a core
	// of its own. It changes the speed, never the output.
	Workers int
	// Progress, if not nil, is called with the number of people loaded so
	// far, from one goroutine, at most ten times a second and once at the
	// end.
	Progress func(done, total int)
	// Now is "today" for ages and event dates, read as a date in Viet Nam.
	// Zero means DefaultNow. It must not be before 2025-07-01, because
	// residences are on the 2025 administrative units.
	Now time.Time
}

// Stats sums up a run.
type Stats struct {
	People            int // people on record, dead ones included
	Households        int // households ever registered
	Dead              int // people who died since go-live
	CardHolders       int // living people with a chip card
	Versions          int // person versions written
	HouseholdVersions int // household versions written
	Events            int // events written
	Elapsed           time.Duration
}

func (s *Stats) add(t Stats) {
	s.People += t.People
	s.Households += t.Households
	s.Dead += t.Dead
	s.CardHolders += t.CardHolders
	s.Versions += t.Versions
	s.HouseholdVersions += t.HouseholdVersions
	s.Events += t.Events
}

// Generate writes a synthetic population into s through its bulk loader. It
// refuses a store that already holds people: the population's PINs and
// household identifiers are only unique among themselves.
//
// No outbox rows are written. Downstream consumers (feeds, the analytics
// store) rebuild from the registry after a bulk load, and millions of
// outbox rows for records nobody has yet subscribed to would only slow the
// load and the relay.
func Generate(ctx context.Context, s store.Registry, o Options) (Stats, error) {
	n, err := s.CountPersons(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("synth: count people: %w", err)
	}
	if n > 0 {
		return Stats{}, fmt.Errorf("synth: the store already holds %d people; generate only into an empty registry", n)
	}
	if err := o.check(); err != nil {
		return Stats{}, err
	}
	if o.Workers == 0 {
		// The loader is the bottleneck and makes many system calls. A
		// worker for every core would take the loader's processor each
		// time it enters a system call and make it queue for one when it
		// comes back; one core left to it keeps it running.
		o.Workers = max(1, runtime.GOMAXPROCS(0)-1)
	}
	l, err := s.NewLoader(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("synth: start bulk load: %w", err)
	}
	start := time.Now()
	st, err := Batches(ctx, o, func(b store.Batch) error { return l.Load(ctx, b) })
	if cerr := l.Close(ctx); err == nil && cerr != nil {
		err = fmt.Errorf("synth: finish bulk load: %w", cerr)
	}
	st.Elapsed = time.Since(start)
	return st, err
}

func (o *Options) check() error {
	if o.Citizens <= 0 {
		return errors.New("synth: the number of citizens must be positive")
	}
	if o.Workers < 0 {
		return errors.New("synth: the number of workers must not be negative")
	}
	if !o.Now.IsZero() {
		today := dayOfTime(o.Now.In(registry.Vietnam))
		if today < reform {
			return errors.New("synth: Now must be on or after 2025-07-01 (the 2025 administrative units)")
		}
		if today.year() > 2150 {
			return errors.New("synth: Now is too far in the future")
		}
	}
	return nil
}

// today returns the run's date.
func (o *Options) today() day {
	now := o.Now
	if now.IsZero() {
		now = DefaultNow
	}
	return dayOfTime(now.In(registry.Vietnam))
}

// Batches generates the population of o and calls emit with one batch per
// chunk of ChunkSize people, in chunk order, from the calling goroutine.
// Generation and encoding run on o.Workers goroutines ahead of emit, so
// emit (a store load) overlaps with producing the next batches. The batches
// are identical for a seed whatever the number of workers. emit may keep
// the batch; an error from emit stops the run and is returned.
func Batches(ctx context.Context, o Options, emit func(store.Batch) error) (Stats, error) {
	start := time.Now()
	if err := o.check(); err != nil {
		return Stats{}, err
	}
	m, err := newModel(o.today())
	if err != nil {
		return Stats{}, err
	}
	workers := o.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := newPipeline(ctx, m, o, workers)
	st, err := p.run(emit)
	st.Elapsed = time.Since(start)
	return st, err
}

// pipeline runs the three stages of a run:
//
//  1. generate: chunks are built in parallel, each from its own stream;
//  2. allocate: in chunk order, one goroutine makes PINs unique and numbers
//     households (cheap, but the only order-dependent step);
//  3. encode: chunks are turned into store rows in parallel;
//
// and hands the batches to emit in chunk order. At most inflight chunks
// exist at once, which bounds memory.
type pipeline struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	m      *model
	o      Options
	n      int // chunks
	w      int

	slots     chan struct{} // one per chunk in flight
	generated chan *chunk
	allocated chan *chunk
	encoded   chan *chunk
	wg        sync.WaitGroup
}

func newPipeline(ctx context.Context, m *model, o Options, workers int) *pipeline {
	n := (o.Citizens + ChunkSize - 1) / ChunkSize
	inflight := workers + 2
	p := &pipeline{m: m, o: o, n: n, w: workers,
		slots:     make(chan struct{}, inflight),
		generated: make(chan *chunk, inflight),
		allocated: make(chan *chunk, inflight),
		encoded:   make(chan *chunk, inflight),
	}
	p.ctx, p.cancel = context.WithCancelCause(ctx)
	return p
}

func (p *pipeline) fail(err error) { p.cancel(err) }

func (p *pipeline) run(emit func(store.Batch) error) (Stats, error) {
	defer p.cancel(nil)
	kinds := newAlias(kindWeights)
	jobs := make(chan int)

	// Dispatch chunk indexes while there is room in flight.
	go func() {
		defer close(jobs)
		for i := range p.n {
			select {
			case p.slots <- struct{}{}:
			case <-p.ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-p.ctx.Done():
				return
			}
		}
	}()

	// Workers encode allocated chunks first, so that batches flow out, and
	// generate new ones otherwise.
	for range p.w {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.work(jobs, &kinds)
		}()
	}

	// The allocator takes generated chunks in order.
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(p.allocated)
		a := newAllocator(p.o.Seed, p.o.Citizens)
		pending := make(map[int]*chunk)
		for next := 0; next < p.n; {
			c, ok := pending[next]
			if !ok {
				select {
				case c = <-p.generated:
				case <-p.ctx.Done():
					return
				}
				pending[c.index] = c
				continue
			}
			delete(pending, next)
			a.assign(c)
			select {
			case p.allocated <- c:
			case <-p.ctx.Done():
				return
			}
			next++
		}
	}()

	// Emit in order from this goroutine.
	var st Stats
	pending := make(map[int]*chunk)
	var lastProgress time.Time
	total := p.o.Citizens
	for next := 0; next < p.n; {
		c, ok := pending[next]
		if !ok {
			select {
			case c = <-p.encoded:
			case <-p.ctx.Done():
				return p.finish(st, done, false)
			}
			pending[c.index] = c
			continue
		}
		delete(pending, next)
		if err := emit(c.batch); err != nil {
			p.fail(err)
			return p.finish(st, done, false)
		}
		st.add(c.stats)
		c.batch = store.Batch{}
		<-p.slots
		next++
		if p.o.Progress != nil && (next == p.n || time.Since(lastProgress) >= 100*time.Millisecond) {
			p.o.Progress(st.People, total)
			lastProgress = time.Now()
		}
	}
	return p.finish(st, done, true)
}

// finish stops and waits for every goroutine, and returns the first error
// unless every batch was emitted.
func (p *pipeline) finish(st Stats, done chan struct{}, completed bool) (Stats, error) {
	err := context.Cause(p.ctx)
	p.cancel(nil)
	p.wg.Wait()
	<-done
	if completed {
		return st, nil
	}
	if err == nil {
		err = errors.New("synth: run stopped early")
	}
	return st, err
}

func (p *pipeline) work(jobs <-chan int, kinds *alias) {
	allocated := p.allocated
	for {
		// Prefer encoding: it frees memory and feeds the loader.
		select {
		case c, ok := <-allocated:
			if !ok {
				allocated = nil
				break
			}
			p.encode(c)
			continue
		default:
		}
		if jobs == nil && allocated == nil {
			return
		}
		select {
		case c, ok := <-allocated:
			if !ok {
				allocated = nil
				continue
			}
			p.encode(c)
		case i, ok := <-jobs:
			if !ok {
				jobs = nil
				continue
			}
			first := i * ChunkSize
			count := min(ChunkSize, p.o.Citizens-first)
			c := p.m.generate(p.o.Seed, i, first, count, kinds)
			select {
			case p.generated <- c:
			case <-p.ctx.Done():
				return
			}
		case <-p.ctx.Done():
			return
		}
	}
}

func (p *pipeline) encode(c *chunk) {
	e := p.m.newEncoder(p.o.Seed, c)
	if err := e.encode(); err != nil {
		p.fail(err)
		return
	}
	c.people, c.households = nil, nil
	select {
	case p.encoded <- c:
	case <-p.ctx.Done():
	}
}

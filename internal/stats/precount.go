package stats

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/registry"
)

// Counting a day's pre-aggregates reads every person (about 10 s of CPU at
// 10 million people), so a serving process counts in the background and no
// query waits for it:
//
//   - today is counted when RunPreaggregation starts, and each next day an
//     hour before the Viet Nam midnight that begins it (counts as of a day
//     are a function of the data and the day, kept in step by every write
//     whatever the day, so tomorrow's can be made today), so that the day
//     changes with its counts already held;
//   - a query as of a day the store does not hold is answered by scanning
//     the people: the same table, exact and dated as asked, at the scan's
//     cost (BENCHMARKS.md); a past day asked for again is then counted in
//     the background, at most one count every precountGap, so that asking
//     for many days cannot keep a core busy counting.
//
// Without RunPreaggregation (tests, one-shot commands) a query counts a
// day it needs itself, as before.

// precountLead is how long before midnight the next day is counted.
const precountLead = time.Hour

// precountGap is the least time between two counts of past days.
const precountGap = time.Minute

// precounter is the state of the background counting.
type precounter struct {
	mu      sync.Mutex
	asked   map[time.Time]int // past days not held, by how often asked
	queued  []time.Time       // past days to count, oldest request first
	wake    chan struct{}
	counted map[time.Time]time.Time // when each day was counted, for tests and the log
}

// PreaggregateOptions tune RunPreaggregation.
type PreaggregateOptions struct {
	Logger *slog.Logger
	// After is called after each count (tests).
	After func(day time.Time, err error)
}

// RunPreaggregation counts pre-aggregates in the background until ctx
// ends (see above). It returns at once if the service keeps no days.
func (s *Service) RunPreaggregation(ctx context.Context, o PreaggregateOptions) {
	if s.preDays < 1 {
		return
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pc := &precounter{asked: map[time.Time]int{}, wake: make(chan struct{}, 1), counted: map[time.Time]time.Time{}}
	s.bgMu.Lock()
	s.bg = pc
	s.bgMu.Unlock()
	defer func() {
		s.bgMu.Lock()
		s.bg = nil
		s.bgMu.Unlock()
	}()
	failed := map[time.Time]time.Time{} // days whose count failed, when
	count := func(day time.Time, why string) {
		if s.store.Holds(day) {
			return
		}
		if at, ok := failed[day]; ok && time.Since(at) < precountGap {
			// A failing count is not retried at the rate queries ask.
			return
		}
		t0 := time.Now()
		held, err := s.store.Preaggregate(ctx, day, s.preDays)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failed[day] = time.Now()
			log.Error("stats: counting a day's pre-aggregates", "day", day.Format(time.DateOnly), "err", err)
		} else if held {
			delete(failed, day)
			log.Info("stats: pre-aggregates counted", "day", day.Format(time.DateOnly), "why", why, "took", time.Since(t0).Round(time.Millisecond))
		}
		pc.mu.Lock()
		pc.counted[day] = time.Now()
		pc.mu.Unlock()
		if o.After != nil {
			o.After(day, err)
		}
	}
	var lastPast time.Time
	for {
		today := s.Today()
		count(today, "today")
		now := s.now()
		// The next day is counted from an hour before it begins.
		tomorrow := today.AddDate(0, 0, 1)
		begins := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, registry.Vietnam)
		if !now.Before(begins.Add(-precountLead)) {
			count(tomorrow, "next day")
		}
		// One past day asked for, if the gap allows.
		var wait time.Duration
		if day, ok := pc.next(); ok {
			if g := precountGap - time.Since(lastPast); g > 0 {
				pc.push(day)
				wait = g
			} else {
				lastPast = time.Now()
				count(day, "asked for")
				continue
			}
		}
		until := begins.Add(-precountLead).Sub(s.now())
		if until <= 0 {
			until = begins.Sub(s.now()) + time.Second
		}
		if wait == 0 || until < wait {
			wait = until
		}
		t := time.NewTimer(max(wait, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-pc.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// ask notes that a query wanted day, which the store does not hold; a past
// day is queued when asked for the second time.
func (pc *precounter) ask(day, today time.Time) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if !day.Equal(today) {
		pc.asked[day]++
		if pc.asked[day] != 2 {
			return
		}
		delete(pc.asked, day)
		if len(pc.asked) > 1000 {
			clear(pc.asked)
		}
		pc.queued = append(pc.queued, day)
		if len(pc.queued) > 8 {
			pc.queued = pc.queued[1:]
		}
	}
	select {
	case pc.wake <- struct{}{}:
	default:
	}
}

func (pc *precounter) next() (time.Time, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if len(pc.queued) == 0 {
		return time.Time{}, false
	}
	d := pc.queued[len(pc.queued)-1]
	pc.queued = pc.queued[:len(pc.queued)-1]
	return d, true
}

func (pc *precounter) push(day time.Time) {
	pc.mu.Lock()
	pc.queued = append(pc.queued, day)
	pc.mu.Unlock()
}

// background returns the running background counter, nil if none.
func (s *Service) background() *precounter {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	return s.bg
}

package services

import (
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/registry"
)

// Calendar counts working days: Monday to Friday, except the public
// holidays it is given (the official days off and the compensating days the
// Government announces each year, set in the configuration).
type Calendar struct {
	holidays map[civil]bool
}

// civil is a calendar day in Vietnam.
type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil {
	y, m, d := t.In(registry.Vietnam).Date()
	return civil{y, m, d}
}

func (c civil) time() time.Time { return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, registry.Vietnam) }

func (c civil) next() civil { return civilOf(c.time().AddDate(0, 0, 1)) }

// NewCalendar returns a calendar with the holidays given as ISO dates
// (YYYY-MM-DD); a malformed date is an error naming it.
func NewCalendar(holidays []string) (*Calendar, error) {
	c := &Calendar{holidays: map[civil]bool{}}
	for i, h := range holidays {
		t, err := time.ParseInLocation(time.DateOnly, h, registry.Vietnam)
		if err != nil {
			return nil, fmt.Errorf("%w: holidays[%d]: not a date YYYY-MM-DD", ErrInvalid, i)
		}
		c.holidays[civilOf(t)] = true
	}
	return c, nil
}

// Working reports whether the day of t (in Vietnam) is a working day.
func (c *Calendar) Working(t time.Time) bool { return c.working(civilOf(t)) }

func (c *Calendar) working(d civil) bool {
	wd := d.time().Weekday()
	return wd != time.Saturday && wd != time.Sunday && !c.holidays[d]
}

// Due returns the day the result of a dossier received at t is due when
// the law allows n working days: the n-th working day after the day of
// receipt, and the instant that day ends, which is when it becomes overdue.
func (c *Calendar) Due(t time.Time, n int) (day time.Time, end time.Time) {
	d := civilOf(t)
	for n > 0 {
		d = d.next()
		if c.working(d) {
			n--
		}
	}
	return d.time(), d.next().time()
}

// Between counts the working days after the day of from up to and
// including the day of to: how long a paused clock was stopped.
func (c *Calendar) Between(from, to time.Time) int {
	n := 0
	for d, end := civilOf(from), civilOf(to); d != end && d.time().Before(end.time()); {
		d = d.next()
		if c.working(d) {
			n++
		}
	}
	return n
}

// Extend moves an end-of-day deadline by n working days.
func (c *Calendar) Extend(end time.Time, n int) time.Time {
	// end is the midnight after the due day: extend from the due day.
	_, e := c.Due(end.Add(-time.Nanosecond), n)
	return e
}

package stats

import (
	"context"
	"fmt"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// RebuildStats sums up a rebuild.
type RebuildStats struct {
	People, Events, Links int64
	Accounts, Agencies    int64
	Access                int64 // access-log entries counted into the traffic
	Cursor                int64
	Elapsed               time.Duration
}

// rebuildPage is the number of people read per registry query.
const rebuildPage = 5000

// Rebuild replaces the analytics store's content with a fresh copy of the
// registry and sets its cursor to the outbox head read before the scan
// began: messages committed during the scan are applied again by the feed,
// which Apply makes harmless, so the result equals what feeding every
// message would give. It reloads the side tables (links, eID accounts,
// agencies) like a feed refresh. The agencies' traffic is counted from the
// access log onwards from where the store's counts reach: the log is
// append-only, so counts already made stay right, and a new store counts
// the whole log. progress, if not nil, is called with the people copied so
// far.
func Rebuild(ctx context.Context, reg Registry, an Store, ps *Pseudonymizer, progress func(people int64)) (RebuildStats, error) {
	start := time.Now()
	var st RebuildStats
	head, err := reg.OutboxHead(ctx)
	if err != nil {
		return st, fmt.Errorf("stats: rebuild: %w", err)
	}
	accessFrom, err := an.AccessCursor(ctx)
	if err != nil {
		return st, fmt.Errorf("stats: rebuild: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l, err := an.Rebuild(ctx)
	if err != nil {
		return st, err
	}
	fail := func(err error) (RebuildStats, error) {
		l.Abort()
		return st, fmt.Errorf("stats: rebuild: %w", err)
	}
	// People, from their current versions, in PIN order. Decoding the
	// documents runs beside the next page's read.
	type page struct {
		rows []store.PersonRow
		err  error
	}
	pages := make(chan page, 2)
	go func() {
		defer close(pages)
		after := ""
		for {
			rows, err := reg.SearchPersons(ctx, store.PersonQuery{AfterPIN: after, Limit: rebuildPage})
			select {
			case pages <- page{rows, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(rows) < rebuildPage {
				return
			}
			after = rows[len(rows)-1].PIN
		}
	}()
	people := make([]Person, 0, rebuildPage)
	for pg := range pages {
		if pg.err != nil {
			return fail(pg.err)
		}
		people = people[:0]
		for i := range pg.rows {
			r := &pg.rows[i]
			p, err := ps.PersonFromRow(r.PIN, r.Version, r.BirthDate, r.Sex, r.Province, r.Commune, r.State, r.Data)
			if err != nil {
				return fail(fmt.Errorf("person row %d of a page: %w", i, err))
			}
			people = append(people, p)
		}
		if err := l.People(people); err != nil {
			return fail(err)
		}
		st.People += int64(len(people))
		if progress != nil {
			progress(st.People)
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	// Events, from the versions the counted event types produced.
	pin, ver := "", int64(0)
	var events []Event
	for {
		vs, err := reg.PersonChanges(ctx, EventTypes, pin, ver, rebuildPage)
		if err != nil {
			return fail(err)
		}
		events = events[:0]
		for i := range vs {
			v := &vs[i]
			if e := ps.EventFromVersion(v.PIN, v.Version, v.EventType, v.ValidFrom, v.BirthDate, v.Sex, v.Province, v.Commune, v.State); e != nil {
				events = append(events, *e)
			}
		}
		if err := l.Events(events); err != nil {
			return fail(err)
		}
		st.Events += int64(len(events))
		if len(vs) < rebuildPage {
			break
		}
		pin, ver = vs[len(vs)-1].PIN, vs[len(vs)-1].Version
	}
	sides, err := readSides(ctx, reg, ps)
	if err != nil {
		return fail(err)
	}
	if err := l.Sides(sides); err != nil {
		return fail(err)
	}
	st.Links, st.Accounts, st.Agencies = int64(len(sides.Links)), int64(len(sides.EID)), int64(len(sides.Agencies))
	size, err := reg.AccessLogSize(ctx)
	if err != nil {
		return fail(err)
	}
	for from := accessFrom; from < size; from += accessPage {
		t, _, err := readTraffic(ctx, reg, from, min(size, from+accessPage))
		if err != nil {
			return fail(err)
		}
		if err := l.Traffic(t); err != nil {
			return fail(err)
		}
	}
	st.Access = max(size-accessFrom, 0)
	if err := l.Commit(ctx, head, max(size, accessFrom)); err != nil {
		return st, err
	}
	st.Cursor, st.Elapsed = head, time.Since(start)
	return st, nil
}

package synth

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/units"
	"github.com/dancu/dancu/internal/vntext"
)

// testCitizens is the size of the population the record and shape tests
// check: large enough for stable shares, small enough for a quick test.
const testCitizens = 50_000

func testPopulation(t *testing.T) *population {
	if testing.Short() {
		return generated(t, Options{Citizens: 12_000, Seed: 7})
	}
	return generated(t, Options{Citizens: testCitizens, Seed: 7})
}

// errs collects failures per check and reports the first few of each, so
// that one systematic bug does not print fifty thousand lines.
type errs struct {
	t      *testing.T
	counts map[string]int
}

func newErrs(t *testing.T) *errs { return &errs{t: t, counts: map[string]int{}} }

func (e *errs) check(ok bool, check, id string) {
	if ok {
		return
	}
	e.counts[check]++
	if e.counts[check] <= 3 {
		e.t.Errorf("%s: %s", check, id)
	}
}

func (e *errs) done() {
	for c, n := range e.counts {
		if n > 3 {
			e.t.Errorf("%s: %d failures in all", c, n)
		}
	}
}

func TestGenerate_people(t *testing.T) {
	p := testPopulation(t)
	today := p.opts.today()
	now := time.Date(today.year(), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(today-dayOf(today.year(), 1, 1)))
	e := newErrs(t)
	seen := map[string]string{}
	unique := func(kind, v, id string) {
		if v == "" {
			return
		}
		other, dup := seen[kind+v]
		e.check(!dup, kind+" unique", id+" and "+other)
		seen[kind+v] = id
	}
	for _, id := range p.sortedPINs() {
		r := p.current[id]
		unique("old ID number", r.OldIDNumber, id)
		unique("phone", r.Phone, id)
		unique("email", r.Email, id)
		pn, err := pin.Parse(r.PIN)
		e.check(err == nil && r.PIN == id, "PIN parses and is the key", id)
		sex := pin.Male
		if r.Sex == registry.Female {
			sex = pin.Female
		}
		reg := r.BirthRegistrationPlace
		e.check(pin.Check(pn, r.BirthDate.Year, sex, "0"+reg.Province) == nil, "PIN agrees with birth year, sex and registration province", id)
		regDay := dayOfDate(r.BirthDate)
		if first := p.persons[id][0]; first.EventType == evBirth {
			regDay = dayOfDate(registry.MustParseDate(first.ValidFrom))
		}
		regAt := time.Date(regDay.year(), 6, 1, 0, 0, 0, 0, time.UTC)
		if regDay >= reform {
			regAt = now
		} else {
			e.check(reg.Commune == "", "no commune code for a birth registered before 2025", id)
		}
		_, ok := units.LookupProvince(reg.Province, regAt)
		e.check(ok, "registration province valid when the birth was registered", id)

		e.check(vntext.ValidName(r.FullName) == nil && vntext.Normalize(r.FullName) == r.FullName, "name valid and normalised", id)
		e.check(registry.KnownEthnicity(r.Ethnicity), "known ethnicity", id)
		e.check(r.Nationality == "VN", "nationality VN", id)
		e.check(r.BirthDate.Validate() == nil && !r.BirthDate.IsZero(), "birth date valid", id)
		e.check(r.MaritalStatus != "", "marital status set", id)

		res := r.PermanentResidence
		if e.check(res != nil, "has a permanent residence", id); res != nil {
			c, ok := units.LookupCommune(res.Commune, now)
			e.check(ok && c.ProvinceCode == res.Province, "residence commune in its province today", id)
			e.check(res.Address != "" && vntext.Normalize(res.Address) == res.Address, "address normalised", id)
			e.check(!dayOfDate(res.ValidFrom).before(dayOfDate(r.BirthDate)) || r.BirthDate.Month == 0, "residence not before birth", id)
		}
		ht, ok := units.LookupCommune(r.Hometown.Commune, now)
		e.check(ok && ht.ProvinceCode == r.Hometown.Province, "hometown commune in its province", id)

		// Relations agree both ways.
		for _, par := range []struct {
			rel *registry.Relative
			sex registry.Sex
		}{{r.Father, registry.Male}, {r.Mother, registry.Female}} {
			if par.rel == nil {
				continue
			}
			q := p.current[par.rel.PIN]
			if e.check(q != nil, "parent on record", id); q == nil {
				continue
			}
			e.check(q.Sex == par.sex, "parent's sex fits", id)
			e.check(q.BirthDate.Before(r.BirthDate), "parent born before child", id)
			e.check(slices.ContainsFunc(q.Children, func(c registry.Relative) bool { return c.PIN == id }), "parent lists the child", id)
			e.check(par.rel.FullName == q.FullName, "parent's name as on record", id)
		}
		for _, c := range r.Children {
			q := p.current[c.PIN]
			ok := q != nil && ((q.Father != nil && q.Father.PIN == id) || (q.Mother != nil && q.Mother.PIN == id))
			e.check(ok, "child names the parent", id)
		}
		if r.Spouse != nil {
			q := p.current[r.Spouse.PIN]
			ok := q != nil && q.Spouse != nil && q.Spouse.PIN == id && q.Sex != r.Sex
			e.check(ok, "spouses name each other", id)
			if ok && r.Status.State == registry.Alive && q.Status.State == registry.Alive {
				e.check(r.MaritalStatus == registry.Married && q.MaritalStatus == registry.Married, "living spouses married", id)
			}
			if ok && r.Status.State == registry.Alive && q.Status.State == registry.Dead {
				e.check(r.MaritalStatus == registry.Widowed, "survivor widowed", id)
			}
		} else {
			e.check(r.MaritalStatus != registry.Married, "married people have a spouse", id)
		}

		// Household membership.
		switch r.Status.State {
		case registry.Alive:
			h := p.currentHH[r.HouseholdID]
			if e.check(h != nil, "alive people belong to a household", id); h != nil {
				k := h.Member(id)
				e.check(k >= 0 && h.Members[k].Relationship == r.RelationshipToHead, "household lists the member with the same relationship", id)
				e.check((h.Head == id) == (r.RelationshipToHead == registry.RelHead), "head iff relationship head", id)
			}
		case registry.Dead:
			d := dayOfDate(r.Status.Date)
			e.check(d > goLive && d <= today, "died between go-live and today", id)
			e.check(r.HouseholdID == "" && r.RelationshipToHead == "", "death ends household membership", id)
		default:
			e.check(false, "state alive or dead", id)
		}

		// Documents.
		var validChips int
		for k, d := range r.Documents {
			switch d.Kind {
			case registry.CMND:
				e.check(d.Number == r.OldIDNumber && len(d.Number) == 9 && !d.Chip, "CMND carries the old number", id)
				e.check(k == 0, "CMND is the oldest document", id)
			case registry.CCCD, registry.CanCuoc:
				e.check(d.Number == r.PIN && d.Chip, "chip card numbered with the PIN", id)
				e.check(d.Expiry == registry.CardExpiry(r.BirthDate, d.IssueDate), "card expiry per the law", id)
				e.check((d.Kind == registry.CanCuoc) == !dayOfDate(d.IssueDate).before(canCuocStart), "card kind follows the issue date", id)
				e.check(d.Place == cardPlace, "card issue place", id)
				e.check(ageAt(dayOfDate(r.BirthDate), dayOfDate(d.IssueDate)) >= 13, "card issued at 14 or over", id)
				if d.Status == "valid" {
					validChips++
				}
			default:
				e.check(false, "known document kind", id)
			}
			if k > 0 {
				e.check(!dayOfDate(d.IssueDate).before(dayOfDate(r.Documents[k-1].IssueDate)), "documents oldest first", id)
			}
		}
		e.check(validChips <= 1, "at most one valid chip card", id)
		if r.OldIDNumber != "" {
			e.check(len(r.Documents) > 0 && r.Documents[0].Kind == registry.CMND, "old number has its CMND", id)
		}
		if r.Phone != "" {
			ok := len(r.Phone) == 10 && strings.Trim(r.Phone, "0123456789") == "" && slices.ContainsFunc(phonePrefixes, func(x struct {
				prefix string
				weight float64
			}) bool {
				return x.prefix == r.Phone[:3]
			})
			e.check(ok, "phone is ten digits with a mobile prefix", id)
		}
		if r.Email != "" {
			e.check(strings.Count(r.Email, "@") == 1 && strings.Trim(r.Email, "abcdefghijklmnopqrstuvwxyz0123456789.@") == "", "email plausible", id)
		}
	}
	e.done()
}

// before reports whether d is strictly before e.
func (d day) before(e day) bool { return d < e }

func TestGenerate_versions(t *testing.T) {
	p := testPopulation(t)
	e := newErrs(t)
	for _, id := range p.sortedPINs() {
		vs := p.persons[id]
		for k, v := range vs {
			e.check(v.Version == int64(k+1), "versions numbered from 1 without gaps", id)
			if k > 0 {
				e.check(v.ValidFrom >= vs[k-1].ValidFrom, "versions in date order", id)
			}
			// The row is what the registry derives from the document.
			var rec registry.Person
			if err := json.Unmarshal(v.Data, &rec); err != nil {
				e.check(false, "version decodes", id)
				continue
			}
			row, err := registry.PersonRow(&rec, v.Version)
			e.check(err == nil && samePersonRow(row, v.PersonRow), "row derived by registry.PersonRow", id)
			ev, ok := p.events[v.EventID]
			e.check(ok && ev.Type == v.EventType && slices.Contains(ev.Subjects, id) && ev.EffectiveDate == v.ValidFrom, "version references its event", id)
			e.check(v.Actor == actor && v.Reason == ev.Reason && v.RecordedAt.Equal(ev.RecordedAt) && v.RecordedAt.Location() == time.UTC, "change mirrors the event", id)
		}
		switch vs[0].EventType {
		case evInitial:
			e.check(vs[0].ValidFrom == "2021-07-01", "initial registration at go-live", id)
		case evBirth:
			e.check(vs[0].ValidFrom > "2021-07-01", "births registered after go-live", id)
		default:
			e.check(false, "first version from initial registration or birth", id)
		}
	}
	for id, vs := range p.households {
		for k, v := range vs {
			e.check(v.Version == int64(k+1), "household versions numbered from 1", id)
			var h registry.Household
			if err := json.Unmarshal(v.Data, &h); err != nil {
				e.check(false, "household decodes", id)
				continue
			}
			row, err := registry.HouseholdRow(&h, v.Version)
			e.check(err == nil && row.HeadPIN == v.HeadPIN && row.Province == v.Province && row.Commune == v.Commune && bytes.Equal(row.Data, v.Data), "household row derived by registry.HouseholdRow", id)
			_, ok := p.events[v.EventID]
			e.check(ok, "household version references its event", id)
		}
		e.check(vs[0].EventType == evInitial, "households begin with the initial registration", id)
		h := p.currentHH[id]
		if h.Head == "" {
			e.check(len(h.Members) == 0 && !h.Dissolved.IsZero(), "only empty households are dissolved", id)
			continue
		}
		e.check(h.Member(h.Head) >= 0 && h.Members[h.Member(h.Head)].Relationship == registry.RelHead, "head is a member", id)
		for _, m := range h.Members {
			q := p.current[m.PIN]
			e.check(q != nil && q.HouseholdID == id && q.RelationshipToHead == m.Relationship && q.Status.State == registry.Alive, "members agree with the household", id)
		}
	}
	e.done()
}

func samePersonRow(a, b store.PersonRow) bool {
	return a.PIN == b.PIN && a.Version == b.Version && a.NameKey == b.NameKey && a.NameFold == b.NameFold &&
		a.BirthYear == b.BirthYear && a.BirthDate == b.BirthDate && a.Sex == b.Sex && a.Province == b.Province &&
		a.Commune == b.Commune && a.State == b.State && a.HouseholdID == b.HouseholdID && bytes.Equal(a.Data, b.Data)
}

// TestGenerate_events checks that the hand-built event documents are what
// encoding/json makes of the registry's own types, and that every version
// an event names exists.
func TestGenerate_events(t *testing.T) {
	p := testPopulation(t)
	e := newErrs(t)
	types := map[string]int{}
	for id, ev := range p.events {
		types[ev.Type]++
		var req registry.Event
		if err := json.Unmarshal(ev.Request, &req); err != nil {
			e.check(false, "request decodes", id)
			continue
		}
		again, _ := json.Marshal(req)
		e.check(bytes.Equal(again, ev.Request), "request is canonical JSON of registry.Event", id)
		e.check(req.ID == ev.ID && req.Type == ev.Type && req.EffectiveDate.String() == ev.EffectiveDate && req.Reason == ev.Reason, "request agrees with the row", id)
		e.check(strings.HasPrefix(ev.ID, "synth-7-"), "event id carries the seed", id)
		var res registry.Result
		if err := json.Unmarshal(ev.Result, &res); err != nil {
			e.check(false, "result decodes", id)
			continue
		}
		again, _ = json.Marshal(res)
		e.check(bytes.Equal(again, ev.Result), "result is canonical JSON of registry.Result", id)
		e.check(res.EventID == ev.ID && res.Type == ev.Type && res.RecordedAt.Equal(ev.RecordedAt), "result agrees with the row", id)
		e.check(len(res.People) == len(ev.Subjects), "one subject per person changed", id)
		for _, ref := range res.People {
			vs := p.persons[ref.ID]
			ok := ref.Version >= 1 && int(ref.Version) <= len(vs) && vs[ref.Version-1].EventID == ev.ID
			e.check(ok, "result names person versions of this event", id)
		}
		for _, ref := range res.Households {
			vs := p.households[ref.ID]
			ok := ref.Version >= 1 && int(ref.Version) <= len(vs) && vs[ref.Version-1].EventID == ev.ID
			e.check(ok, "result names household versions of this event", id)
		}
		if ev.Type == evBirth {
			e.check(res.PIN != "" && ev.Subjects[0] == res.PIN, "birth names the new PIN first", id)
		}
	}
	for _, typ := range []string{evInitial, evBirth, evCard, evDeath} {
		if types[typ] == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	e.done()
}

func TestAppendJSONString(t *testing.T) {
	tests := []string{"", "Nguyễn Văn An", `a"b\c`, "<&>", "tab\there\nnew", "\x01", "H'Hen Niê", "line\u2028sep\u2029", "Ayŭn"}
	for _, s := range tests {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

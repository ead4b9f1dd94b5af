package synth

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// The events of the history, with the legal basis each cites.
const (
	evInitial = "initial_registration"
	evBirth   = "birth_registration"
	evCard    = "id_card_issued"
	evDeath   = "death"

	actor = "generator"

	reasonInitial = "Thu thập dữ liệu dân cư từ sổ hộ khẩu (CSDLQG về dân cư khai trương 01/07/2021)"
	reasonBirth   = "Đăng ký khai sinh (Luật Hộ tịch 2014, Điều 16)"
	reasonCCCD    = "Cấp thẻ Căn cước công dân gắn chíp (Luật Căn cước công dân 2014)"
	reasonCanCuoc = "Cấp thẻ căn cước (Luật Căn cước 2023, Điều 24)"
	reasonDeath   = "Đăng ký khai tử (Luật Hộ tịch 2014, Điều 33)"

	// cardPlace is the issuing authority printed on chip cards.
	cardPlace = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"
)

// encoder turns a chunk whose PINs are final into store rows, replaying each
// household's history in date order the way the registry's event path would
// write it: version 1 of everyone alive at go-live from one initial
// registration per household, then births, cards and deaths, each a new
// version of every record it changes.
type encoder struct {
	m      *model
	seed   uint64
	c      *chunk
	seedID []byte // "synth-<seed>-"
	rels   []registry.Relative
	pins   []string
	buf    []byte
	evDays []day // the day of each event in c.batch.Events
	hist   []hev
	touchP []int32
}

// hev is an event of one household's history.
type hev struct {
	d    day
	kind uint8 // in the order events of one day are applied
	who  int32
	card uint8 // which card, for card events
}

const (
	kBirth uint8 = iota
	kCard
	kDeath
)

func (m *model) newEncoder(seed uint64, c *chunk) *encoder {
	e := &encoder{m: m, seed: seed, c: c}
	e.seedID = strconv.AppendUint(append([]byte(nil), "synth-"...), seed, 10)
	e.seedID = append(e.seedID, '-')
	return e
}

// encode fills c.batch and c.stats.
func (e *encoder) encode() error {
	c := e.c
	n := len(c.people)
	e.pins = make([]string, n)
	e.rels = make([]registry.Relative, n)
	for i := range c.people {
		p := &c.people[i]
		e.pins[i] = p.pin.String()
		p.rec.PIN = e.pins[i]
		e.rels[i] = registry.Relative{PIN: e.pins[i], FullName: p.rec.FullName, Nationality: p.rec.Nationality}
	}
	c.batch = store.Batch{
		Persons:    make([]store.PersonVersion, 0, n*3/2),
		Households: make([]store.HouseholdVersion, 0, len(c.households)*3/2),
	}
	c.batch.Events = make([]store.EventRow, 0, n)
	e.evDays = make([]day, 0, n)
	for hi := range c.households {
		if err := e.household(hi); err != nil {
			return err
		}
	}
	c.batch.Events = sortByDay(c.batch.Events, e.evDays)
	e.evDays = nil
	s := &c.stats
	s.People = n
	s.Households = len(c.households)
	s.Versions = len(c.batch.Persons)
	s.HouseholdVersions = len(c.batch.Households)
	s.Events = len(c.batch.Events)
	for i := range c.people {
		p := &c.people[i]
		switch {
		case p.died != 0:
			s.Dead++
		case p.ncards > 0:
			s.CardHolders++
		}
	}
	return nil
}

// hhID returns the identifier of household number n: "H" and twelve base32
// characters, like the registry's random ones, from a bijection of n keyed
// by the seed so that identifiers never collide within a run.
func (e *encoder) hhID(n int) string {
	const mask = 1<<60 - 1
	x := (uint64(n) ^ mix(e.seed)) & mask
	x = (x * 0x9E3779B97F4A7C15) & mask
	x ^= x >> 29
	x = (x * 0xBF58476D1CE4E5B9) & mask
	x ^= x >> 32
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b [13]byte
	b[0] = 'H'
	for i := 12; i >= 1; i-- {
		b[i] = alphabet[x&31]
		x >>= 5
	}
	return string(b[:])
}

// recordedAt returns a deterministic time during office hours (08:00–17:00
// in Viet Nam) on day d, varying with k.
func recordedAt(d day, k uint64) time.Time {
	secs := int64(d)*86400 + 3600 + int64(mix(k)%32400)
	return time.Unix(secs, 0).UTC()
}

func (e *encoder) household(hi int) error {
	c := e.c
	h := &c.households[hi]
	num := c.hhBase + hi + 1
	house := &registry.Household{ID: e.hhID(num), Head: e.pins[h.members[0]], Address: h.addr}

	// The household and its members as the registers knew them at go-live.
	hist := e.hist[:0]
	initial := e.touchP[:0]
	for _, i := range h.members {
		p := &c.people[i]
		if p.born > goLive {
			hist = append(hist, hev{d: p.reg, kind: kBirth, who: i})
		} else {
			house.Members = append(house.Members, registry.HouseholdMember{PIN: e.pins[i], Relationship: p.rel})
			e.initial(i, house)
			initial = append(initial, i)
		}
		for k := range p.ncards {
			if p.cards[k] >= goLive {
				hist = append(hist, hev{d: p.cards[k], kind: kCard, who: i, card: k})
			}
		}
		if p.died != 0 {
			hist = append(hist, hev{d: p.died, kind: kDeath, who: i})
		}
	}
	e.hist = hist
	slices.SortStableFunc(hist, func(a, b hev) int {
		if a.d != b.d {
			return int(a.d) - int(b.d)
		}
		return int(a.kind) - int(b.kind)
	})

	hver := int64(1)
	id := e.eventID("hh-", uint64(num), 0)
	rec := recordedAt(goLive, uint64(num)^e.seed)
	ch := store.Change{EventID: id, EventType: evInitial, Actor: actor, Reason: reasonInitial, ValidFrom: goLive.iso(), RecordedAt: rec}
	if err := e.putHousehold(house, hver, ch); err != nil {
		return err
	}
	e.touchP = initial
	if err := e.putPeople(e.touchP, ch); err != nil {
		return err
	}
	e.event(goLive, ch, "", nil, "", []string{house.ID}, []int64{hver}, dataHousehold(house.ID))

	for _, ev := range hist {
		var err error
		switch ev.kind {
		case kBirth:
			hver++
			err = e.birth(h, house, hver, ev)
		case kCard:
			err = e.card(ev)
		case kDeath:
			var touchedHH bool
			touchedHH, err = e.death(h, house, hver+1, ev)
			if touchedHH {
				hver++
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// index returns the chunk index of a member by PIN.
func (e *encoder) index(h *hh, pinStr string) int32 {
	for _, i := range h.members {
		if e.pins[i] == pinStr {
			return i
		}
	}
	panic("synth: member not in household")
}

// initial sets person i's record to its state at go-live.
func (e *encoder) initial(i int32, house *registry.Household) {
	c := e.c
	p := &c.people[i]
	r := &p.rec
	if p.father >= 0 {
		r.Father = &e.rels[p.father]
	}
	if p.mother >= 0 {
		r.Mother = &e.rels[p.mother]
	}
	if p.spouse >= 0 {
		r.Spouse = &e.rels[p.spouse]
	}
	h := &c.households[p.hh]
	for _, j := range h.members {
		q := &c.people[j]
		if (q.father == i || q.mother == i) && q.born <= goLive {
			r.Children = append(r.Children, e.rels[j])
		}
	}
	res := h.addr
	res.ValidFrom = p.resFrom.date()
	r.PermanentResidence = &res
	r.HouseholdID = house.ID
	r.RelationshipToHead = p.rel
	r.Status = registry.Status{State: registry.Alive}

	chipBefore := p.ncards > 0 && p.cards[0] < goLive
	if p.rec.OldIDNumber != "" {
		status := "valid"
		if chipBefore {
			status = "replaced"
		}
		exp := min(p.cmnd.addYears(15), cmndEnd)
		r.Documents = append(r.Documents, registry.Document{
			Kind: registry.CMND, Number: r.OldIDNumber, IssueDate: p.cmnd.date(),
			Place: e.m.old[e.cmndOld(p)].cmndPlace, Expiry: exp.date(), Status: status,
		})
	}
	if chipBefore {
		r.Documents = append(r.Documents, e.cardDoc(p, 0))
	}
}

// cmndOld returns the old province whose police issued the person's CMND,
// from the number's prefix.
func (e *encoder) cmndOld(p *person) int {
	if p.birthOld >= 0 && e.m.old[p.birthOld].cmnd == p.rec.OldIDNumber[:2] {
		return int(p.birthOld)
	}
	return p.residence.oldForPost
}

// cardDoc is the chip card number k of p, as applyCardIssued records it.
func (e *encoder) cardDoc(p *person, k uint8) registry.Document {
	issued := p.cards[k]
	kind := registry.CCCD
	if issued >= canCuocStart {
		kind = registry.CanCuoc
	}
	return registry.Document{
		Kind: kind, Number: p.rec.PIN, IssueDate: issued.date(), Place: cardPlace,
		Expiry: registry.CardExpiry(p.rec.BirthDate, issued.date()), Chip: true, Status: "valid",
	}
}

// putPeople writes a new version of each person in touched.
func (e *encoder) putPeople(touched []int32, ch store.Change) error {
	for _, i := range touched {
		p := &e.c.people[i]
		p.version++
		row, err := registry.PersonRow(&p.rec, p.version)
		if err != nil {
			return err
		}
		e.c.batch.Persons = append(e.c.batch.Persons, store.PersonVersion{PersonRow: row, Change: ch})
	}
	return nil
}

func (e *encoder) putHousehold(h *registry.Household, v int64, ch store.Change) error {
	row, err := registry.HouseholdRow(h, v)
	if err != nil {
		return err
	}
	e.c.batch.Households = append(e.c.batch.Households, store.HouseholdVersion{HouseholdRow: row, Change: ch})
	return nil
}

func (e *encoder) eventID(kind string, n uint64, k uint8) string {
	b := append(e.buf[:0], e.seedID...)
	b = append(b, kind...)
	b = strconv.AppendUint(b, n, 10)
	if k > 0 {
		b = append(b, '-')
		b = strconv.AppendUint(b, uint64(k), 10)
	}
	e.buf = b
	return string(b)
}

func (e *encoder) change(d day, id, typ, reason string, k uint64) store.Change {
	return store.Change{EventID: id, EventType: typ, Actor: actor, Reason: reason, ValidFrom: d.iso(), RecordedAt: recordedAt(d, k^e.seed)}
}

// birth registers a child born after go-live into its household, as
// applyBirth does: the child's first version, a new version of each parent
// on record (their list of children grows) and of the household.
func (e *encoder) birth(h *hh, house *registry.Household, hver int64, ev hev) error {
	c := e.c
	i := ev.who
	p := &c.people[i]
	g := uint64(c.first) + uint64(i) + 1
	ch := e.change(ev.d, e.eventID("birth-", g, 0), evBirth, reasonBirth, g<<2|1)

	// The record a birth registration creates holds only what the event
	// carries; blood type and the rest come later, if ever.
	r := &p.rec
	r.BloodType, r.Phone, r.Email, r.OldIDNumber = "", "", "", ""
	r.MaritalStatus = registry.Single
	r.Status = registry.Status{State: registry.Alive}
	motherPIN, fatherPIN := "", ""
	var parents []int32
	if p.mother >= 0 {
		r.Mother = &e.rels[p.mother]
		motherPIN = e.pins[p.mother]
		parents = append(parents, p.mother)
	}
	if p.father >= 0 {
		r.Father = &e.rels[p.father]
		fatherPIN = e.pins[p.father]
		parents = append(parents, p.father)
	}
	for _, q := range parents {
		c.people[q].rec.Children = append(c.people[q].rec.Children, e.rels[i])
	}
	// The relationship is given in the event rather than left to the
	// registry to derive, which could not know a grandchild whose parents
	// live elsewhere.
	rel := p.rel
	house.Members = append(house.Members, registry.HouseholdMember{PIN: e.pins[i], Relationship: rel})
	r.HouseholdID, r.RelationshipToHead = house.ID, rel
	p.rel = rel
	res := house.Address
	res.ValidFrom = ev.d.date()
	r.PermanentResidence = &res

	if err := e.putHousehold(house, hver, ch); err != nil {
		return err
	}
	touched := append(e.touchP[:0], parents...)
	touched = append(touched, i)
	e.touchP = touched
	if err := e.putPeople(touched, ch); err != nil {
		return err
	}
	data, err := json.Marshal(birthRequest{
		FullName: r.FullName, BirthDate: r.BirthDate, Sex: r.Sex,
		PlaceOfBirth: r.PlaceOfBirth, RegistrationPlace: r.BirthRegistrationPlace, Hometown: r.Hometown,
		Ethnicity: r.Ethnicity, Religion: r.Religion, Nationality: r.Nationality,
		FatherPIN: fatherPIN, MotherPIN: motherPIN, HouseholdID: house.ID, Relationship: rel,
	})
	if err != nil {
		return fmt.Errorf("synth: encode birth: %w", err)
	}
	subjects := make([]string, 0, 3)
	subjects = append(subjects, e.pins[i])
	for _, q := range parents {
		subjects = append(subjects, e.pins[q])
	}
	e.event(ev.d, ch, "", subjects, e.pins[i], []string{house.ID}, []int64{hver}, data)
	return nil
}

// birthRequest is the data of a birth_registration event as a client
// submits it (see registry's birthData).
type birthRequest struct {
	FullName          string         `json:"full_name"`
	BirthDate         registry.Date  `json:"birth_date"`
	Sex               registry.Sex   `json:"sex"`
	PlaceOfBirth      registry.Place `json:"place_of_birth"`
	RegistrationPlace registry.Place `json:"registration_place"`
	Hometown          registry.Place `json:"hometown"`
	Ethnicity         string         `json:"ethnicity"`
	Religion          string         `json:"religion,omitempty"`
	Nationality       string         `json:"nationality"`
	FatherPIN         string         `json:"father_pin,omitempty"`
	MotherPIN         string         `json:"mother_pin,omitempty"`
	HouseholdID       string         `json:"household_id"`
	Relationship      string         `json:"relationship"`
}

// card issues chip card number ev.card, as applyCardIssued does: every
// earlier valid document, an old CMND included, becomes replaced.
func (e *encoder) card(ev hev) error {
	c := e.c
	i := ev.who
	p := &c.people[i]
	g := uint64(c.first) + uint64(i) + 1
	doc := e.cardDoc(p, ev.card)
	reason := reasonCCCD
	if doc.Kind == registry.CanCuoc {
		reason = reasonCanCuoc
	}
	ch := e.change(ev.d, e.eventID("card-", g, ev.card+1), evCard, reason, g<<2|2|uint64(ev.card)<<40)
	for k := range p.rec.Documents {
		d := &p.rec.Documents[k]
		if d.Status == "valid" {
			d.Status = "replaced"
		}
	}
	p.rec.Documents = append(p.rec.Documents, doc)
	e.touchP = append(e.touchP[:0], i)
	if err := e.putPeople(e.touchP, ch); err != nil {
		return err
	}
	b := append([]byte(nil), `{"kind":"`...)
	b = append(b, doc.Kind...)
	b = append(b, `","issue_place":`...)
	b = appendQuoted(b, cardPlace)
	b = append(b, `,"chip":true}`...)
	e.event(ev.d, ch, e.pins[i], []string{e.pins[i]}, "", nil, nil, b)
	return nil
}

// death records a death as applyDeath does: the person's state, the
// surviving spouse widowed, and the household left (dissolved when empty;
// with a new head, and every member's relationship to that head, when the
// head died). It reports whether the household changed.
func (e *encoder) death(h *hh, house *registry.Household, hver int64, ev hev) (bool, error) {
	c := e.c
	i := ev.who
	p := &c.people[i]
	g := uint64(c.first) + uint64(i) + 1
	ch := e.change(ev.d, e.eventID("death-", g, 0), evDeath, reasonDeath, g<<2|3)
	touched := append(e.touchP[:0], i)
	p.rec.Status = registry.Status{State: registry.Dead, Date: ev.d.date()}
	if p.spouse >= 0 {
		s := &c.people[p.spouse]
		if s.rec.MaritalStatus == registry.Married && s.rec.Spouse != nil && s.rec.Spouse.PIN == p.rec.PIN {
			s.rec.MaritalStatus = registry.Widowed
			touched = append(touched, p.spouse)
		}
	}
	var data []byte
	inHH := p.rec.HouseholdID != ""
	if inHH {
		k := house.Member(p.rec.PIN)
		house.Members = slices.Delete(house.Members, k, k+1)
		p.rec.HouseholdID, p.rec.RelationshipToHead = "", ""
		switch {
		case len(house.Members) == 0:
			house.Head = ""
			house.Dissolved = ev.d.date()
		case house.Head == p.rec.PIN:
			nh := e.newHead(h, house, i)
			house.Head = e.pins[nh]
			// The registry loads the new head before the other members.
			if !slices.Contains(touched, nh) {
				touched = append(touched, nh)
			}
			data = append(data[:0], `{"new_head_pin":"`...)
			data = append(data, e.pins[nh]...)
			data = append(data, `","relationships":{`...)
			var named []registry.HouseholdMember
			for k := range house.Members {
				m := &house.Members[k]
				j := e.index(h, m.PIN)
				rel := e.relTo(nh, j)
				m.Relationship = rel
				if j != nh && rel != registry.RelOther {
					named = append(named, registry.HouseholdMember{PIN: m.PIN, Relationship: rel})
				}
				q := &c.people[j]
				if q.rec.RelationshipToHead != rel {
					q.rec.RelationshipToHead, q.rel = rel, rel
					if !slices.Contains(touched, j) {
						touched = append(touched, j)
					}
				}
			}
			slices.SortFunc(named, func(a, b registry.HouseholdMember) int {
				switch {
				case a.PIN < b.PIN:
					return -1
				case a.PIN > b.PIN:
					return 1
				}
				return 0
			})
			for k, m := range named {
				if k > 0 {
					data = append(data, ',')
				}
				data = append(data, '"')
				data = append(data, m.PIN...)
				data = append(data, `":"`...)
				data = append(data, m.Relationship...)
				data = append(data, '"')
			}
			data = append(data, "}}"...)
		}
	}
	var hids []string
	var hvers []int64
	if inHH {
		if err := e.putHousehold(house, hver, ch); err != nil {
			return false, err
		}
		hids, hvers = []string{house.ID}, []int64{hver}
	}
	e.touchP = touched
	if err := e.putPeople(touched, ch); err != nil {
		return false, err
	}
	subjects := make([]string, len(touched))
	for k, j := range touched {
		subjects[k] = e.pins[j]
	}
	e.event(ev.d, ch, e.pins[i], subjects, "", hids, hvers, data)
	return inHH, nil
}

// newHead chooses who heads the household after its head died: the
// widow(er) if living there, else the eldest grown-up, else the eldest.
func (e *encoder) newHead(h *hh, house *registry.Household, dead int32) int32 {
	c := e.c
	if s := c.people[dead].spouse; s >= 0 && house.Member(e.pins[s]) >= 0 {
		return s
	}
	best := int32(-1)
	for _, m := range house.Members {
		j := e.index(h, m.PIN)
		if best < 0 || c.people[j].born < c.people[best].born {
			best = j
		}
	}
	return best
}

// relTo returns the relationship of member j to head nh from the relations
// on record.
func (e *encoder) relTo(nh, j int32) string {
	c := e.c
	if j == nh {
		return registry.RelHead
	}
	hp, q := &c.people[nh], &c.people[j]
	isChildOf := func(x *person, parent int32) bool { return x.father == parent || x.mother == parent }
	switch {
	case hp.spouse == j:
		return registry.RelSpouse
	case isChildOf(q, nh):
		return registry.RelChild
	case hp.father == j || hp.mother == j:
		return registry.RelParent
	case q.father >= 0 && isChildOf(&c.people[q.father], nh),
		q.mother >= 0 && isChildOf(&c.people[q.mother], nh):
		return registry.RelGrandchild
	case q.sibs >= 0 && q.sibs == hp.sibs:
		return registry.RelSibling
	}
	return registry.RelOther
}

// event records an event row. subjects nil means the people of the last
// putPeople call, in order.
func (e *encoder) event(d day, ch store.Change, subject string, subjects []string, newPIN string, hids []string, hvers []int64, data []byte) {
	if subjects == nil {
		subjects = make([]string, len(e.touchP))
		for k, j := range e.touchP {
			subjects[k] = e.pins[j]
		}
	}
	req := make([]byte, 0, 160+len(data))
	req = append(req, `{"id":`...)
	req = appendJSONString(req, ch.EventID)
	req = append(req, `,"type":`...)
	req = appendJSONString(req, ch.EventType)
	if subject != "" {
		req = append(req, `,"subject":`...)
		req = appendJSONString(req, subject)
	}
	req = append(req, `,"effective_date":"`...)
	req = append(req, ch.ValidFrom...)
	req = append(req, `","reason":`...)
	req = appendQuoted(req, ch.Reason)
	if len(data) > 0 {
		req = append(req, `,"data":`...)
		req = append(req, data...)
	}
	req = append(req, '}')

	res := make([]byte, 0, 128+40*len(e.touchP))
	res = append(res, `{"event_id":`...)
	res = appendJSONString(res, ch.EventID)
	res = append(res, `,"seq":0,"type":`...)
	res = appendJSONString(res, ch.EventType)
	res = append(res, `,"recorded_at":"`...)
	res = ch.RecordedAt.AppendFormat(res, time.RFC3339Nano)
	res = append(res, '"')
	if newPIN != "" {
		res = append(res, `,"pin":`...)
		res = appendJSONString(res, newPIN)
	}
	res = append(res, `,"people":[`...)
	for k, j := range e.touchP {
		if k > 0 {
			res = append(res, ',')
		}
		res = append(res, `{"id":"`...)
		res = append(res, e.pins[j]...)
		res = append(res, `","version":`...)
		res = strconv.AppendInt(res, e.c.people[j].version, 10)
		res = append(res, '}')
	}
	res = append(res, ']')
	if len(hids) > 0 {
		res = append(res, `,"households":[`...)
		for k := range hids {
			if k > 0 {
				res = append(res, ',')
			}
			res = append(res, `{"id":`...)
			res = appendJSONString(res, hids[k])
			res = append(res, `,"version":`...)
			res = strconv.AppendInt(res, hvers[k], 10)
			res = append(res, '}')
		}
		res = append(res, ']')
	}
	res = append(res, '}')
	e.c.batch.Events = append(e.c.batch.Events, store.EventRow{
		ID: ch.EventID, Type: ch.EventType, Actor: ch.Actor, Reason: ch.Reason,
		EffectiveDate: ch.ValidFrom, RecordedAt: ch.RecordedAt,
		Subjects: subjects, Request: req, Result: res,
	})
	e.evDays = append(e.evDays, d)
}

// sortByDay orders events by day, keeping the order they were made in within
// a day (a counting sort: the days span a few years).
func sortByDay(evs []store.EventRow, days []day) []store.EventRow {
	if len(evs) == 0 {
		return evs
	}
	lo, hi := days[0], days[0]
	for _, d := range days {
		lo, hi = min(lo, d), max(hi, d)
	}
	start := make([]int, int(hi-lo)+2)
	for _, d := range days {
		start[d-lo+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	out := make([]store.EventRow, len(evs))
	for i, d := range days {
		out[start[d-lo]] = evs[i]
		start[d-lo]++
	}
	return out
}

func dataHousehold(id string) []byte {
	b := append([]byte(nil), `{"household_id":`...)
	b = appendJSONString(b, id)
	return append(b, '}')
}

// quoted holds the JSON form of the long constant strings every event
// repeats, so that they are escaped once rather than scanned each time.
var quoted = func() map[string][]byte {
	m := map[string][]byte{}
	for _, s := range []string{reasonInitial, reasonBirth, reasonCCCD, reasonCanCuoc, reasonDeath, cardPlace} {
		m[s] = appendJSONString(nil, s)
	}
	return m
}()

// appendQuoted appends s as a JSON string, from quoted when it is there.
func appendQuoted(b []byte, s string) []byte {
	if q, ok := quoted[s]; ok {
		return append(b, q...)
	}
	return appendJSONString(b, s)
}

// appendJSONString appends s as a JSON string escaped as encoding/json
// escapes it (including <, > and & as \u003c and so on), so that hand-built
// documents are byte for byte what json.Marshal would produce.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are escaped for JavaScript; other UTF-8 passes.
		if c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[s[i+2]&0xF])
			i += 3
			start = i
			continue
		}
		i++
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

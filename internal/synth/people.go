package synth

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/vntext"
)

// Dates that shape the history.
var (
	// goLive is the day the national population database went live,
	// populated from the household registers: the first version of every
	// record alive then.
	goLive = dayOf(2021, 7, 1)
	// reform is the day the 2025 administrative units took effect; births
	// registered from then on take a 2025 province code.
	reform = dayOf(2025, 7, 1)
	// chipStart is about when chip CCCD cards began to be issued.
	chipStart = dayOf(2021, 1, 4)
	// canCuocStart is when the Law on Identification 2023 took effect and
	// new cards became căn cước cards.
	canCuocStart = dayOf(2024, 7, 1)
	// cmndEnd is the last day an old CMND card could be valid (Law on
	// Identification 2023, art. 46).
	cmndEnd = dayOf(2024, 12, 31)
	// lastCMND is about when the police stopped issuing CMND cards.
	lastCMND = dayOf(2020, 12, 31)
)

// person is a generated person: the parts of the record that never change,
// and what the history needs (dates of birth registration, cards, death) and
// the relations, as indexes into the chunk.
type person struct {
	rec registry.Person // static fields; PIN, relatives and residence come later

	pin  pin.PIN // candidate drawn in the chunk, made unique in order
	born day     // exact day of birth, also for records that know only the year
	reg  day     // the birth registration event, for births after go-live
	died day     // 0: alive today

	version   int64 // of the record, while the history is replayed
	cmnd      day   // issue day of the last CMND, 0 for none
	cards     [2]day
	ncards    uint8
	hh        int32
	rel       string
	father    int32 // index in the chunk, -1 if not on record here
	mother    int32
	spouse    int32
	sibs      int32 // people with the same sibs >= 0 are siblings
	resFrom   day   // when the person's permanent residence at the household began
	female    bool
	birthOld  int16  // index into model.old of the birth registration province, -1 after the reform
	family    string // the family name the person's name was composed with
	residence *province
}

// hh is a generated household.
type hh struct {
	members []int32 // head first
	addr    registry.Residence
}

// chunk is a slice of the population generated from its own random stream,
// so that chunks can be built in parallel and the result depends only on
// the seed and the chunk's position.
type chunk struct {
	index      int
	first      int // global index of the first person
	people     []person
	households []hh
	hhBase     int // global number of the first household, set in order

	batch store.Batch
	stats Stats
}

// gen builds one chunk.
type gen struct {
	m *model
	r *rand.Rand
	c *chunk

	// the household being built
	prov    *province
	comm    commune
	eth     int
	members []int32
	buf     []byte
}

// Household kinds and their shares, tuned so that households average about
// 3.5 people (the 2019 census found 3.5), four being the commonest size and
// about one household in seven a person alone.
const (
	kindCouple = iota
	kindSingleParent
	kindAlone
	kindSkipped
	kindSiblings
)

// maxHousehold bounds the size of a generated household: a couple, two
// parents, a sibling, six children, a daughter-in-law and seven
// grandchildren.
const maxHousehold = 20

var kindWeights = []float64{kindCouple: 66, kindSingleParent: 8, kindAlone: 10, kindSkipped: 3, kindSiblings: 1.5}

func (m *model) newGen(seed uint64, index, first, count int) *gen {
	// Room for the last household, which is built whole and then cut back
	// or replaced if it does not fit, so that the slice never grows.
	c := &chunk{index: index, first: first, people: make([]person, 0, count+maxHousehold), households: make([]hh, 0, count/3+1)}
	// Each chunk has its own stream: PCG seeded with the run's seed and a
	// mix of the chunk index.
	r := rand.New(rand.NewPCG(seed, uint64(index)*0x9E3779B97F4A7C15+0x5DEECE66D))
	return &gen{m: m, r: r, c: c}
}

// generate fills the chunk with count people in whole households.
func (m *model) generate(seed uint64, index, first, count int, kinds *alias) *chunk {
	g := m.newGen(seed, index, first, count)
	for len(g.c.people) < count {
		g.household(count-len(g.c.people), kinds)
	}
	return g.c
}

func (g *gen) household(room int, kinds *alias) {
	start := len(g.c.people)
	for try := 0; ; try++ {
		g.members = g.members[:0]
		g.prov = g.m.provinces[g.m.province.draw(g.r)]
		g.comm = g.prov.communes[g.prov.commune.draw(g.r)]
		g.eth = g.prov.ethnic.draw(g.r)
		kind := kinds.draw(g.r)
		if try >= 4 {
			kind = kindAlone
		}
		switch kind {
		case kindCouple:
			g.coupleHousehold()
		case kindSingleParent:
			g.singleParentHousehold()
		case kindAlone:
			g.aloneHousehold()
		case kindSkipped:
			g.skippedHousehold()
		default:
			g.siblingsHousehold()
		}
		if len(g.members) <= room {
			break
		}
		g.c.people = g.c.people[:start]
	}
	g.finishHousehold()
}

// ethCode returns the code of the household's ethnic group.
func (g *gen) ethCode() string { return g.m.ethnicCode[g.eth] }

// birthday returns a random day of birth for someone aged age today.
func (g *gen) birthday(age int) day {
	t := g.m.today
	hi := t.addYears(-age)
	lo := t.addYears(-age-1) + 1
	return between(g.r, lo, hi)
}

// bornMale draws the sex of a baby born in year: the sex ratio at birth
// rose from about 105 to about 111 boys per 100 girls in the 2000s.
func (g *gen) bornFemale(year int) bool {
	if year >= 2005 {
		return !chance(g.r, 111.0/211)
	}
	return !chance(g.r, 105.0/205)
}

// add appends a person to the chunk and the household being built.
func (g *gen) add(female bool, born day, eth, surname, rel string) int32 {
	i := int32(len(g.c.people))
	g.c.people = append(g.c.people, person{
		born: born, female: female, rel: rel,
		father: -1, mother: -1, spouse: -1, sibs: -1,
	})
	p := &g.c.people[i]
	p.rec.Ethnicity = eth
	p.family = surname
	p.rec.FullName = g.m.names.full(g.r, eth, surname, female, born.year())
	p.rec.MaritalStatus = registry.Single
	g.members = append(g.members, i)
	return i
}

// adult adds an adult of the household's group (or, for a spouse, now and
// then another group of the province, or Kinh).
func (g *gen) adult(female bool, age int, rel string, spouseOf int32) int32 {
	eth := g.ethCode()
	if spouseOf >= 0 && chance(g.r, 0.08) {
		eth = g.m.ethnicCode[g.prov.ethnic.draw(g.r)]
	}
	return g.add(female, g.birthday(age), eth, g.m.names.surname(g.r, eth, female), rel)
}

func (g *gen) marry(a, b int32) {
	pa, pb := &g.c.people[a], &g.c.people[b]
	pa.spouse, pb.spouse = b, a
	pa.rec.MaritalStatus, pb.rec.MaritalStatus = registry.Married, registry.Married
}

// couple adds a husband aged age and his wife, usually a few years younger.
func (g *gen) couple(age int, husbandRel, wifeRel string) (h, w int32) {
	gap := int(math.Round(g.r.NormFloat64()*3 + 3))
	gap = min(max(gap, -4), 14)
	wAge := max(age-gap, 18)
	h = g.adult(false, age, husbandRel, -1)
	w = g.adult(true, wAge, wifeRel, h)
	g.marry(h, w)
	return h, w
}

// children adds the children of mother (and father, if on record) who still
// live with them today: all the young ones, and a shrinking share of the
// grown-up ones. rel is their relationship to the head.
func (g *gen) children(mother, father int32, rel string) {
	mp := &g.c.people[mother]
	mBorn := mp.born
	dist := 0
	for dist < len(birthsByCohort)-1 && mBorn.year() < birthsByCohort[dist].bornFrom {
		dist++
	}
	n := g.m.births[dist].draw(g.r)
	if n == 0 {
		return
	}
	// First birth at about 24 (18 to 31), then every two to five years,
	// never after 42.
	at := mBorn.addYears(18) + day((g.r.Float64()+g.r.Float64()+g.r.Float64())*4.5*365)
	limit := mBorn.addYears(42)
	eth, surname := g.childLine(mother, father)
	sibs := mother
	for range n {
		if at > limit || at > g.m.today {
			break
		}
		female := g.bornFemale(at.year())
		age := ageAt(at, g.m.today)
		if age >= 18 && !chance(g.r, stayShare(age, female)) {
			at += day(550 + g.r.IntN(3*365))
			continue
		}
		c := g.add(female, at, eth, childSurname(surname, female, g.r), rel)
		cp := &g.c.people[c]
		cp.mother, cp.father, cp.sibs = mother, father, sibs
		at += day(550 + g.r.IntN(3*365))
	}
}

// childLine returns the ethnic group and family name children inherit:
// the father's for most peoples, the mother's for the matrilineal ones.
func (g *gen) childLine(mother, father int32) (eth, surname string) {
	mp := &g.c.people[mother]
	if father < 0 {
		eth = mp.rec.Ethnicity
		// The father is not on record; the name still comes from him.
		return eth, g.m.names.surname(g.r, eth, false)
	}
	fp := &g.c.people[father]
	if matrilineal(mp.rec.Ethnicity) {
		return mp.rec.Ethnicity, mp.family
	}
	return fp.rec.Ethnicity, fp.family
}

// stayShare is the probability that a grown-up child still lives with the
// parents at a given age. Daughters marry earlier and move to their
// husband's family; sons stay longer, and one often for good.
func stayShare(age int, female bool) float64 {
	var s float64
	switch {
	case age < 23:
		s = 0.75
	case age < 28:
		s = 0.5
	case age < 35:
		s = 0.28
	case age < 45:
		s = 0.12
	default:
		s = 0.05
	}
	if female {
		return s * 0.7
	}
	return min(s*1.25, 0.95)
}

func (g *gen) coupleHousehold() {
	band := g.m.ages.draw(g.r)
	age := 20 + 5*band + g.r.IntN(5)
	if age < 22 {
		age = 22
	}
	if age >= 65 && chance(g.r, float64(age-55)/60) {
		// Many old women are widows: the household of a couple whose
		// husband died before the records begin.
		g.widowHousehold(age)
		return
	}
	h, w := g.couple(age, registry.RelHead, registry.RelSpouse)
	g.children(w, h, registry.RelChild)
	hp := &g.c.people[h]
	switch {
	case age < 55 && chance(g.r, 0.25):
		// One or both of the husband's parents live with the family.
		fAge := age + 24 + g.r.IntN(10)
		if fAge > 100 {
			break
		}
		var f, mo int32 = -1, -1
		switch x := g.r.Float64(); {
		case x < 0.35 && fAge < 85:
			f, mo = g.couple(fAge, registry.RelParent, registry.RelParent)
		case x < 0.85:
			mo = g.adult(true, min(fAge-2, 99), registry.RelParent, -1)
			g.c.people[mo].rec.MaritalStatus = registry.Widowed
		default:
			f = g.adult(false, fAge, registry.RelParent, -1)
			g.c.people[f].rec.MaritalStatus = registry.Widowed
		}
		hp = &g.c.people[h]
		hp.father, hp.mother = f, mo
		if mo >= 0 {
			hp.sibs = mo
		} else {
			hp.sibs = f
		}
		if f >= 0 && !matrilineal(hp.rec.Ethnicity) {
			// The head carries his father's family name.
			fam := g.c.people[f].family
			hp.family = fam
			hp.rec.FullName = g.m.names.full(g.r, hp.rec.Ethnicity, fam, false, hp.born.year())
		}
	case age >= 52 && chance(g.r, 0.35):
		// A married son lives with his parents, with his wife and children.
		g.marriedSon(h, w)
	}
	if chance(g.r, 0.03) {
		// An unmarried brother or sister of the head.
		s := g.adult(chance(g.r, 0.5), max(age-3-g.r.IntN(10), 18), registry.RelSibling, -1)
		hp = &g.c.people[h]
		if hp.sibs < 0 {
			hp.sibs = h
		}
		g.c.people[s].sibs = hp.sibs
	}
}

// widowHousehold is headed by a widow whose husband died before the records
// begin, with her children and often a married son's family.
func (g *gen) widowHousehold(husbandAge int) {
	gap := min(max(int(math.Round(g.r.NormFloat64()*3+3)), -4), 14)
	w := g.adult(true, min(max(husbandAge-gap, 50), 99), registry.RelHead, -1)
	g.c.people[w].rec.MaritalStatus = registry.Widowed
	g.children(w, -1, registry.RelChild)
	if chance(g.r, 0.35) {
		g.marriedSon(-1, w)
	}
}

// marriedSon adds, to the household headed by h, a married son with his
// wife and their children.
func (g *gen) marriedSon(h, w int32) {
	var son int32 = -1
	for _, i := range g.members {
		p := &g.c.people[i]
		if p.mother == w && !p.female && ageAt(p.born, g.m.today) >= 22 {
			son = i
			break
		}
	}
	wp := &g.c.people[w]
	if son < 0 {
		mAge := ageAt(wp.born, g.m.today)
		age := mAge - 20 - g.r.IntN(12)
		if age < 22 {
			return
		}
		eth, surname := g.childLine(w, h)
		son = g.add(false, g.birthday(age), eth, childSurname(surname, false, g.r), registry.RelChild)
		sp := &g.c.people[son]
		sp.mother, sp.father, sp.sibs = w, h, w
	}
	age := ageAt(g.c.people[son].born, g.m.today)
	gap := min(max(int(math.Round(g.r.NormFloat64()*2.5+2.5)), -3), 10)
	dil := g.adult(true, max(age-gap, 18), registry.RelOther, son)
	g.marry(son, dil)
	g.children(dil, son, registry.RelGrandchild)
}

func (g *gen) singleParentHousehold() {
	female := chance(g.r, 0.8)
	age := 25 + g.r.IntN(36)
	p := g.adult(female, age, registry.RelHead, -1)
	pp := &g.c.people[p]
	switch x := g.r.Float64(); {
	case x < 0.5:
		pp.rec.MaritalStatus = registry.Divorced
	case x < 0.9 || !female:
		pp.rec.MaritalStatus = registry.Widowed
	}
	if female {
		g.children(p, -1, registry.RelChild)
		return
	}
	// A father alone: the mother is not on record here, so draw the
	// children directly.
	n := 1 + g.r.IntN(3)
	eth := pp.rec.Ethnicity
	surname := pp.family
	for range n {
		cAge := g.r.IntN(min(age-20, 25) + 1)
		f := g.bornFemale(g.m.today.year() - cAge)
		c := g.add(f, g.birthday(cAge), eth, childSurname(surname, f, g.r), registry.RelChild)
		cp := &g.c.people[c]
		cp.father, cp.sibs = p, p
	}
}

func (g *gen) aloneHousehold() {
	var age int
	var female bool
	status := registry.Single
	switch x := g.r.Float64(); {
	case x < 0.3:
		age, female = 20+g.r.IntN(15), chance(g.r, 0.3)
	case x < 0.55:
		age, female = 35+g.r.IntN(25), chance(g.r, 0.4)
		switch y := g.r.Float64(); {
		case y < 0.4:
			status = registry.Divorced
		case y < 0.6:
			status = registry.Widowed
		}
	default:
		age, female = 60+g.r.IntN(38), chance(g.r, 0.68)
		switch y := g.r.Float64(); {
		case y < 0.8:
			status = registry.Widowed
		case y < 0.85:
			status = registry.Divorced
		}
	}
	p := g.adult(female, age, registry.RelHead, -1)
	g.c.people[p].rec.MaritalStatus = status
}

// skippedHousehold is grandparents bringing up grandchildren whose parents
// work elsewhere.
func (g *gen) skippedHousehold() {
	age := 55 + g.r.IntN(26)
	var head, surnameFrom int32
	if chance(g.r, 0.6) {
		head, _ = g.couple(age, registry.RelHead, registry.RelSpouse)
		surnameFrom = head
	} else {
		head = g.adult(true, age, registry.RelHead, -1)
		g.c.people[head].rec.MaritalStatus = registry.Widowed
		surnameFrom = -1
	}
	eth := g.c.people[head].rec.Ethnicity
	var surname string
	if surnameFrom >= 0 {
		surname = g.c.people[surnameFrom].family
	} else {
		surname = g.m.names.surname(g.r, eth, false)
	}
	n := 1 + g.r.IntN(3)
	sibs := int32(len(g.c.people))
	for range n {
		cAge := g.r.IntN(16)
		f := g.bornFemale(g.m.today.year() - cAge)
		c := g.add(f, g.birthday(cAge), eth, childSurname(surname, f, g.r), registry.RelGrandchild)
		g.c.people[c].sibs = sibs
	}
}

// siblingsHousehold is grown-up brothers and sisters sharing a home, as
// students and young workers in the cities do.
func (g *gen) siblingsHousehold() {
	age := 19 + g.r.IntN(14)
	eth := g.ethCode()
	surname := g.m.names.surname(g.r, eth, false)
	hf := chance(g.r, 0.5)
	head := g.add(hf, g.birthday(age), eth, childSurname(surname, hf, g.r), registry.RelHead)
	g.c.people[head].sibs = head
	n := 1 + g.r.IntN(2)
	for range n {
		f := chance(g.r, 0.5)
		s := g.add(f, g.birthday(max(age-1-g.r.IntN(6), 18)), eth, childSurname(surname, f, g.r), registry.RelSibling)
		g.c.people[s].sibs = head
	}
}

// finishHousehold records the household and draws what is left of each
// member's record.
func (g *gen) finishHousehold() {
	hi := int32(len(g.c.households))
	members := make([]int32, len(g.members))
	copy(members, g.members)
	head := &g.c.people[members[0]]

	// The household was registered at its address when the head came of
	// age or later; everyone moved in then or was born there.
	lo := max(head.born.addYears(18), dayOf(1980, 1, 1))
	from := between(g.r, lo, goLive-1)
	for _, i := range members {
		if b := g.c.people[i].born; b > goLive-1 && b < from {
			from = b
		}
	}
	if from > goLive-1 {
		from = goLive - 1
	}
	relig := religions[g.religion(head.rec.Ethnicity)]
	h := hh{members: members}
	h.addr = registry.Residence{Province: g.prov.code, Commune: g.comm.code, Address: g.address(head.rec.Ethnicity), ValidFrom: from.date()}
	g.c.households = append(g.c.households, h)

	for _, i := range members {
		p := &g.c.people[i]
		p.hh = hi
		p.residence = g.prov
		p.rec.Religion = relig
		p.resFrom = max(from, p.born)
		if p.spouse >= 0 && p.rel == registry.RelOther {
			// A daughter-in-law moved in on marriage.
			p.resFrom = max(p.resFrom, min(p.born.addYears(20+g.r.IntN(6)), goLive-1))
		}
	}
	for _, i := range members {
		g.finishPerson(i)
	}
	// Three passes carry the hometown down three generations.
	for pass := range 3 {
		for _, i := range members {
			g.hometown(i, pass)
		}
	}
	g.deaths(members)
}

// religion draws the household's religion from its ethnic group's or its
// province's distribution.
func (g *gen) religion(eth string) int {
	if a := g.m.religionBy[eth]; a != nil {
		return a.draw(g.r)
	}
	return g.prov.religion.draw(g.r)
}

// hometown sets quê quán, which follows the father (or the mother when no
// father is on record): pass 0 draws the place of everyone, later passes
// copy it down the generations.
func (g *gen) hometown(i int32, pass int) {
	p := &g.c.people[i]
	from := p.father
	if from < 0 {
		from = p.mother
	}
	switch {
	case from >= 0 && pass > 0:
		p.rec.Hometown = g.c.people[from].rec.Hometown
	case pass == 0:
		// Someone with no parent on record here comes from where their
		// birth was registered, in today's units.
		pr := g.prov
		if p.birthOld >= 0 {
			pr = g.m.provinces[g.m.old[p.birthOld].successor]
		}
		c := pr.communes[g.r.IntN(len(pr.communes))]
		p.rec.Hometown = registry.Place{Province: pr.code, Commune: c.code}
	}
}

// finishPerson draws the birth registration place and PIN, the identity
// documents, and the contact details.
func (g *gen) finishPerson(i int32) {
	p := &g.c.people[i]
	r := g.r
	today := g.m.today
	p.rec.Nationality = "VN"
	if p.born > goLive {
		p.reg = min(p.born+day(3+r.IntN(40)), today)
	} else {
		p.reg = p.born
	}
	year := p.born.year()
	sex := pin.Male
	p.rec.Sex = registry.Male
	if p.female {
		sex = pin.Female
		p.rec.Sex = registry.Female
	}

	// Where the birth was registered: a 2025 province from the reform on,
	// before it an old province, usually one merged into where the person
	// lives now; adults are often migrants.
	var prefix string
	var old *oldProv
	p.birthOld = -1
	if p.reg >= reform {
		prefix = g.prov.pinPrefix
		old = g.m.old[g.prov.oldForPost]
		p.rec.BirthRegistrationPlace = registry.Place{Province: g.prov.code, Commune: g.comm.code}
	} else {
		share := 0.05
		if age := ageAt(p.born, today); age >= 18 {
			share = g.prov.migrants * 1.25
		}
		oi := g.prov.locals[g.prov.local.draw(r)]
		if chance(r, share) {
			oi = g.prov.origin.draw(r)
		}
		old, p.birthOld = g.m.old[oi], int16(oi)
		prefix = old.prefix
		p.rec.BirthRegistrationPlace = registry.Place{Province: old.code}
	}
	p.rec.PlaceOfBirth = p.rec.BirthRegistrationPlace
	var err error
	if p.pin, err = pin.Random(prefix, year, sex, r); err != nil {
		panic("synth: cannot build a PIN: " + err.Error()) // the tables guarantee valid parts
	}

	// Old records often know only the year of birth, or year and month.
	p.rec.BirthDate = p.born.date()
	if year < 1950 {
		switch x := r.Float64(); {
		case x < 0.2:
			p.rec.BirthDate.Month, p.rec.BirthDate.Day = 0, 0
		case x < 0.25:
			p.rec.BirthDate.Day = 0
		}
	}

	g.documents(p, old)

	ageLive := ageAt(p.born, goLive)
	if ageLive >= 16 && chance(r, phoneShare(ageLive)) {
		g.buf = append(g.buf[:0], phonePrefixes[g.m.phone.draw(r)].prefix...)
		g.buf = appendDigits(g.buf, r.IntN(1e7), 7)
		p.rec.Phone = string(g.buf)
		if ageLive >= 18 && ageLive < 60 && chance(r, 0.3-float64(ageLive)/300) {
			p.rec.Email = g.email(p)
		}
	}
	if chance(r, 0.35) {
		p.rec.BloodType = bloodTypes[g.m.blood.draw(r)]
	}
}

// appendDigits appends v as exactly n decimal digits.
func appendDigits(b []byte, v, n int) []byte {
	var d [20]byte
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:n]...)
}

func phoneShare(age int) float64 {
	switch {
	case age < 70:
		return 0.9
	case age < 80:
		return 0.6
	}
	return 0.3
}

// email makes an address from the person's name the way people do:
// given name, initials of the rest, and a birth year or a number.
func (g *gen) email(p *person) string {
	key := vntext.Key(p.rec.FullName)
	words := splitSpaces(key)
	b := g.buf[:0]
	r := g.r
	last := words[len(words)-1]
	switch r.IntN(3) {
	case 0:
		b = append(b, last...)
		for _, w := range words[:len(words)-1] {
			b = append(b, w[0])
		}
	case 1:
		for _, w := range words {
			b = append(b, w...)
		}
	default:
		b = append(b, last...)
		b = append(b, '.')
		b = append(b, words[0]...)
	}
	if r.IntN(2) == 0 {
		b = strconv.AppendInt(b, int64(p.born.year()), 10)
	} else {
		b = strconv.AppendInt(b, int64(r.IntN(1000)), 10)
	}
	b = append(b, '@')
	b = append(b, emailDomains[r.IntN(len(emailDomains))]...)
	g.buf = b
	return string(b)
}

// splitSpaces splits an ASCII key on single spaces.
func splitSpaces(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	if len(out) == 0 {
		out = append(out, "user")
	}
	return out
}

// documents draws the identity cards: an old CMND for most people who came
// of age before chip cards, and a chip card for about nine in ten people of
// 14 or over, renewed at the ages the law sets.
func (g *gen) documents(p *person, old *oldProv) {
	r := g.r
	today := g.m.today
	at14 := p.born.addYears(14)
	if at14 <= lastCMND && p.born.year() < 2006 {
		share := 0.92
		if p.born.year() >= 1995 {
			share = 0.5
		}
		if chance(r, share) {
			p.cmnd = between(r, max(at14, dayOf(2006, 1, 1)), lastCMND)
			pref := old.cmnd
			if p.residence != nil && chance(r, 0.5) {
				pref = g.m.old[p.residence.oldForPost].cmnd
			}
			g.buf = append(g.buf[:0], pref...)
			g.buf = appendDigits(g.buf, r.IntN(1e7), 7)
			p.rec.OldIDNumber = string(g.buf)
		}
	}
	if !chance(r, 0.895) {
		return
	}
	var issue day
	if at14 <= chipStart {
		switch x := r.Float64(); {
		case x < 0.65:
			issue = between(r, chipStart, goLive-1)
		case x < 0.88:
			issue = between(r, goLive+1, dayOf(2022, 12, 31))
		default:
			issue = between(r, dayOf(2023, 1, 1), today)
		}
	} else {
		issue = at14 + day(r.IntN(400))
	}
	if issue > today {
		return
	}
	p.cards[0], p.ncards = issue, 1
	// Renew a card that expired, usually in the months around its expiry.
	exp := registry.CardExpiry(p.birthDate(), issue.date())
	if exp.IsZero() {
		return
	}
	e := dayOfDate(exp)
	if e <= today && chance(r, 0.6) {
		renew := e + day(r.IntN(150)-30)
		if renew > issue && renew <= today {
			p.cards[1], p.ncards = renew, 2
		}
	}
}

// birthDate returns the recorded date of birth (possibly partial), which
// card expiry is reckoned from.
func (p *person) birthDate() registry.Date {
	if p.rec.BirthDate.IsZero() {
		return p.born.date()
	}
	return p.rec.BirthDate
}

// deaths decides who of the household dies between go-live and today, with
// annual probabilities rising with age (a Gompertz curve near Viet Nam's
// life table: about 1% a year at 60, 6% at 80 for men; women 40% less),
// giving a crude death rate near 6 per 1,000. Nobody dies before the birth
// of their own children, and cards are not issued after death.
func (g *gen) deaths(members []int32) {
	today := g.m.today
	years := float64(today-goLive) / 365.25
	for _, i := range members {
		p := &g.c.people[i]
		var pd float64
		if p.born > goLive {
			pd = 0.004
		} else {
			q := annualDeath(ageAt(p.born, goLive), p.female)
			pd = 1 - math.Pow(1-q, years)
		}
		if !chance(g.r, pd) {
			continue
		}
		// Nobody dies before a birth registered into the household, so
		// that parents live to see their children registered and no baby
		// joins a household that has ceased to exist.
		lo := max(goLive+1, p.reg+1)
		for _, j := range members {
			if c := &g.c.people[j]; c.born > goLive && c.reg >= lo {
				lo = c.reg + 1
			}
		}
		if lo > today {
			continue
		}
		p.died = between(g.r, lo, today)
		// Cards issued after death never were.
		for p.ncards > 0 && p.cards[p.ncards-1] >= p.died {
			p.ncards--
		}
	}
}

// annualDeath is the probability of dying within a year at a given age.
func annualDeath(age int, female bool) float64 {
	var q float64
	switch {
	case age < 1:
		q = 0.012
	case age < 5:
		q = 0.001
	case age < 15:
		q = 0.0003
	default:
		q = 0.0004 + 0.00006*math.Exp(0.093*float64(age))
		if female {
			q *= 0.6
		}
	}
	return min(q, 0.5)
}

// address writes a plausible address line for the household's commune:
// house numbers, lanes and streets in wards, hamlets and villages in rural
// communes, with the regional words for each.
func (g *gen) address(eth string) string {
	r := g.r
	b := g.buf[:0]
	if g.comm.ward {
		num := 1 + r.IntN(250)
		street := streets[r.IntN(len(streets))]
		switch g.prov.style {
		case addrNorth:
			switch x := r.IntN(10); {
			case x < 4:
				b = append(b, "Số "...)
				b = strconv.AppendInt(b, int64(num%90+1), 10)
				b = append(b, ", ngõ "...)
				b = strconv.AppendInt(b, int64(num), 10)
				b = append(b, ", đường "...)
				b = append(b, street...)
			case x < 5:
				b = append(b, "Số "...)
				b = strconv.AppendInt(b, int64(1+r.IntN(40)), 10)
				b = append(b, ", ngách "...)
				b = strconv.AppendInt(b, int64(1+r.IntN(60)), 10)
				b = append(b, ", ngõ "...)
				b = strconv.AppendInt(b, int64(num), 10)
				b = append(b, ", đường "...)
				b = append(b, street...)
			case x < 8:
				b = append(b, "Số "...)
				b = strconv.AppendInt(b, int64(num), 10)
				b = append(b, " đường "...)
				b = append(b, street...)
			default:
				b = append(b, "Tổ dân phố số "...)
				b = strconv.AppendInt(b, int64(1+r.IntN(30)), 10)
			}
		case addrHue:
			switch x := r.IntN(10); {
			case x < 5:
				b = append(b, "Số "...)
				b = strconv.AppendInt(b, int64(1+r.IntN(60)), 10)
				b = append(b, ", kiệt "...)
				b = strconv.AppendInt(b, int64(num), 10)
				b = append(b, ", đường "...)
				b = append(b, street...)
			case x < 8:
				b = append(b, "Số "...)
				b = strconv.AppendInt(b, int64(num), 10)
				b = append(b, " đường "...)
				b = append(b, street...)
			default:
				b = append(b, "Tổ "...)
				b = strconv.AppendInt(b, int64(1+r.IntN(40)), 10)
			}
		default:
			switch x := r.IntN(10); {
			case x < 4:
				b = append(b, "Số "...)
				b = strconv.AppendInt(b, int64(num), 10)
				b = append(b, '/')
				b = strconv.AppendInt(b, int64(1+r.IntN(80)), 10)
				b = append(b, " đường "...)
				b = append(b, street...)
			case x < 6:
				b = append(b, "Số "...)
				b = strconv.AppendInt(b, int64(1+r.IntN(60)), 10)
				b = append(b, ", hẻm "...)
				b = strconv.AppendInt(b, int64(num), 10)
				b = append(b, ", đường "...)
				b = append(b, street...)
			default:
				b = append(b, "Số "...)
				b = strconv.AppendInt(b, int64(num), 10)
				b = append(b, " đường "...)
				b = append(b, street...)
				b = append(b, ", khu phố "...)
				b = strconv.AppendInt(b, int64(1+r.IntN(12)), 10)
			}
		}
		g.buf = b
		return string(b)
	}
	// Rural communes: the village word depends on region and people.
	var word string
	var names []string
	switch eth {
	case "12":
		word, names = "Buôn ", buonNames
	case "10", "13", "14", "27":
		if r.IntN(2) == 0 {
			word, names = "Plei ", pleiNames
		} else {
			word, names = "Làng ", pleiNames
		}
	case "03", "08", "09", "35", "29", "25":
		word, names = "Bản ", banNames
	case "05":
		word, names = "Ấp ", socNames
	default:
		switch g.prov.style {
		case addrSouth:
			if g.prov.code >= "75" {
				word = "Ấp "
			} else {
				word = "Thôn "
			}
		default:
			if r.IntN(4) == 0 {
				word = "Xóm "
			} else {
				word = "Thôn "
			}
		}
		names = hamletNames
	}
	if r.IntN(5) == 0 {
		b = append(b, "Số nhà "...)
		b = strconv.AppendInt(b, int64(1+r.IntN(200)), 10)
		b = append(b, ", "...)
		// Lower-case the village word after a comma.
		b = append(b, lowerVillage(word)...)
	} else {
		b = append(b, word...)
	}
	if names != nil && r.IntN(3) > 0 {
		b = append(b, names[r.IntN(len(names))]...)
	} else {
		b = strconv.AppendInt(b, int64(1+r.IntN(15)), 10)
	}
	g.buf = b
	return string(b)
}

func lowerVillage(w string) string {
	switch w {
	case "Thôn ":
		return "thôn "
	case "Xóm ":
		return "xóm "
	case "Ấp ":
		return "ấp "
	case "Bản ":
		return "bản "
	case "Buôn ":
		return "buôn "
	case "Làng ":
		return "làng "
	case "Plei ":
		return "plei "
	}
	return w
}

package testbed

import (
	"math/rand/v2"
	"strconv"

	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
)

// Pair is a true duplicate: the original record's PIN and its copy's.
type Pair struct {
	Original, Duplicate string
}

// Duplicator makes duplicate records: a person registered a second time
// under another PIN, with the noise of a second registration.
type Duplicator struct {
	rng  *rand.Rand
	c    *Corrupter
	used map[string]bool // PINs drawn for copies
}

// NewDuplicator returns a Duplicator whose choices depend only on seed.
func NewDuplicator(seed uint64) *Duplicator {
	return &Duplicator{
		rng:  rand.New(rand.NewPCG(seed, 0x6475706c)),
		c:    NewCorrupter(seed ^ 0xd0b1e),
		used: map[string]bool{},
	}
}

// Pick reports, with probability rate, that the next person seen is to be
// duplicated: a stream of people calls it once for each, keeps those
// picked, and duplicates them once every PIN of the stream is Reserved.
func (d *Duplicator) Pick(rate float64) bool { return d.rng.Float64() < rate }

// Reserve marks PINs as taken, so that no copy is given one of them.
func (d *Duplicator) Reserve(pins ...string) {
	for _, p := range pins {
		d.used[p] = true
	}
}

// Duplicate returns a corrupted copy of p (Corrupter.Random) under a new
// PIN of the same birth year and sex, registered in the same province as
// p's number or, one time in four, in another, and linked to nothing: no
// LinkedPINs, no household. A dead person's copy says alive (the death was
// recorded on one record only), and Died is among the kinds returned.
// The new PIN is one neither Reserved nor given to an earlier copy.
func (d *Duplicator) Duplicate(p *registry.Person) (*registry.Person, []Kind) {
	q, kinds := d.c.Random(p)
	q.LinkedPINs, q.HouseholdID, q.RelationshipToHead = nil, "", ""
	q.Children, q.Spouse = nil, nil
	if p.Status.State != registry.Alive {
		q.Status = registry.Status{State: registry.Alive}
		kinds = append(kinds, Died)
	}
	prefix, year, sex := "001", p.BirthDate.Year, pin.Male
	if old, err := pin.Parse(p.PIN); err == nil {
		prefix, sex = old.ProvinceCode(), old.Sex()
		if year == 0 {
			year = old.BirthYear()
		}
	}
	if d.rng.IntN(4) == 0 {
		ps := pin.Provinces()
		prefix = ps[d.rng.IntN(len(ps))].Code
		q.BirthRegistrationPlace = registry.Place{Province: prefix[1:]}
	}
	for {
		np, err := pin.New(prefix, year, sex, 900000+d.rng.IntN(100000))
		if err != nil {
			// A year a PIN cannot encode: keep the copy's number unique
			// all the same.
			q.PIN = "9" + strconv.Itoa(100000000000 + d.rng.IntN(899999999999))[1:]
			break
		}
		if s := np.String(); !d.used[s] {
			d.used[s] = true
			q.PIN = s
			break
		}
	}
	return q, kinds
}

// Duplicates picks each person with probability rate and returns a
// duplicate of each one picked, with the true pairs, in the order of
// people. No copy takes the PIN of anyone in people.
func Duplicates(people []*registry.Person, rate float64, seed uint64) ([]*registry.Person, []Pair) {
	d := NewDuplicator(seed)
	var picked []*registry.Person
	for _, p := range people {
		d.Reserve(p.PIN)
		if d.Pick(rate) {
			picked = append(picked, p)
		}
	}
	dups := make([]*registry.Person, len(picked))
	pairs := make([]Pair, len(picked))
	for i, p := range picked {
		dups[i], _ = d.Duplicate(p)
		pairs[i] = Pair{Original: p.PIN, Duplicate: dups[i].PIN}
	}
	return dups, pairs
}

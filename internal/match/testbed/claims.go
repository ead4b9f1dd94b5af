package testbed

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/dancu/dancu/internal/match/compare"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/vntext"
)

// Claim is what a verification request says about a person, with the
// truth about it.
type Claim struct {
	// PIN is the number the claim is about.
	PIN string
	// Attributes are the attributes claimed.
	Attributes compare.Attributes
	// SamePerson reports whether the attributes describe the PIN's holder
	// (possibly corrupted): the answer verification must give MATCH to,
	// and the only one it may.
	SamePerson bool
	// Deceased reports whether the PIN's holder is recorded as dead or
	// missing; verification says so rather than MATCH.
	Deceased bool
	// Corruptions lists what was done to the attributes; OtherPIN when
	// they are another person's, Died when the holder is dead.
	Corruptions []Kind
}

// ClaimMix says how Claims draws: the fractions of clean claims (the
// holder's attributes as recorded) and of claims carrying another person's
// PIN; the rest are the holder's attributes corrupted by
// Corrupter.Random.
type ClaimMix struct {
	Clean, OtherPIN float64
}

// DefaultClaimMix is 20% clean, 15% another person's PIN, 65% corrupted.
var DefaultClaimMix = ClaimMix{Clean: 0.20, OtherPIN: 0.15}

// AttributesOf returns the attributes of p that a verification claim
// gives: name, date of birth, sex, permanent address and phone.
func AttributesOf(p *registry.Person) compare.Attributes {
	a := compare.Attributes{FullName: p.FullName, BirthDate: p.BirthDate, Sex: p.Sex, Phone: p.Phone}
	if r := p.PermanentResidence; r != nil {
		a.Address, a.Province, a.Commune = r.Address, r.Province, r.Commune
	}
	return a
}

// Claims draws n claims about people (n may exceed len(people); people are
// drawn with replacement). A claim with another person's PIN takes, half
// the time, the nearest person of the same sex and birth year in
// accent-free name order — a namesake or near namesake, the hard case —
// and otherwise anyone.
func Claims(people []*registry.Person, n int, seed uint64, mix ClaimMix) []Claim {
	if len(people) < 2 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x636c61696d73))
	c := NewCorrupter(seed ^ 0x5eed)
	// Neighbours: people sorted by (sex, birth year, name key).
	order := make([]int, len(people))
	for i := range order {
		order[i] = i
	}
	keys := make([]string, len(people))
	for i, p := range people {
		keys[i] = vntext.Key(p.FullName)
	}
	slices.SortFunc(order, func(a, b int) int {
		pa, pb := people[a], people[b]
		return cmp.Or(cmp.Compare(pa.Sex, pb.Sex), cmp.Compare(pa.BirthDate.Year, pb.BirthDate.Year),
			cmp.Compare(keys[a], keys[b]), cmp.Compare(pa.PIN, pb.PIN))
	})
	rank := make([]int, len(people))
	for r, i := range order {
		rank[i] = r
	}
	out := make([]Claim, 0, n)
	for range n {
		i := rng.IntN(len(people))
		holder := people[i]
		cl := Claim{PIN: holder.PIN, Deceased: holder.Status.State != registry.Alive}
		switch x := rng.Float64(); {
		case x < mix.OtherPIN:
			var j int
			if rng.IntN(2) == 0 {
				r := rank[i] + 1
				if r == len(order) || rng.IntN(2) == 0 && rank[i] > 0 {
					r = rank[i] - 1
				}
				j = order[r]
			} else {
				for j = i; j == i; j = rng.IntN(len(people)) {
				}
			}
			other := people[j]
			cl.PIN, cl.Deceased = other.PIN, other.Status.State != registry.Alive
			cl.Attributes = AttributesOf(holder)
			cl.Corruptions = []Kind{OtherPIN}
		case x < mix.OtherPIN+mix.Clean:
			cl.SamePerson = true
			cl.Attributes = AttributesOf(holder)
		default:
			q, kinds := c.Random(holder)
			cl.SamePerson = true
			cl.Attributes = AttributesOf(q)
			cl.Corruptions = kinds
		}
		if cl.Deceased {
			cl.Corruptions = append(cl.Corruptions, Died)
		}
		out = append(out, cl)
	}
	return out
}

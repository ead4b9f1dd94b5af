package testbed

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/dancu/dancu/internal/match/compare"
	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
)

func samplePerson() *registry.Person {
	return &registry.Person{
		PIN: "079185000123", FullName: "Nguyễn Thị Thanh Thuỷ", BirthDate: registry.MustParseDate("1985-03-02"),
		Sex: registry.Female, Phone: "0912345678",
		Father:             &registry.Relative{FullName: "Nguyễn Văn Hòa"},
		Mother:             &registry.Relative{FullName: "Trần Thị Lụa"},
		PermanentResidence: &registry.Residence{Province: "79", Commune: "26734", Address: "Số 12 đường Nguyễn Trãi"},
		Status:             registry.Status{State: registry.Alive},
	}
}

func TestCorrupter_Copy(t *testing.T) {
	tests := []struct {
		kind  Kind
		check func(p *registry.Person) bool
	}{
		{DiacriticsDropped, func(p *registry.Person) bool { return p.FullName == "Nguyen Thi Thanh Thuy" }},
		{TonePlacement, func(p *registry.Person) bool { return p.FullName == "Nguyễn Thị Thanh Thủy" }},
		{MiddleMissing, func(p *registry.Person) bool { return p.FullName == "Nguyễn Thuỷ" }},
		{MiddleSwapped, func(p *registry.Person) bool { return p.FullName == "Nguyễn Thanh Thị Thuỷ" }},
		{DayMonthSwapped, func(p *registry.Person) bool { return p.BirthDate == registry.MustParseDate("1985-02-03") }},
		{YearOnly, func(p *registry.Person) bool { return p.BirthDate == registry.Date{Year: 1985} }},
		{YearMonthOnly, func(p *registry.Person) bool { return p.BirthDate == registry.Date{Year: 1985, Month: 3} }},
		{DayTypo, func(p *registry.Person) bool {
			d := p.BirthDate
			return d.Year == 1985 && d.Month == 3 && d.Day != 2 && d.Validate() == nil
		}},
		{PhoneDropped, func(p *registry.Person) bool { return p.Phone == "" }},
		{ParentsUnaccented, func(p *registry.Person) bool {
			return p.Father.FullName == "Nguyen Van Hoa" && p.Mother.FullName == "Tran Thi Lua"
		}},
		{ParentsMissing, func(p *registry.Person) bool { return p.Father == nil && p.Mother == nil }},
		{Moved, func(p *registry.Person) bool {
			r := p.PermanentResidence
			return r.Commune != "26734" && r.Address != "Số 12 đường Nguyễn Trãi"
		}},
		{NameTypo, func(p *registry.Person) bool {
			n := compare.Names(compare.ParseName(p.FullName), compare.ParseName("Nguyễn Thị Thanh Thuỷ"))
			return n == compare.Close || n == compare.Partial
		}},
		{WrongTone, func(p *registry.Person) bool {
			a, b := compare.ParseName(p.FullName), compare.ParseName("Nguyễn Thị Thanh Thuỷ")
			return a.Key == b.Key && a.Fold != b.Fold
		}},
		{DiacriticsPartly, func(p *registry.Person) bool {
			a, b := compare.ParseName(p.FullName), compare.ParseName("Nguyễn Thị Thanh Thuỷ")
			return a.Key == b.Key && a.Fold != b.Fold
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			for seed := range uint64(20) {
				orig := samplePerson()
				q, applied := NewCorrupter(seed).Copy(orig, tt.kind)
				if !reflect.DeepEqual(orig, samplePerson()) {
					t.Fatal("Copy changed the original")
				}
				if !slices.Equal(applied, []Kind{tt.kind}) {
					t.Fatalf("applied = %v, want [%s]", applied, tt.kind)
				}
				if !tt.check(q) {
					t.Fatalf("seed %d: copy %+v does not show %s", seed, q, tt.kind)
				}
			}
		})
	}
}

// TestCorrupter_moved: a move is to another commune of the same province
// about two times in three, and otherwise to another province.
func TestCorrupter_moved(t *testing.T) {
	c := NewCorrupter(5)
	same, other := 0, 0
	for range 3000 {
		q, _ := c.Copy(samplePerson(), Moved)
		switch r := q.PermanentResidence; {
		case r.Commune == "26734":
			t.Fatal("a move kept the commune")
		case r.Province == "79":
			same++
		default:
			other++
		}
	}
	if same < 1800 || same > 2200 || other < 800 || other > 1200 {
		t.Errorf("moves: %d in the province, %d to another; want about 2,000 and 1,000", same, other)
	}
}

func TestCorrupter_CopyNothingToDo(t *testing.T) {
	p := samplePerson()
	p.BirthDate = registry.MustParseDate("1985-03-20")
	p.Phone = ""
	_, applied := NewCorrupter(1).Copy(p, DayMonthSwapped, PhoneDropped, Died)
	if len(applied) != 0 {
		t.Errorf("applied = %v, want none", applied)
	}
}

func TestCorrupter_Random(t *testing.T) {
	a, b := NewCorrupter(7), NewCorrupter(7)
	for range 200 {
		p := samplePerson()
		qa, ka := a.Random(p)
		qb, kb := b.Random(p)
		if !reflect.DeepEqual(qa, qb) || !slices.Equal(ka, kb) {
			t.Fatal("same seed, different copies")
		}
		if len(ka) == 0 {
			t.Fatal("Random changed nothing")
		}
	}
}

var (
	popOnce sync.Once
	pop     []*registry.Person
	popErr  error
)

// population returns a shared synthetic population of 20,000 people.
func population(t testing.TB) []*registry.Person {
	popOnce.Do(func() { pop, popErr = People(context.Background(), 20000, 42) })
	if popErr != nil {
		t.Fatal(popErr)
	}
	return pop
}

func TestPeople_currentVersions(t *testing.T) {
	people := population(t)
	if len(people) != 20000 {
		t.Fatalf("got %d people, want 20000", len(people))
	}
	seen := map[string]bool{}
	dead := 0
	for _, p := range people {
		if seen[p.PIN] {
			t.Fatalf("PIN seen twice")
		}
		seen[p.PIN] = true
		if p.Status.State == registry.Dead {
			dead++
		}
	}
	if dead == 0 {
		t.Error("no dead people: the current versions were not taken")
	}
}

func TestClaims(t *testing.T) {
	people := population(t)
	claims := Claims(people, 5000, 1, DefaultClaimMix)
	if again := Claims(people, 5000, 1, DefaultClaimMix); !reflect.DeepEqual(claims, again) {
		t.Fatal("same seed, different claims")
	}
	byPIN := map[string]*registry.Person{}
	for _, p := range people {
		byPIN[p.PIN] = p
	}
	var other, dead int
	for _, c := range claims {
		holder := byPIN[c.PIN]
		if holder == nil {
			t.Fatal("claim about an unknown PIN")
		}
		if c.Deceased != (holder.Status.State != registry.Alive) {
			t.Fatal("Deceased does not follow the holder's status")
		}
		if c.Deceased != slices.Contains(c.Corruptions, Died) {
			t.Fatal("Died mark does not follow Deceased")
		}
		if c.Deceased {
			dead++
		}
		if !c.SamePerson {
			other++
			if c.Attributes.FullName == holder.FullName && c.Attributes.BirthDate == holder.BirthDate && c.Attributes.Phone == holder.Phone && holder.Phone != "" {
				t.Fatal("another person's claim carries the holder's attributes")
			}
		}
	}
	if other < 600 || other > 900 {
		t.Errorf("%d claims with another PIN out of 5000, want about 15%%", other)
	}
	if dead == 0 {
		t.Error("no claim about a dead person")
	}
}

// TestScore_testbed measures compare.Score at DefaultThreshold on the test
// bed: precision at least 99.9% (claims with another person's PIN scoring
// above it), and recall of the true person at least 98%.
func TestScore_testbed(t *testing.T) {
	people := population(t)
	byPIN := map[string]*registry.Person{}
	for _, p := range people {
		byPIN[p.PIN] = p
	}
	claims := Claims(people, 20000, 2, DefaultClaimMix)
	var tp, fp, fn int
	missed := map[Kind]int{}
	for _, c := range claims {
		s := compare.Score(c.Attributes, AttributesOf(byPIN[c.PIN])).Score
		match := s >= compare.DefaultThreshold
		switch {
		case match && c.SamePerson:
			tp++
		case match:
			fp++
		case c.SamePerson:
			fn++
			for _, k := range c.Corruptions {
				missed[k]++
			}
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("threshold %d: precision %.5f, recall %.5f (tp %d, fp %d, fn %d); misses by corruption %v",
		compare.DefaultThreshold, precision, recall, tp, fp, fn, missed)
	if precision < 0.999 {
		t.Errorf("precision %.5f < 0.999", precision)
	}
	if recall < 0.98 {
		t.Errorf("recall %.5f < 0.98", recall)
	}
}

func TestDuplicates(t *testing.T) {
	people := population(t)
	dups, pairs := Duplicates(people, 0.01, 3)
	if len(dups) < 150 || len(dups) > 260 {
		t.Fatalf("%d duplicates of 20000 at 1%%", len(dups))
	}
	taken := map[string]bool{}
	for _, p := range people {
		taken[p.PIN] = true
	}
	for i, d := range dups {
		if taken[d.PIN] {
			t.Fatal("a copy took a PIN in use")
		}
		taken[d.PIN] = true
		if _, err := pin.Parse(d.PIN); err != nil {
			t.Fatalf("copy PIN invalid: %v", err)
		}
		if pairs[i].Duplicate != d.PIN || pairs[i].Original == d.PIN {
			t.Fatal("pairs do not follow the copies")
		}
	}
	again, _ := Duplicates(people, 0.01, 3)
	if !reflect.DeepEqual(dups, again) {
		t.Fatal("same seed, different duplicates")
	}
}

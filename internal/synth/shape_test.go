package synth

import (
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/units"
)

// TestGenerate_shape checks that the population looks like Viet Nam's in the
// aggregate. The bounds are wide enough for sampling noise at testCitizens
// and narrow enough to catch a broken table.
func TestGenerate_shape(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the full test population")
	}
	p := testPopulation(t)
	today := p.opts.today()
	years := float64(today-goLive) / 365.25

	var alive, males, kinh, adults14, cards14, young, youngM, old, oldM, migrants, bornBefore int
	var minorityNames, apostrophes, cmndOld, bornOld int
	var bands [18]int
	for _, r := range p.current {
		born := dayOfDate(r.BirthDate)
		if first := p.persons[r.PIN][0]; first.EventType == evInitial || born < reform {
			bornBefore++
			if s, ok := units.Successor(r.BirthRegistrationPlace.Province); ok && s.Code != r.PermanentResidence.Province {
				migrants++
			}
		}
		if strings.Contains(r.FullName, "'") {
			apostrophes++
		}
		if r.Status.State != registry.Alive {
			continue
		}
		alive++
		age := ageAt(born, today)
		bands[min(age/5, 17)]++
		male := r.Sex == registry.Male
		if male {
			males++
		}
		if r.Ethnicity == "01" {
			kinh++
		} else {
			minorityNames++
		}
		if age >= 14 {
			adults14++
			for _, d := range r.Documents {
				if d.Chip && d.Status == "valid" {
					cards14++
					break
				}
			}
		}
		if age < 10 {
			young++
			if male {
				youngM++
			}
		}
		if age >= 75 {
			old++
			if male {
				oldM++
			}
		}
		if r.BirthDate.Year < 1995 {
			bornOld++
			if r.OldIDNumber != "" {
				cmndOld++
			}
		}
	}
	var households, members int
	for _, h := range p.currentHH {
		if h.Head != "" {
			households++
			members += len(h.Members)
		}
	}
	ratio := func(m, all int) float64 { return float64(m) / float64(all-m) }
	share := func(a, b int) float64 { return float64(a) / float64(b) }
	tests := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"mean household size", share(members, households), 3.2, 3.8},
		{"chip card holders among the living aged 14+", share(cards14, adults14), 0.85, 0.93},
		{"Kinh share", share(kinh, alive), 0.80, 0.90},
		{"sex ratio (men per woman)", ratio(males, alive), 0.95, 1.05},
		{"sex ratio under 10", ratio(youngM, young), 1.04, 1.20},
		{"sex ratio at 75+", ratio(oldM, old), 0.4, 0.8},
		{"migrants among those born before the reform", share(migrants, bornBefore), 0.15, 0.25},
		{"deaths per year per person", share(p.stats.Dead, p.stats.People) / years, 0.004, 0.008},
		{"versions per person", share(p.stats.Versions, p.stats.People), 1.3, 1.6},
		{"CMND holders among those born before 1995", share(cmndOld, bornOld), 0.8, 0.95},
		{"names with apostrophes per 10,000", 1e4 * share(apostrophes, p.stats.People), 5, 500},
	}
	for _, tt := range tests {
		t.Logf("%s: %.4f", tt.name, tt.got)
		if tt.got < tt.min || tt.got > tt.max {
			t.Errorf("%s = %.4f, want between %.3f and %.3f", tt.name, tt.got, tt.min, tt.max)
		}
	}
	// The age pyramid: every five-year band within 1.5 points of the target.
	for i, n := range bands {
		got := 100 * share(n, alive)
		if d := got - ageBands[i]; d < -1.5 || d > 1.5 {
			t.Errorf("ages %d-%d: %.2f%% of the living, want %.2f%% ± 1.5", 5*i, 5*i+4, got, ageBands[i])
		}
	}
}

// TestHouseholdSizes checks the distribution of household sizes: four
// people is the commonest, and about one household in seven or eight is one
// person (the 2019 census found 3.5 people on average).
func TestHouseholdSizes(t *testing.T) {
	p := testPopulation(t)
	var sizes [8]int
	n := 0
	for _, h := range p.currentHH {
		if h.Head != "" {
			sizes[min(len(h.Members), 7)]++
			n++
		}
	}
	for i, k := range sizes[1:] {
		t.Logf("%d people: %.3f", i+1, float64(k)/float64(n))
	}
	if one := float64(sizes[1]) / float64(n); one < 0.08 || one > 0.2 {
		t.Errorf("one-person households: %.3f, want 0.08-0.20", one)
	}
	for i, k := range sizes {
		if i != 4 && k >= sizes[4] {
			t.Errorf("%d-person households (%d) at least as common as 4-person ones (%d)", i, k, sizes[4])
		}
	}
}

package synth

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/units"
)

// model is everything the generator draws from, built once per run from the
// reference data and the tables, and read-only afterwards so that workers
// share it without locks.
type model struct {
	today day

	provinces []*province // the 2025 provinces, in code order
	province  alias       // by population

	old      []*oldProv // the 63 pre-2025 provinces, in the order of oldProvinces
	oldIndex map[string]int

	ethnic     []registry.EthnicGroup
	ethnicCode []string

	names *namer

	ages       alias // coupleAgeBands
	births     []alias
	blood      alias
	phone      alias
	religionBy map[string]*alias // by ethnic group code, overriding the province
}

// province is a 2025 province with its communes and the distributions of
// the people who live there.
type province struct {
	code, name string
	style      addrStyle
	communes   []commune
	commune    alias // phường weigh more than xã: towns are denser
	ethnic     alias // index into model.ethnic
	local      alias // birth province of people born here: index into locals
	locals     []int // indexes into model.old of the old provinces merged into this one
	origin     alias // birth province of migrants: index into model.old
	migrants   float64
	religion   alias
	pinPrefix  string // for births registered on or after 2025-07-01
	oldForPost int    // index into model.old of the same code, for CMND prefixes
}

type commune struct {
	code string
	ward bool // phường: urban addresses
}

// oldProv is a pre-2025 province as birth registration place.
type oldProv struct {
	prefix    string // PIN prefix, "079"
	code      string // administrative code, "79"
	successor int    // index into model.provinces
	cmnd      string
	cmndPlace string // issuing office of its CMND cards
}

// addrStyle is the regional way of writing addresses: ngõ and thôn in the
// north, kiệt in Huế and Đà Nẵng, hẻm and ấp in the south.
type addrStyle uint8

const (
	addrNorth addrStyle = iota
	addrHue
	addrSouth
)

// newModel builds the model for a run whose "today" is today.
func newModel(today day) (*model, error) {
	y, mo, d := today.civil()
	at := time.Date(y, time.Month(mo), d, 12, 0, 0, 0, time.UTC)
	m := &model{today: today, oldIndex: make(map[string]int)}
	var err error
	if m.names, err = newNamer(); err != nil {
		return nil, err
	}
	m.ethnic = registry.EthnicGroups()
	ethIndex := make(map[string]int, len(m.ethnic))
	for i, g := range m.ethnic {
		ethIndex[g.Code] = i
		m.ethnicCode = append(m.ethnicCode, g.Code)
	}

	provIndex := make(map[string]int)
	for _, p := range units.Provinces(at) {
		pr := &province{code: p.Code, name: p.Name, style: styleOf(p.Code)}
		var w []float64
		for _, c := range units.Communes(p.Code, at) {
			ward := c.Type == "phường"
			pr.communes = append(pr.communes, commune{code: c.Code, ward: ward})
			switch c.Type {
			case "phường":
				w = append(w, 2)
			case "đặc khu":
				w = append(w, 0.5)
			default:
				w = append(w, 1)
			}
		}
		if len(w) == 0 {
			return nil, fmt.Errorf("synth: province %s has no communes on %s", p.Code, today.iso())
		}
		pr.commune = newAlias(w)
		prefix, ok := pin.PrefixFor2025(p.Code)
		if !ok {
			return nil, fmt.Errorf("synth: province %s has no PIN prefix", p.Code)
		}
		pr.pinPrefix = prefix
		provIndex[p.Code] = len(m.provinces)
		m.provinces = append(m.provinces, pr)
	}
	if len(m.provinces) == 0 {
		return nil, fmt.Errorf("synth: no provinces on %s", today.iso())
	}

	// The old provinces, their successors and the population weights.
	provPop := make([]float64, len(m.provinces))
	localW := make([][]float64, len(m.provinces))
	for i, op := range oldProvinces {
		p, ok := pin.LookupProvince(op.code)
		if !ok {
			return nil, fmt.Errorf("synth: old province %s is not a PIN prefix", op.code)
		}
		si, ok := provIndex[p.Code2025]
		if !ok {
			return nil, fmt.Errorf("synth: old province %s merged into unknown %s", op.code, p.Code2025)
		}
		m.oldIndex[op.code] = i
		m.old = append(m.old, &oldProv{prefix: op.code, code: op.code[1:], successor: si, cmnd: op.cmnd, cmndPlace: cmndPlace(p.Name)})
		provPop[si] += float64(op.popK)
		m.provinces[si].locals = append(m.provinces[si].locals, i)
		localW[si] = append(localW[si], float64(op.popK))
	}
	if len(m.old) != len(pin.Provinces()) {
		return nil, fmt.Errorf("synth: %d old provinces in the table, %d PIN prefixes", len(m.old), len(pin.Provinces()))
	}
	for i, pr := range m.provinces {
		if len(pr.locals) == 0 {
			return nil, fmt.Errorf("synth: province %s absorbed no old province", pr.code)
		}
		pr.local = newAlias(localW[i])
		pr.oldForPost = m.oldIndex[pr.pinPrefix]
		pr.migrants = defaultMigrantShare
		if s, ok := migrantShare[pr.code]; ok {
			pr.migrants = s
		}
		destRegion := oldProvinces[pr.oldForPost].region
		ow := make([]float64, len(m.old))
		for j, op := range oldProvinces {
			if m.old[j].successor == i {
				continue // moving within the province is not migration here
			}
			ow[j] = float64(op.popK) * op.emig * affinity[destRegion][op.region]
		}
		pr.origin = newAlias(ow)
	}
	m.province = newAlias(provPop)

	if err := m.buildEthnic(provPop, ethIndex); err != nil {
		return nil, err
	}
	m.buildReligion()

	m.ages = newAlias(coupleAgeBands)
	for _, c := range birthsByCohort {
		m.births = append(m.births, newAlias(c.dist))
	}
	m.blood = newAlias(bloodWeights)
	pw := make([]float64, len(phonePrefixes))
	for i, p := range phonePrefixes {
		pw[i] = p.weight
	}
	m.phone = newAlias(pw)
	return m, nil
}

// styleOf returns the address style of a 2025 province.
func styleOf(code string) addrStyle {
	switch {
	case code == "46" || code == "48":
		return addrHue
	case code < "46":
		return addrNorth
	}
	return addrSouth
}

// cmndPlace names the police office that issued CMND cards in an old
// province: "Tỉnh Nghệ An" gives "Công an tỉnh Nghệ An".
func cmndPlace(name string) string {
	switch {
	case strings.HasPrefix(name, "Tỉnh "):
		return "Công an tỉnh " + name[len("Tỉnh "):]
	case strings.HasPrefix(name, "Thành phố "):
		return "Công an thành phố " + name[len("Thành phố "):]
	}
	return "Công an " + name
}

// buildEthnic balances the ethnic seed matrix so that its rows sum to the
// province populations and its columns to the national shares of
// ethnic-groups.csv (iterative proportional fitting), then makes one alias
// table per province.
func (m *model) buildEthnic(provPop []float64, ethIndex map[string]int) error {
	np, ng := len(m.provinces), len(m.ethnic)
	seed := make([][]float64, np)
	for i, pr := range m.provinces {
		seed[i] = make([]float64, ng)
		spec, ok := ethnicSeeds[pr.code]
		if !ok {
			return fmt.Errorf("synth: no ethnic seeds for province %s", pr.code)
		}
		for _, f := range strings.Fields(spec) {
			code, pct, ok := strings.Cut(f, ":")
			g, known := ethIndex[code]
			v, err := strconv.ParseFloat(pct, 64)
			if !ok || !known || err != nil {
				return fmt.Errorf("synth: bad ethnic seed %q for province %s", f, pr.code)
			}
			seed[i][g] = v
		}
	}
	for _, c := range migrantCities {
		for i, pr := range m.provinces {
			if pr.code != c {
				continue
			}
			for g := range seed[i] {
				if seed[i][g] == 0 {
					seed[i][g] = migrantSeed
				}
			}
		}
	}
	var popTotal, ethTotal float64
	for _, p := range provPop {
		popTotal += p
	}
	colTarget := make([]float64, ng)
	for g, e := range m.ethnic {
		ethTotal += float64(e.Population)
		colTarget[g] = float64(e.Population)
	}
	for g := range colTarget {
		colTarget[g] *= popTotal / ethTotal
		var has bool
		for i := range seed {
			has = has || seed[i][g] > 0
		}
		if !has {
			return fmt.Errorf("synth: ethnic group %s lives in no province", m.ethnic[g].Code)
		}
	}
	for i := range seed {
		var s float64
		for _, v := range seed[i] {
			s += v
		}
		for g := range seed[i] {
			seed[i][g] *= provPop[i] / s
		}
	}
	for range 200 {
		for g := range ng {
			var s float64
			for i := range np {
				s += seed[i][g]
			}
			for i := range np {
				seed[i][g] *= colTarget[g] / s
			}
		}
		for i := range np {
			var s float64
			for _, v := range seed[i] {
				s += v
			}
			for g := range seed[i] {
				seed[i][g] *= provPop[i] / s
			}
		}
	}
	for i, pr := range m.provinces {
		pr.ethnic = newAlias(seed[i])
	}
	return nil
}

func (m *model) buildReligion() {
	table := func(pct []float64) alias {
		w := make([]float64, len(religions))
		var s float64
		for i, v := range pct {
			w[i+1] = v
			s += v
		}
		w[0] = max(100-s, 0)
		return newAlias(w)
	}
	for _, pr := range m.provinces {
		pct, ok := religionByProvince[pr.code]
		if !ok {
			pct = defaultReligion
		}
		pr.religion = table(pct)
	}
	m.religionBy = make(map[string]*alias)
	for code, pct := range religionByEthnicity {
		a := table(pct)
		m.religionBy[code] = &a
	}
}

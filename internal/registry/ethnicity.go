package registry

import (
	_ "embed"
	"encoding/csv"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/ethnic-groups.csv
var ethnicCSV string

// EthnicGroup is one of the 54 recognised ethnic groups, with its code and an
// approximate population (2019 census) that the synthetic generator weights by.
type EthnicGroup struct {
	Code       string
	Name       string
	Population int
}

var ethnicGroups = sync.OnceValue(func() []EthnicGroup {
	recs, err := csv.NewReader(strings.NewReader(ethnicCSV)).ReadAll()
	if err != nil || len(recs) < 2 {
		panic("registry: embedded ethnic-groups.csv is broken")
	}
	out := make([]EthnicGroup, 0, len(recs)-1)
	for _, r := range recs[1:] {
		n, err := strconv.Atoi(r[2])
		if err != nil {
			panic("registry: embedded ethnic-groups.csv has a bad population")
		}
		out = append(out, EthnicGroup{Code: r[0], Name: r[1], Population: n})
	}
	return out
})

// EthnicGroups returns the recognised ethnic groups ordered by code.
func EthnicGroups() []EthnicGroup { return ethnicGroups() }

// KnownEthnicity reports whether code is a recognised ethnic group code.
func KnownEthnicity(code string) bool {
	for _, g := range ethnicGroups() {
		if g.Code == code {
			return true
		}
	}
	return false
}

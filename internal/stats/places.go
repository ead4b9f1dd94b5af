package stats

import (
	"sync"
	"time"

	"github.com/dancu/dancu/internal/units"
)

// The administrative units are read once: 34 provinces and 3,321 communes.
var places = sync.OnceValues(func() ([]string, map[string]string) {
	now := time.Now()
	var provs []string
	for _, p := range units.Provinces(now) {
		provs = append(provs, p.Code)
	}
	communes := map[string]string{}
	for _, c := range units.AllCommunes(now) {
		communes[c.Code] = c.ProvinceCode
	}
	return provs, communes
})

func provinceCodes() []string { p, _ := places(); return p }

func communeCodes() []string {
	_, c := places()
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	return out
}

// provinceOf returns the province of a commune code, "" if unknown.
func provinceOf(commune string) string { _, c := places(); return c[commune] }

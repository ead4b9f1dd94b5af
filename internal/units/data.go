package units

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/*.csv
var dataFS embed.FS

// Names of the embedded files.
const (
	provinces2025File = "data/provinces-2025.csv"
	communes2025File  = "data/communes-2025.csv"
	oldProvincesFile  = "data/pin-province-codes.csv"
)

// tables holds every unit version with indexes for the lookups. Slices are
// ordered by code and then by start, so the versions of one code are adjacent and
// the code's index points at the first. Spans run parallel to the slices so
// filtering by date compares integers only.
type tables struct {
	provinces     []Province
	provinceSpans []span
	provinceIndex map[string]int

	communes           []Commune
	communeSpans       []span
	communeIndex       map[string]int
	communesByProvince map[string][]int // province code -> indexes into communes, in code order

	successor map[string]string // pre-2025 code -> 2025 code
}

// data parses the embedded files on first use rather than at start-up, so
// programs that never touch units (such as "dancu version") do not pay for the
// 3,321 communes.
var data = sync.OnceValue(func() *tables { return mustLoad(dataFS) })

// mustLoad panics when the embedded data is broken: that is a build defect that
// every test run catches, not something a caller could handle.
func mustLoad(fsys fs.FS) *tables {
	t, err := load(fsys)
	if err != nil {
		panic("units: embedded data is broken: " + err.Error())
	}
	return t
}

func load(fsys fs.FS) (*tables, error) {
	read := func(name string) (*bytes.Reader, error) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(b), nil
	}
	r, err := read(provinces2025File)
	if err != nil {
		return nil, err
	}
	provinces, counts, err := parseProvinces2025(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", provinces2025File, err)
	}
	if r, err = read(communes2025File); err != nil {
		return nil, err
	}
	communes, err := parseCommunes2025(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", communes2025File, err)
	}
	if r, err = read(oldProvincesFile); err != nil {
		return nil, err
	}
	old, successor, err := parseOldProvinces(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", oldProvincesFile, err)
	}
	return assemble(provinces, counts, communes, old, successor)
}

// Allowed unit types. Checking them catches a shifted or mistyped column in a
// data update.
var (
	provinceTypes = []string{"tỉnh", "thành phố trung ương"}
	communeTypes  = []string{"xã", "phường", "đặc khu"}
)

// readCSV reads a CSV file with the given header and calls row for each record
// in turn, adding the line number to any error it returns.
func readCSV(r io.Reader, header []string, row func(rec []string) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	got, err := cr.Read()
	if err != nil {
		return fmt.Errorf("reading header: %w", err)
	}
	if !slices.Equal(got, header) {
		return fmt.Errorf("header is %q, want %q", got, header)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if err := row(rec); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
}

// isCode reports whether s is a code of exactly n ASCII digits.
func isCode(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseProvinces2025 reads the 2025 provinces and the number of communes the
// file says each has, which assemble checks against the commune file.
func parseProvinces2025(r io.Reader) ([]Province, map[string]int, error) {
	var out []Province
	counts := make(map[string]int)
	err := readCSV(r, []string{"code", "name", "type", "communes"}, func(rec []string) error {
		p := Province{Code: rec[0], Name: rec[1], Type: rec[2], ValidFrom: reformDate}
		if !isCode(p.Code, 2) {
			return errors.New("code must be two digits")
		}
		if p.Name == "" {
			return errors.New("empty name")
		}
		if !slices.Contains(provinceTypes, p.Type) {
			return fmt.Errorf("unknown province type %q", p.Type)
		}
		n, err := strconv.Atoi(rec[3])
		if err != nil || n < 1 {
			return errors.New("communes must be a positive number")
		}
		if _, dup := counts[p.Code]; dup {
			return fmt.Errorf("duplicate code %s", p.Code)
		}
		counts[p.Code] = n
		out = append(out, p)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = errors.New("no provinces")
	}
	return out, counts, err
}

// parseCommunes2025 reads the 2025 communes. Province codes are checked by
// assemble, which knows the provinces.
func parseCommunes2025(r io.Reader) ([]Commune, error) {
	var out []Commune
	seen := make(map[string]bool)
	err := readCSV(r, []string{"code", "name", "type", "province_code"}, func(rec []string) error {
		c := Commune{Code: rec[0], Name: rec[1], Type: rec[2], ProvinceCode: rec[3], ValidFrom: reformDate}
		if !isCode(c.Code, 5) {
			return errors.New("code must be five digits")
		}
		if c.Name == "" {
			return errors.New("empty name")
		}
		if !slices.Contains(communeTypes, c.Type) {
			return fmt.Errorf("unknown commune type %q", c.Type)
		}
		if !isCode(c.ProvinceCode, 2) {
			return errors.New("province_code must be two digits")
		}
		if seen[c.Code] {
			return fmt.Errorf("duplicate code %s", c.Code)
		}
		seen[c.Code] = true
		out = append(out, c)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = errors.New("no communes")
	}
	return out, err
}

// parseOldProvinces reads the 63 pre-2025 provinces from the PIN prefix table:
// the administrative code is the prefix without its leading zero. The file has
// no type column, so the type comes from the name's first word, which in
// Vietnamese official names is the type.
func parseOldProvinces(r io.Reader) ([]Province, map[string]string, error) {
	var out []Province
	successor := make(map[string]string)
	validTo := reformDate.AddDate(0, 0, -1)
	header := []string{"pin_prefix", "province_name_at_registration", "province_code_2025", "province_name_2025"}
	err := readCSV(r, header, func(rec []string) error {
		prefix, name, code2025 := rec[0], rec[1], rec[2]
		if !isCode(prefix, 3) || prefix[0] != '0' || prefix == "000" {
			return errors.New("pin_prefix must be three digits starting with 0")
		}
		p := Province{Code: prefix[1:], Name: name, ValidTo: validTo}
		switch {
		case strings.HasPrefix(name, "Tỉnh "):
			p.Type = "tỉnh"
		case strings.HasPrefix(name, "Thành phố "):
			p.Type = "thành phố trung ương"
		default:
			return errors.New("name must start with Tỉnh or Thành phố")
		}
		if !isCode(code2025, 2) {
			return errors.New("province_code_2025 must be two digits")
		}
		if _, dup := successor[p.Code]; dup {
			return fmt.Errorf("duplicate code %s", p.Code)
		}
		successor[p.Code] = code2025
		out = append(out, p)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = errors.New("no provinces")
	}
	return out, successor, err
}

// assemble cross-checks the files and builds the indexes.
func assemble(provinces2025 []Province, counts map[string]int, communes []Commune, old []Province, successor map[string]string) (*tables, error) {
	got := make(map[string]int)
	for _, c := range communes {
		if _, ok := counts[c.ProvinceCode]; !ok {
			return nil, fmt.Errorf("commune %s: province %s is not a 2025 province", c.Code, c.ProvinceCode)
		}
		got[c.ProvinceCode]++
	}
	for code, want := range counts {
		if got[code] != want {
			return nil, fmt.Errorf("province %s: %d communes in %s, but %s says %d", code, got[code], communes2025File, provinces2025File, want)
		}
	}
	for oldCode, code2025 := range successor {
		if _, ok := counts[code2025]; !ok {
			return nil, fmt.Errorf("old province %s: successor %s is not a 2025 province", oldCode, code2025)
		}
	}

	t := &tables{
		provinces:          slices.Concat(old, provinces2025),
		provinceIndex:      make(map[string]int),
		communes:           slices.Clone(communes),
		communeIndex:       make(map[string]int, len(communes)),
		communesByProvince: make(map[string][]int, len(counts)),
		successor:          successor,
	}
	slices.SortStableFunc(t.provinces, func(a, b Province) int {
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return a.ValidFrom.Compare(b.ValidFrom)
	})
	slices.SortStableFunc(t.communes, func(a, b Commune) int {
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return a.ValidFrom.Compare(b.ValidFrom)
	})

	t.provinceSpans = make([]span, len(t.provinces))
	for i, p := range t.provinces {
		t.provinceSpans[i] = spanOf(p.ValidFrom, p.ValidTo)
		if _, ok := t.provinceIndex[p.Code]; !ok {
			t.provinceIndex[p.Code] = i
		} else if prev := t.provinceSpans[i-1]; prev.to >= t.provinceSpans[i].from {
			// Overlapping versions would make a lookup's answer depend on order.
			return nil, fmt.Errorf("province %s: validity periods overlap", p.Code)
		}
	}
	t.communeSpans = make([]span, len(t.communes))
	for i, c := range t.communes {
		t.communeSpans[i] = spanOf(c.ValidFrom, c.ValidTo)
		if _, ok := t.communeIndex[c.Code]; !ok {
			t.communeIndex[c.Code] = i
		} else if prev := t.communeSpans[i-1]; prev.to >= t.communeSpans[i].from {
			return nil, fmt.Errorf("commune %s: validity periods overlap", c.Code)
		}
		t.communesByProvince[c.ProvinceCode] = append(t.communesByProvince[c.ProvinceCode], i)
	}
	return t, nil
}

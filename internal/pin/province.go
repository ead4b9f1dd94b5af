package pin

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
)

// Province is one of the 63 provinces in force before the 2025 merger, as used by
// the PIN prefix, together with the 2025 province it was merged into.
type Province struct {
	// Code is the three-digit PIN prefix, such as "079".
	Code string
	// Name is the province's official name before the merger.
	Name string
	// Code2025 is the two-digit code of the 2025 province that took over the
	// territory, such as "79".
	Code2025 string
	// Name2025 is the official name of that 2025 province.
	Name2025 string
}

//go:embed data/pin-province-codes.csv
var dataFS embed.FS

const provinceFile = "data/pin-province-codes.csv"

// provinceTable is the parsed province file, indexed for allocation-free lookups
// on the hot path of Parse.
type provinceTable struct {
	list   []Province        // ordered by Code
	byCode [1000]int16       // prefix value -> index in list + 1; 0 means unknown
	code   [1000]string      // prefix value -> interned Code, so accessors do not allocate
	by2025 map[string]string // 2025 code -> PIN prefix "0"+code, for 2025 codes only
}

// provinces is loaded at package initialisation: the file is tiny and Parse needs
// it on every call. A broken embedded file is a build defect, so it panics with a
// message naming the file instead of letting every Parse fail later.
var provinces = mustLoadProvinces(dataFS, provinceFile)

func mustLoadProvinces(fsys fs.FS, name string) *provinceTable {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		panic(fmt.Sprintf("pin: embedded %s: %v", name, err))
	}
	t, err := parseProvinces(bytes.NewReader(b))
	if err != nil {
		panic(fmt.Sprintf("pin: embedded %s is broken: %v", name, err))
	}
	return t
}

var provinceHeader = []string{"pin_prefix", "province_name_at_registration", "province_code_2025", "province_name_2025"}

// parseProvinces reads the province CSV and checks every row, so that the rest of
// the package can trust the table without re-validating it.
func parseProvinces(r io.Reader) (*provinceTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(provinceHeader)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	if !slices.Equal(header, provinceHeader) {
		return nil, fmt.Errorf("header is %q, want %q", header, provinceHeader)
	}
	t := &provinceTable{by2025: make(map[string]string)}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		p := Province{Code: rec[0], Name: strings.TrimSpace(rec[1]), Code2025: rec[2], Name2025: strings.TrimSpace(rec[3])}
		n, ok := digits(p.Code)
		if !ok || len(p.Code) != 3 || n == 0 {
			return nil, fmt.Errorf("line %d: pin_prefix must be three digits other than 000", line)
		}
		if _, ok := digits(p.Code2025); !ok || len(p.Code2025) != 2 || p.Code2025 == "00" {
			return nil, fmt.Errorf("line %d: province_code_2025 must be two digits other than 00", line)
		}
		if p.Name == "" || p.Name2025 == "" {
			return nil, fmt.Errorf("line %d: empty province name", line)
		}
		if t.byCode[n] != 0 {
			return nil, fmt.Errorf("line %d: duplicate pin_prefix %s", line, p.Code)
		}
		t.list = append(t.list, p)
		t.byCode[n] = int16(len(t.list))
		t.code[n] = p.Code
	}
	if len(t.list) == 0 {
		return nil, errors.New("no provinces")
	}
	// Order by code as promised by Provinces, whatever the file's order; then
	// rebuild the index, which pointed at file positions.
	slices.SortFunc(t.list, func(a, b Province) int { return strings.Compare(a.Code, b.Code) })
	for i, p := range t.list {
		n, _ := digits(p.Code)
		t.byCode[n] = int16(i + 1)
		t.code[n] = p.Code
	}
	// A birth registered after the merger takes the prefix "0"+code2025, which is
	// only meaningful when that prefix is itself a known old code.
	for _, p := range t.list {
		prefix := "0" + p.Code2025
		n, _ := digits(prefix)
		if t.byCode[n] != 0 {
			t.by2025[p.Code2025] = t.code[n]
		}
	}
	return t, nil
}

// digits returns the value of s if it consists of ASCII digits only. It accepts at
// most 12 digits, which is all this package ever needs and keeps the value
// within uint64.
func digits(s string) (uint64, bool) {
	if s == "" || len(s) > 12 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// lookup returns the index of the province with the given three-digit code.
func (t *provinceTable) lookup(code string) (int, bool) {
	if len(code) != 3 {
		return 0, false
	}
	n, ok := digits(code)
	if !ok || t.byCode[n] == 0 {
		return 0, false
	}
	return int(t.byCode[n]) - 1, true
}

// Provinces returns the 63 provinces in force before the 2025 merger, ordered by
// code. The slice is a fresh copy that the caller may modify.
func Provinces() []Province {
	return slices.Clone(provinces.list)
}

// LookupProvince returns the pre-2025 province with the given three-digit PIN
// prefix, such as "079". Two-digit administrative codes are deliberately not
// accepted: "79" is ambiguous between the old and the 2025 province.
func LookupProvince(code string) (Province, bool) {
	i, ok := provinces.lookup(code)
	if !ok {
		return Province{}, false
	}
	return provinces.list[i], true
}

// PrefixFor2025 returns the PIN prefix to use for a birth registered in the 2025
// province with the given two-digit code: "0" followed by that code. Every 2025
// province kept the code of one of the old provinces it absorbed, so the prefix
// is always in the old list; a code that is not a 2025 province code (such as
// "02", Hà Giang before the merger) is reported as not found.
func PrefixFor2025(code2025 string) (string, bool) {
	p, ok := provinces.by2025[code2025]
	return p, ok
}

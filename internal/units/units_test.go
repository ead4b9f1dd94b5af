package units_test

import (
	"encoding/csv"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/units"
)

var (
	in2020     = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	in2026     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lastOldDay = time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	vietnam    = time.FixedZone("ICT", 7*60*60)
)

func TestProvinces(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want int
	}{
		{"2020", in2020, 63},
		{"zero time", time.Time{}, 63},
		{"last old day", lastOldDay, 63},
		{"last old day, evening", time.Date(2025, 6, 30, 23, 59, 59, 0, time.UTC), 63},
		{"last old day, evening in Vietnam", time.Date(2025, 6, 30, 23, 59, 0, 0, vietnam), 63},
		{"reform day", units.Reform2025, 34},
		{"reform day, midnight in Vietnam", time.Date(2025, 7, 1, 0, 0, 0, 0, vietnam), 34},
		{"2026", in2026, 34},
		{"far future", time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 34},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := units.Provinces(tt.at)
			if len(got) != tt.want {
				t.Fatalf("len(Provinces) = %d, want %d", len(got), tt.want)
			}
			if !slices.IsSortedFunc(got, func(a, b units.Province) int { return strings.Compare(a.Code, b.Code) }) {
				t.Errorf("Provinces is not ordered by code")
			}
			for _, p := range got {
				if !p.ValidAt(tt.at) {
					t.Errorf("province %s returned but not ValidAt", p.Code)
				}
				if p.Type != "tỉnh" && p.Type != "thành phố trung ương" {
					t.Errorf("province %s: type %q", p.Code, p.Type)
				}
			}
		})
	}
}

func TestProvinces_isACopy(t *testing.T) {
	got := units.Provinces(in2026)
	got[0].Name = "changed"
	if units.Provinces(in2026)[0].Name == "changed" {
		t.Errorf("Provinces returns the package's own slice")
	}
}

func TestLookupProvince(t *testing.T) {
	tests := []struct {
		name     string
		code     string
		at       time.Time
		wantName string // "" means not found
		wantType string
	}{
		{"79 before", "79", in2020, "Thành phố Hồ Chí Minh", "thành phố trung ương"},
		{"79 on last old day", "79", lastOldDay, "Thành phố Hồ Chí Minh", "thành phố trung ương"},
		{"79 after", "79", in2026, "Thành phố Hồ Chí Minh", "thành phố trung ương"},
		{"77 before", "77", in2020, "Tỉnh Bà Rịa - Vũng Tàu", "tỉnh"},
		{"77 on last old day", "77", lastOldDay, "Tỉnh Bà Rịa - Vũng Tàu", "tỉnh"},
		{"77 after", "77", in2026, "", ""},
		{"77 on reform day", "77", units.Reform2025, "", ""},
		{"74 before", "74", in2020, "Tỉnh Bình Dương", "tỉnh"},
		{"74 after", "74", in2026, "", ""},
		{"01 before", "01", in2020, "Thành phố Hà Nội", "thành phố trung ương"},
		{"01 after", "01", in2026, "Thành phố Hà Nội", "thành phố trung ương"},
		{"08 before", "08", in2020, "Tỉnh Tuyên Quang", "tỉnh"},
		{"08 after", "08", in2026, "Tỉnh Tuyên Quang", "tỉnh"},
		{"02 before", "02", in2020, "Tỉnh Hà Giang", "tỉnh"},
		{"02 after", "02", in2026, "", ""},
		{"unknown 99", "99", in2020, "", ""},
		{"unknown 00", "00", in2026, "", ""},
		{"PIN prefix form", "079", in2026, "", ""},
		{"empty", "", in2026, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := units.LookupProvince(tt.code, tt.at)
			if tt.wantName == "" {
				if ok {
					t.Fatalf("LookupProvince = %+v, want not found", got)
				}
				return
			}
			if !ok {
				t.Fatalf("LookupProvince: not found, want %s", tt.wantName)
			}
			if got.Code != tt.code || got.Name != tt.wantName || got.Type != tt.wantType {
				t.Errorf("LookupProvince = %s %q %q, want %s %q %q", got.Code, got.Name, got.Type, tt.code, tt.wantName, tt.wantType)
			}
			if !got.ValidAt(tt.at) {
				t.Errorf("found province is not ValidAt the lookup date")
			}
		})
	}
}

// TestLookupProvince_versions checks that code 79 has two distinct versions that
// meet at the reform without overlapping.
func TestLookupProvince_versions(t *testing.T) {
	before, _ := units.LookupProvince("79", in2020)
	after, _ := units.LookupProvince("79", in2026)
	if before == after {
		t.Fatalf("the same version of 79 answers before and after the reform")
	}
	if !before.ValidFrom.IsZero() || !before.ValidTo.Equal(lastOldDay) {
		t.Errorf("old 79 valid %v to %v, want zero to %v", before.ValidFrom, before.ValidTo, lastOldDay)
	}
	if !after.ValidFrom.Equal(units.Reform2025) || !after.ValidTo.IsZero() {
		t.Errorf("new 79 valid %v to %v, want %v to zero", after.ValidFrom, after.ValidTo, units.Reform2025)
	}
}

func TestSuccessor(t *testing.T) {
	tests := []struct {
		old      string
		wantCode string // "" means not found
		wantName string
	}{
		{"77", "79", "Thành phố Hồ Chí Minh"},
		{"74", "79", "Thành phố Hồ Chí Minh"},
		{"79", "79", "Thành phố Hồ Chí Minh"},
		{"04", "04", "Tỉnh Cao Bằng"},
		{"02", "08", "Tỉnh Tuyên Quang"},
		{"93", "92", "Thành phố Cần Thơ"},
		{"99", "", ""},
		{"077", "", ""},
	}
	for _, tt := range tests {
		got, ok := units.Successor(tt.old)
		if tt.wantCode == "" {
			if ok {
				t.Errorf("Successor(%q) = %+v, want not found", tt.old, got)
			}
			continue
		}
		if !ok || got.Code != tt.wantCode || got.Name != tt.wantName {
			t.Errorf("Successor(%q) = %s %q, %v; want %s %q", tt.old, got.Code, got.Name, ok, tt.wantCode, tt.wantName)
		}
	}
	// Every old province has a successor that exists today.
	for _, p := range units.Provinces(in2020) {
		s, ok := units.Successor(p.Code)
		if !ok || !s.ValidAt(in2026) {
			t.Errorf("Successor(%s) = %+v, %v; want a current province", p.Code, s, ok)
		}
	}
}

func TestLookupCommune(t *testing.T) {
	tests := []struct {
		name         string
		code         string
		at           time.Time
		wantName     string // "" means not found
		wantProvince string
	}{
		{"Sài Gòn", "26740", in2026, "Phường Sài Gòn", "79"},
		{"Ba Đình", "00004", in2026, "Phường Ba Đình", "01"},
		{"special zone", "06994", in2026, "Đặc khu Vân Đồn", "22"},
		{"reform day", "00004", units.Reform2025, "Phường Ba Đình", "01"},
		{"pre-reform communes are unknown", "00004", in2020, "", ""},
		{"last old day", "26740", lastOldDay, "", ""},
		{"unknown", "99999", in2026, "", ""},
		{"four digits", "0004", in2026, "", ""},
		{"empty", "", in2026, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := units.LookupCommune(tt.code, tt.at)
			if tt.wantName == "" {
				if ok {
					t.Fatalf("LookupCommune = %+v, want not found", got)
				}
				return
			}
			if !ok || got.Code != tt.code || got.Name != tt.wantName || got.ProvinceCode != tt.wantProvince {
				t.Fatalf("LookupCommune = %+v, %v; want %s %q in %s", got, ok, tt.code, tt.wantName, tt.wantProvince)
			}
			if _, ok := units.LookupProvince(got.ProvinceCode, tt.at); !ok {
				t.Errorf("province %s of commune %s not valid at the same date", got.ProvinceCode, got.Code)
			}
		})
	}
}

// communeCounts reads the communes column of the 2025 province file, the
// independent statement of how many communes each province has.
func communeCounts(t *testing.T) map[string]int {
	t.Helper()
	f, err := os.Open("data/provinces-2025.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	counts := make(map[string]int)
	for _, rec := range recs[1:] {
		n, err := strconv.Atoi(rec[3])
		if err != nil {
			t.Fatal(err)
		}
		counts[rec[0]] = n
	}
	return counts
}

func TestCommunes(t *testing.T) {
	counts := communeCounts(t)
	if len(counts) != 34 {
		t.Fatalf("provinces-2025.csv lists %d provinces, want 34", len(counts))
	}
	total := 0
	for _, p := range units.Provinces(in2026) {
		got := units.Communes(p.Code, in2026)
		if len(got) != counts[p.Code] {
			t.Errorf("province %s: %d communes, want %d", p.Code, len(got), counts[p.Code])
		}
		total += len(got)
		if !slices.IsSortedFunc(got, func(a, b units.Commune) int { return strings.Compare(a.Code, b.Code) }) {
			t.Errorf("province %s: communes not ordered by code", p.Code)
		}
		for _, c := range got {
			if c.ProvinceCode != p.Code {
				t.Errorf("commune %s listed under %s but belongs to %s", c.Code, p.Code, c.ProvinceCode)
			}
		}
	}
	if total != 3321 {
		t.Errorf("total communes = %d, want 3321", total)
	}
	if got := units.Communes("79", in2020); len(got) != 0 {
		t.Errorf("Communes(79, 2020) = %d communes, want none (pre-reform communes are unknown)", len(got))
	}
	if got := units.Communes("77", in2026); len(got) != 0 {
		t.Errorf("Communes(77, 2026) = %d communes, want none", len(got))
	}
}

func TestAllCommunes(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want int
	}{
		{"2026", in2026, 3321},
		{"reform day", units.Reform2025, 3321},
		{"last old day", lastOldDay, 0},
		{"2020", in2020, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := units.AllCommunes(tt.at)
			if len(got) != tt.want {
				t.Fatalf("len(AllCommunes) = %d, want %d", len(got), tt.want)
			}
			if !slices.IsSortedFunc(got, func(a, b units.Commune) int { return strings.Compare(a.Code, b.Code) }) {
				t.Errorf("AllCommunes is not ordered by code")
			}
			types := make(map[string]int)
			for _, c := range got {
				types[c.Type]++
				if _, ok := units.LookupProvince(c.ProvinceCode, tt.at); !ok {
					t.Errorf("commune %s: province %s not valid at the same date", c.Code, c.ProvinceCode)
				}
				if back, ok := units.LookupCommune(c.Code, tt.at); !ok || back != c {
					t.Errorf("LookupCommune(%s) = %+v, %v; want %+v", c.Code, back, ok, c)
				}
			}
			if tt.want > 0 {
				// Counts from the 2025 list: wards, rural communes, special zones.
				want := map[string]int{"phường": 687, "xã": 2621, "đặc khu": 13}
				if !mapsEqual(types, want) {
					t.Errorf("types = %v, want %v", types, want)
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestProvince_ValidAt(t *testing.T) {
	p := units.Province{
		Code:      "77",
		ValidFrom: time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC),
		ValidTo:   lastOldDay,
	}
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"before start", time.Date(2003, 12, 31, 23, 0, 0, 0, time.UTC), false},
		{"first day", time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"first day in Vietnam", time.Date(2004, 1, 1, 0, 30, 0, 0, vietnam), true},
		{"middle", in2020, true},
		{"last day, end", time.Date(2025, 6, 30, 23, 59, 59, 999, time.UTC), true},
		{"day after", units.Reform2025, false},
	}
	for _, tt := range tests {
		if got := p.ValidAt(tt.at); got != tt.want {
			t.Errorf("%s: ValidAt = %v, want %v", tt.name, got, tt.want)
		}
	}
	open := units.Province{}
	if !open.ValidAt(time.Time{}) || !open.ValidAt(in2026) {
		t.Errorf("a province without dates is not valid at every date")
	}
}

func TestCommune_ValidAt(t *testing.T) {
	c, _ := units.LookupCommune("26740", in2026)
	tests := []struct {
		at   time.Time
		want bool
	}{
		{lastOldDay, false},
		{time.Date(2025, 6, 30, 23, 59, 0, 0, vietnam), false},
		{units.Reform2025, true},
		{time.Date(2025, 7, 1, 0, 0, 0, 0, vietnam), true},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		if got := c.ValidAt(tt.at); got != tt.want {
			t.Errorf("ValidAt(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestLookup_allocs(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"LookupProvince", func() { units.LookupProvince("79", in2026) }},
		{"LookupProvince old", func() { units.LookupProvince("77", in2020) }},
		{"LookupProvince missing", func() { units.LookupProvince("77", in2026) }},
		{"LookupCommune", func() { units.LookupCommune("26740", in2026) }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.f); got != 0 {
			t.Errorf("%s allocates %v times per call, want 0", tt.name, got)
		}
	}
}

func BenchmarkLookupCommune(b *testing.B) {
	for b.Loop() {
		if _, ok := units.LookupCommune("26740", in2026); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkLookupProvince(b *testing.B) {
	for b.Loop() {
		if _, ok := units.LookupProvince("79", in2026); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkAllCommunes(b *testing.B) {
	for b.Loop() {
		_ = units.AllCommunes(in2026)
	}
}

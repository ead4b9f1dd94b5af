package pin

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/text/unicode/norm"
)

func TestProvinces(t *testing.T) {
	got := Provinces()
	if len(got) != 63 {
		t.Fatalf("len(Provinces()) = %d, want 63", len(got))
	}
	if !slices.IsSortedFunc(got, func(a, b Province) int { return strings.Compare(a.Code, b.Code) }) {
		t.Errorf("Provinces() is not ordered by code")
	}
	for _, p := range got {
		for _, s := range []string{p.Name, p.Name2025} {
			if !norm.NFC.IsNormalString(s) {
				t.Errorf("province %s: name %q is not NFC", p.Code, s)
			}
		}
	}
	// The result is a copy: changing it must not change the package's table.
	got[0].Name = "changed"
	if Provinces()[0].Name == "changed" {
		t.Errorf("Provinces() returns the package's own slice")
	}
}

func TestLookupProvince(t *testing.T) {
	tests := []struct {
		code   string
		want   Province
		wantOK bool
	}{
		{"079", Province{Code: "079", Name: "Thành phố Hồ Chí Minh", Code2025: "79", Name2025: "Thành phố Hồ Chí Minh"}, true},
		{"077", Province{Code: "077", Name: "Tỉnh Bà Rịa - Vũng Tàu", Code2025: "79", Name2025: "Thành phố Hồ Chí Minh"}, true},
		{"001", Province{Code: "001", Name: "Thành phố Hà Nội", Code2025: "01", Name2025: "Thành phố Hà Nội"}, true},
		{"002", Province{Code: "002", Name: "Tỉnh Hà Giang", Code2025: "08", Name2025: "Tỉnh Tuyên Quang"}, true},
		{"79", Province{}, false},
		{"0079", Province{}, false},
		{"000", Province{}, false},
		{"003", Province{}, false},
		{"", Province{}, false},
		{"0x9", Province{}, false},
	}
	for _, tt := range tests {
		got, ok := LookupProvince(tt.code)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("LookupProvince(%q) = %+v, %v; want %+v, %v", tt.code, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestPrefixFor2025(t *testing.T) {
	codes2025 := make(map[string]bool)
	for _, p := range Provinces() {
		codes2025[p.Code2025] = true
	}
	if len(codes2025) != 34 {
		t.Fatalf("%d distinct 2025 codes in the table, want 34", len(codes2025))
	}
	// Every 2025 province kept the code of one of the old provinces, so its
	// prefix is in the old list and names that same-coded old province.
	for code := range codes2025 {
		got, ok := PrefixFor2025(code)
		if !ok || got != "0"+code {
			t.Errorf("PrefixFor2025(%q) = %q, %v; want %q, true", code, got, ok, "0"+code)
			continue
		}
		old, ok := LookupProvince(got)
		if !ok {
			t.Errorf("prefix %s for 2025 code %s is not in the old list", got, code)
			continue
		}
		if old.Code2025 != code {
			t.Errorf("old province %s was merged into %s, not into %s", got, old.Code2025, code)
		}
	}
	for _, code := range []string{"02", "77", "00", "", "079", "7"} {
		if got, ok := PrefixFor2025(code); ok {
			t.Errorf("PrefixFor2025(%q) = %q, true; want not found", code, got)
		}
	}
}

// TestPrefixFor2025_reference checks the 2025 codes against the official list,
// when the shared reference folder is next to the repository.
func TestPrefixFor2025_reference(t *testing.T) {
	b, err := os.ReadFile("../../../shared/reference/provinces-2025.csv")
	if err != nil {
		t.Skipf("reference data not available: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")[1:]
	if len(lines) != 34 {
		t.Fatalf("reference lists %d provinces, want 34", len(lines))
	}
	for _, line := range lines {
		code, _, _ := strings.Cut(line, ",")
		if got, ok := PrefixFor2025(code); !ok || got != "0"+code {
			t.Errorf("PrefixFor2025(%q) = %q, %v; want %q, true", code, got, ok, "0"+code)
		}
	}
}

// TestEmbeddedMatchesReference catches a data/ copy that drifted from the shared
// reference file.
func TestEmbeddedMatchesReference(t *testing.T) {
	want, err := os.ReadFile("../../../shared/reference/pin-province-codes.csv")
	if err != nil {
		t.Skipf("reference data not available: %v", err)
	}
	got, err := dataFS.ReadFile(provinceFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from reference/pin-province-codes.csv", provinceFile)
	}
}

const goodCSV = "pin_prefix,province_name_at_registration,province_code_2025,province_name_2025\n" +
	"079,Thành phố Hồ Chí Minh,79,Thành phố Hồ Chí Minh\n" +
	"001,Thành phố Hà Nội,01,Thành phố Hà Nội\n"

func TestParseProvinces(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means success
	}{
		{name: "good, unordered", in: goodCSV},
		{name: "empty file", in: "", wantErr: "header"},
		{name: "wrong header", in: "code,name,code2025,name2025\n079,a,79,b\n", wantErr: "header"},
		{name: "header only", in: "pin_prefix,province_name_at_registration,province_code_2025,province_name_2025\n", wantErr: "no provinces"},
		{name: "short row", in: goodCSV + "080,Tỉnh Long An,80\n", wantErr: "wrong number of fields"},
		{name: "two-digit prefix", in: goodCSV + "80,Tỉnh Long An,80,Tỉnh Tây Ninh\n", wantErr: "pin_prefix"},
		{name: "prefix 000", in: goodCSV + "000,Tỉnh X,80,Tỉnh Tây Ninh\n", wantErr: "pin_prefix"},
		{name: "letter in prefix", in: goodCSV + "08O,Tỉnh X,80,Tỉnh Tây Ninh\n", wantErr: "pin_prefix"},
		{name: "bad 2025 code", in: goodCSV + "080,Tỉnh Long An,800,Tỉnh Tây Ninh\n", wantErr: "province_code_2025"},
		{name: "empty name", in: goodCSV + "080, ,80,Tỉnh Tây Ninh\n", wantErr: "empty province name"},
		{name: "duplicate", in: goodCSV + "079,Again,79,Again\n", wantErr: "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProvinces(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.list) != 2 || got.list[0].Code != "001" || got.list[1].Code != "079" {
				t.Errorf("list = %+v, want 001 then 079", got.list)
			}
			if i, ok := got.lookup("079"); !ok || got.list[i].Code != "079" {
				t.Errorf("lookup(079) = %d, %v after sorting", i, ok)
			}
			if p, ok := got.by2025["79"]; !ok || p != "079" {
				t.Errorf("by2025[79] = %q, %v", p, ok)
			}
		})
	}
}

func TestMustLoadProvinces(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
	}{
		{"missing file", fstest.MapFS{}},
		{"broken file", fstest.MapFS{provinceFile: {Data: []byte("pin_prefix\n079\n")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if msg, _ := r.(string); !strings.Contains(msg, provinceFile) {
					t.Errorf("panic %q does not name the file", r)
				}
			}()
			mustLoadProvinces(tt.fsys, provinceFile)
		})
	}
	// The real embedded file loads.
	if got := mustLoadProvinces(dataFS, provinceFile); len(got.list) != 63 {
		t.Errorf("embedded file has %d provinces, want 63", len(got.list))
	}
}

func FuzzParseProvinces(f *testing.F) {
	f.Add(goodCSV)
	f.Add("pin_prefix,province_name_at_registration,province_code_2025,province_name_2025\n\"079\",\"a\nb\",79,x\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseProvinces(strings.NewReader(in))
		if err != nil {
			return
		}
		// Whatever parses must be internally consistent.
		for i, p := range got.list {
			j, ok := got.lookup(p.Code)
			if !ok || j != i {
				t.Fatalf("lookup(%q) = %d, %v; want %d", p.Code, j, ok, i)
			}
		}
	})
}

package units

import (
	"bytes"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/text/unicode/norm"
)

// Small but consistent data files, edited per case to break one thing.
const (
	testProvinces = "code,name,type,communes\n" +
		"79,Thành phố Hồ Chí Minh,thành phố trung ương,2\n" +
		"01,Thành phố Hà Nội,thành phố trung ương,1\n"
	testCommunes = "code,name,type,province_code\n" +
		"26740,Phường Sài Gòn,phường,79\n" +
		"00004,Phường Ba Đình,phường,01\n" +
		"26734,Xã Thử,xã,79\n"
	testOld = "pin_prefix,province_name_at_registration,province_code_2025,province_name_2025\n" +
		"079,Thành phố Hồ Chí Minh,79,Thành phố Hồ Chí Minh\n" +
		"077,Tỉnh Bà Rịa - Vũng Tàu,79,Thành phố Hồ Chí Minh\n" +
		"001,Thành phố Hà Nội,01,Thành phố Hà Nội\n"
)

func testFS(provinces, communes, old string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, s := range map[string]string{provinces2025File: provinces, communes2025File: communes, oldProvincesFile: old} {
		if s != "-" {
			fsys[name] = &fstest.MapFile{Data: []byte(s)}
		}
	}
	return fsys
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name      string
		provinces string
		communes  string
		old       string
		wantErr   string // substring; "" means success
	}{
		{name: "consistent", provinces: testProvinces, communes: testCommunes, old: testOld},
		{name: "missing provinces file", provinces: "-", communes: testCommunes, old: testOld, wantErr: provinces2025File},
		{name: "missing communes file", provinces: testProvinces, communes: "-", old: testOld, wantErr: communes2025File},
		{name: "missing old file", provinces: testProvinces, communes: testCommunes, old: "-", wantErr: oldProvincesFile},
		{name: "province header", provinces: "code,name,kind,communes\n79,X,tỉnh,1\n", communes: testCommunes, old: testOld, wantErr: "header"},
		{name: "province code", provinces: testProvinces + "7,Tỉnh X,tỉnh,1\n", communes: testCommunes, old: testOld, wantErr: "two digits"},
		{name: "province type", provinces: testProvinces + "80,Tỉnh X,huyện,1\n", communes: testCommunes, old: testOld, wantErr: "province type"},
		{name: "province count", provinces: testProvinces + "80,Tỉnh X,tỉnh,none\n", communes: testCommunes, old: testOld, wantErr: "positive"},
		{name: "province duplicate", provinces: testProvinces + "79,Again,tỉnh,1\n", communes: testCommunes, old: testOld, wantErr: "duplicate"},
		{name: "province empty name", provinces: testProvinces + "80,,tỉnh,1\n", communes: testCommunes, old: testOld, wantErr: "empty name"},
		{name: "no provinces", provinces: "code,name,type,communes\n", communes: testCommunes, old: testOld, wantErr: "no provinces"},
		{name: "commune code", provinces: testProvinces, communes: testCommunes + "2674,Xã X,xã,79\n", old: testOld, wantErr: "five digits"},
		{name: "commune type", provinces: testProvinces, communes: testCommunes + "26741,Xã X,thị trấn,79\n", old: testOld, wantErr: "commune type"},
		{name: "commune province format", provinces: testProvinces, communes: testCommunes + "26741,Xã X,xã,079\n", old: testOld, wantErr: "province_code"},
		{name: "commune duplicate", provinces: testProvinces, communes: testCommunes + "26740,Xã X,xã,79\n", old: testOld, wantErr: "duplicate"},
		{name: "commune short row", provinces: testProvinces, communes: testCommunes + "26741,Xã X,xã\n", old: testOld, wantErr: "wrong number of fields"},
		{name: "commune in unknown province", provinces: testProvinces, communes: testCommunes + "26741,Xã X,xã,80\n", old: testOld, wantErr: "not a 2025 province"},
		{name: "commune count disagrees", provinces: testProvinces, communes: testCommunes + "00005,Xã X,xã,01\n", old: testOld, wantErr: "communes in"},
		{name: "no communes", provinces: testProvinces, communes: "code,name,type,province_code\n", old: testOld, wantErr: "no communes"},
		{name: "old prefix", provinces: testProvinces, communes: testCommunes, old: testOld + "177,Tỉnh X,79,Y\n", wantErr: "pin_prefix"},
		{name: "old prefix 000", provinces: testProvinces, communes: testCommunes, old: testOld + "000,Tỉnh X,79,Y\n", wantErr: "pin_prefix"},
		{name: "old name", provinces: testProvinces, communes: testCommunes, old: testOld + "080,Long An,79,Y\n", wantErr: "Tỉnh or Thành phố"},
		{name: "old successor format", provinces: testProvinces, communes: testCommunes, old: testOld + "080,Tỉnh Long An,8,Y\n", wantErr: "province_code_2025"},
		{name: "old successor unknown", provinces: testProvinces, communes: testCommunes, old: testOld + "080,Tỉnh Long An,80,Y\n", wantErr: "successor"},
		{name: "old duplicate", provinces: testProvinces, communes: testCommunes, old: testOld + "079,Tỉnh X,79,Y\n", wantErr: "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(testFS(tt.provinces, tt.communes, tt.old))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.provinces) != 5 || len(got.communes) != 3 {
				t.Errorf("loaded %d provinces and %d communes, want 5 and 3", len(got.provinces), len(got.communes))
			}
			// 79 has two versions, adjacent, old first.
			i := got.provinceIndex["79"]
			if got.provinces[i].ValidTo.IsZero() || !got.provinces[i+1].ValidTo.IsZero() {
				t.Errorf("versions of 79 not ordered old then new: %+v", got.provinces[i:i+2])
			}
			if want := []int{1, 2}; !slices.Equal(got.communesByProvince["79"], want) {
				t.Errorf("communesByProvince[79] = %v, want %v", got.communesByProvince["79"], want)
			}
		})
	}
}

func TestMustLoad(t *testing.T) {
	tests := []struct {
		name string
		fsys fs.FS
		want string // substring of the panic message
	}{
		{"missing file", testFS(testProvinces, "-", testOld), communes2025File},
		{"broken file", testFS(testProvinces, testCommunes, "pin_prefix\n079\n"), oldProvincesFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				msg, _ := r.(string)
				if !strings.HasPrefix(msg, "units: embedded data is broken") || !strings.Contains(msg, tt.want) {
					t.Errorf("panic %q does not say the data is broken or name %s", r, tt.want)
				}
			}()
			mustLoad(tt.fsys)
		})
	}
}

// TestEmbeddedData loads the real embedded files directly, so a broken data
// update fails here with its error instead of as a panic in another test.
func TestEmbeddedData(t *testing.T) {
	got, err := load(dataFS)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.provinces) != 63+34 || len(got.communes) != 3321 {
		t.Errorf("loaded %d provinces and %d communes, want 97 and 3321", len(got.provinces), len(got.communes))
	}
	for _, p := range got.provinces {
		if !norm.NFC.IsNormalString(p.Name) {
			t.Errorf("province %s: name %q is not NFC", p.Code, p.Name)
		}
	}
	for _, c := range got.communes {
		if !norm.NFC.IsNormalString(c.Name) {
			t.Errorf("commune %s: name %q is not NFC", c.Code, c.Name)
		}
	}
}

// TestEmbeddedMatchesReference catches a data/ copy that drifted from the shared
// reference files.
func TestEmbeddedMatchesReference(t *testing.T) {
	for _, name := range []string{provinces2025File, communes2025File, oldProvincesFile} {
		want, err := os.ReadFile("../../../shared/reference/" + strings.TrimPrefix(name, "data/"))
		if err != nil {
			t.Skipf("reference data not available: %v", err)
		}
		got, err := dataFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the reference file", name)
		}
	}
}

func FuzzParseProvinces2025(f *testing.F) {
	f.Add(testProvinces)
	f.Add("code,name,type,communes\n\"79\",\"a\nb\",tỉnh,-1\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, counts, err := parseProvinces2025(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, p := range got {
			if !isCode(p.Code, 2) || counts[p.Code] < 1 {
				t.Fatalf("accepted province %+v with count %d", p, counts[p.Code])
			}
		}
	})
}

func FuzzParseCommunes2025(f *testing.F) {
	f.Add(testCommunes)
	f.Add("code,name,type,province_code\n00004,\"\",xã,01\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseCommunes2025(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, c := range got {
			if !isCode(c.Code, 5) || !isCode(c.ProvinceCode, 2) || c.Name == "" {
				t.Fatalf("accepted commune %+v", c)
			}
		}
	})
}

func FuzzParseOldProvinces(f *testing.F) {
	f.Add(testOld)
	f.Add("pin_prefix,province_name_at_registration,province_code_2025,province_name_2025\n0,Tỉnh ,7,\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, successor, err := parseOldProvinces(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, p := range got {
			if !isCode(p.Code, 2) || p.ValidTo.IsZero() || !isCode(successor[p.Code], 2) {
				t.Fatalf("accepted old province %+v with successor %q", p, successor[p.Code])
			}
		}
	})
}

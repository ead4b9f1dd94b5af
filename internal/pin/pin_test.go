package pin_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/pin"
)

// wantPINError checks that err is a *pin.Error for field and that its text does
// not leak the digits of the number involved.
func wantPINError(t *testing.T, err error, field, secret string) {
	t.Helper()
	var pe *pin.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want *pin.Error", err, err)
	}
	if pe.Field != field {
		t.Errorf("Field = %q, want %q (error %q)", pe.Field, field, err)
	}
	if pe.Reason == "" {
		t.Errorf("Reason is empty")
	}
	if len(secret) >= 6 && strings.Contains(err.Error(), secret) {
		t.Errorf("error text %q contains the input", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
		// Expected parts when the parse succeeds.
		province string
		year     int
		sex      pin.Sex
		serial   int
	}{
		{name: "century 0 male", in: "079085001234", province: "079", year: 1985, sex: pin.Male, serial: 1234},
		{name: "century 1 female", in: "001199000001", province: "001", year: 1999, sex: pin.Female, serial: 1},
		{name: "century 2 male", in: "096205999999", province: "096", year: 2005, sex: pin.Male, serial: 999999},
		{name: "century 3 female", in: "048300000000", province: "048", year: 2000, sex: pin.Female, serial: 0},
		{name: "century 4 male", in: "031499123456", province: "031", year: 2199, sex: pin.Male, serial: 123456},
		{name: "century 5 female", in: "002501123456", province: "002", year: 2101, sex: pin.Female, serial: 123456},
		{name: "century 6 male", in: "046650000007", province: "046", year: 2250, sex: pin.Male, serial: 7},
		{name: "century 7 female", in: "046710000007", province: "046", year: 2210, sex: pin.Female, serial: 7},
		{name: "century 8 male", in: "095899654321", province: "095", year: 2399, sex: pin.Male, serial: 654321},
		{name: "century 9 female", in: "095900654321", province: "095", year: 2300, sex: pin.Female, serial: 654321},
		{name: "empty", in: "", wantErr: true},
		{name: "11 digits", in: "07908500123", wantErr: true},
		{name: "13 digits", in: "0790850012345", wantErr: true},
		{name: "9-digit CMND", in: "025123456", wantErr: true},
		{name: "letter", in: "07908500123a", wantErr: true},
		{name: "inner space", in: "079 08500123", wantErr: true},
		{name: "leading space", in: " 79085001234", wantErr: true},
		{name: "trailing newline", in: "07908500123\n", wantErr: true},
		{name: "sign", in: "+79085001234", wantErr: true},
		{name: "arabic-indic digit", in: "٠7908500123", wantErr: true},
		{name: "all arabic-indic digits", in: "٠٧٩٠٨٥٠٠١٢٣٤", wantErr: true},
		{name: "fullwidth digit", in: "０79085001", wantErr: true},
		{name: "NUL byte", in: "07908500123\x00", wantErr: true},
		{name: "prefix 000", in: "000085001234", wantErr: true},
		{name: "prefix 003 unused", in: "003085001234", wantErr: true},
		{name: "prefix 028 Ha Tay abolished before the list", in: "028085001234", wantErr: true},
		{name: "prefix 097", in: "097085001234", wantErr: true},
		{name: "prefix 999", in: "999085001234", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pin.Parse(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Parse succeeded, want error")
				}
				wantPINError(t, err, "pin", tt.in)
				if !got.IsZero() {
					t.Errorf("Parse returned a non-zero PIN with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
			if got.ProvinceCode() != tt.province {
				t.Errorf("ProvinceCode() = %q, want %q", got.ProvinceCode(), tt.province)
			}
			if got.BirthYear() != tt.year {
				t.Errorf("BirthYear() = %d, want %d", got.BirthYear(), tt.year)
			}
			if got.Sex() != tt.sex {
				t.Errorf("Sex() = %v, want %v", got.Sex(), tt.sex)
			}
			if got.Serial() != tt.serial {
				t.Errorf("Serial() = %d, want %d", got.Serial(), tt.serial)
			}
			if got.IsZero() {
				t.Errorf("IsZero() = true for a parsed PIN")
			}
		})
	}
}

func TestParse_everyProvince(t *testing.T) {
	for _, p := range pin.Provinces() {
		s := p.Code + "085001234"
		got, err := pin.Parse(s)
		if err != nil {
			t.Errorf("Parse with prefix %s: %v", p.Code, err)
			continue
		}
		if got.ProvinceCode() != p.Code {
			t.Errorf("ProvinceCode() = %q, want %q", got.ProvinceCode(), p.Code)
		}
	}
}

func TestParse_allocs(t *testing.T) {
	got := testing.AllocsPerRun(100, func() {
		if _, err := pin.Parse("079085001234"); err != nil {
			t.Fatal(err)
		}
	})
	if got != 0 {
		t.Errorf("Parse allocates %v times per call, want 0", got)
	}
}

func TestMustParse(t *testing.T) {
	if got, want := pin.MustParse("079085001234").String(), "079085001234"; got != want {
		t.Errorf("MustParse(...).String() = %q, want %q", got, want)
	}
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("MustParse of a bad number did not panic")
		}
		err, ok := r.(error)
		if !ok {
			t.Fatalf("panic value %T, want error", r)
		}
		wantPINError(t, err, "pin", "")
	}()
	pin.MustParse("000085001234")
}

func TestPIN_BirthYear(t *testing.T) {
	tests := []struct {
		century byte
		yy      string
		want    int
	}{
		{'0', "00", 1900}, {'1', "99", 1999},
		{'2', "00", 2000}, {'3', "25", 2025},
		{'4', "00", 2100}, {'5', "99", 2199},
		{'6', "01", 2201}, {'7', "50", 2250},
		{'8', "00", 2300}, {'9', "99", 2399},
	}
	for _, tt := range tests {
		p := pin.MustParse("079" + string(tt.century) + tt.yy + "000000")
		if got := p.BirthYear(); got != tt.want {
			t.Errorf("century %c year %s: BirthYear() = %d, want %d", tt.century, tt.yy, got, tt.want)
		}
	}
}

func TestPIN_Sex(t *testing.T) {
	for g := byte('0'); g <= '9'; g++ {
		want := pin.Male
		if (g-'0')%2 == 1 {
			want = pin.Female
		}
		if got := pin.MustParse("079" + string(g) + "85000000").Sex(); got != want {
			t.Errorf("century digit %c: Sex() = %v, want %v", g, got, want)
		}
	}
}

func TestPIN_zero(t *testing.T) {
	var p pin.PIN
	if !p.IsZero() {
		t.Errorf("IsZero() = false for the zero PIN")
	}
	if got := p.String(); got != "" {
		t.Errorf("String() = %q, want empty", got)
	}
	if got := p.ProvinceCode(); got != "" {
		t.Errorf("ProvinceCode() = %q, want empty", got)
	}
	if got := p.BirthYear(); got != 0 {
		t.Errorf("BirthYear() = %d, want 0", got)
	}
	if got := p.Sex(); got != 0 {
		t.Errorf("Sex() = %v, want 0", got)
	}
	if got := p.Serial(); got != 0 {
		t.Errorf("Serial() = %d, want 0", got)
	}
}

func TestSex_String(t *testing.T) {
	tests := []struct {
		in   pin.Sex
		want string
	}{
		{pin.Male, "male"},
		{pin.Female, "female"},
		{0, "Sex(0)"},
		{3, "Sex(3)"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Sex(%d).String() = %q, want %q", uint8(tt.in), got, tt.want)
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name      string
		province  string
		year      int
		sex       pin.Sex
		serial    int
		want      string
		wantField string
	}{
		{name: "1985 male", province: "079", year: 1985, sex: pin.Male, serial: 1234, want: "079085001234"},
		{name: "1900 female", province: "001", year: 1900, sex: pin.Female, serial: 0, want: "001100000000"},
		{name: "2025 female", province: "096", year: 2025, sex: pin.Female, serial: 999999, want: "096325999999"},
		{name: "2399 male", province: "002", year: 2399, sex: pin.Male, serial: 42, want: "002899000042"},
		{name: "unknown province", province: "003", year: 1985, sex: pin.Male, wantField: "province"},
		{name: "2025 two-digit code", province: "79", year: 1985, sex: pin.Male, wantField: "province"},
		{name: "empty province", province: "", year: 1985, sex: pin.Male, wantField: "province"},
		{name: "year 1899", province: "079", year: 1899, sex: pin.Male, wantField: "birth_year"},
		{name: "year 2400", province: "079", year: 2400, sex: pin.Male, wantField: "birth_year"},
		{name: "sex unknown", province: "079", year: 1985, sex: 0, wantField: "sex"},
		{name: "sex out of range", province: "079", year: 1985, sex: 3, wantField: "sex"},
		{name: "negative serial", province: "079", year: 1985, sex: pin.Male, serial: -1, wantField: "serial"},
		{name: "serial too big", province: "079", year: 1985, sex: pin.Male, serial: 1_000_000, wantField: "serial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pin.New(tt.province, tt.year, tt.sex, tt.serial)
			if tt.wantField != "" {
				wantPINError(t, err, tt.wantField, "")
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got.String() != tt.want {
				t.Errorf("New(...) = %q, want %q", got.String(), tt.want)
			}
			if got.ProvinceCode() != tt.province || got.BirthYear() != tt.year || got.Sex() != tt.sex || got.Serial() != tt.serial {
				t.Errorf("parts = %s %d %v %d, want %s %d %v %d",
					got.ProvinceCode(), got.BirthYear(), got.Sex(), got.Serial(),
					tt.province, tt.year, tt.sex, tt.serial)
			}
			if back, err := pin.Parse(got.String()); err != nil || back != got {
				t.Errorf("Parse(String()) = %v, %v; want %v", back, err, got)
			}
		})
	}
}

func TestRandom(t *testing.T) {
	seeded := func() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }
	tests := []struct {
		name     string
		province string
		year     int
		sex      pin.Sex
		r        *rand.Rand
	}{
		{name: "seeded", province: "079", year: 1985, sex: pin.Male, r: seeded()},
		{name: "seeded female 2025", province: "096", year: 2025, sex: pin.Female, r: seeded()},
		{name: "crypto", province: "001", year: 2300, sex: pin.Female, r: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pin.Random(tt.province, tt.year, tt.sex, tt.r)
			if err != nil {
				t.Fatalf("Random: %v", err)
			}
			if got.ProvinceCode() != tt.province || got.BirthYear() != tt.year || got.Sex() != tt.sex {
				t.Errorf("parts = %s %d %v, want %s %d %v",
					got.ProvinceCode(), got.BirthYear(), got.Sex(), tt.province, tt.year, tt.sex)
			}
			again, err := pin.New(got.ProvinceCode(), got.BirthYear(), got.Sex(), got.Serial())
			if err != nil || again != got {
				t.Errorf("New(parts of Random) = %v, %v; want %v", again, err, got)
			}
		})
	}
}

func TestRandom_seedIsReproducible(t *testing.T) {
	a, _ := pin.Random("079", 1985, pin.Male, rand.New(rand.NewPCG(7, 7)))
	b, _ := pin.Random("079", 1985, pin.Male, rand.New(rand.NewPCG(7, 7)))
	if a != b {
		t.Errorf("same seed gave different numbers")
	}
}

func TestRandom_cryptoSpreads(t *testing.T) {
	// Twenty draws from a million serials colliding entirely would mean the
	// source is stuck; this is a smoke test, not a randomness test.
	seen := make(map[int]bool)
	for range 20 {
		p, err := pin.Random("079", 1985, pin.Male, nil)
		if err != nil {
			t.Fatal(err)
		}
		seen[p.Serial()] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 crypto draws gave %d distinct serials", len(seen))
	}
}

func TestRandom_invalid(t *testing.T) {
	tests := []struct {
		name      string
		province  string
		year      int
		sex       pin.Sex
		wantField string
	}{
		{"province", "000", 1985, pin.Male, "province"},
		{"year", "079", 1800, pin.Male, "birth_year"},
		{"sex", "079", 1985, 0, "sex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pin.Random(tt.province, tt.year, tt.sex, nil)
			wantPINError(t, err, tt.wantField, "")
		})
	}
}

func TestCheck(t *testing.T) {
	p := pin.MustParse("079085001234") // HCMC, 1985, male
	tests := []struct {
		name      string
		p         pin.PIN
		year      int
		sex       pin.Sex
		province  string
		wantField string // "" means agreement
	}{
		{name: "all agree", p: p, year: 1985, sex: pin.Male, province: "079"},
		{name: "province not checked", p: p, year: 1985, sex: pin.Male, province: ""},
		{name: "birth year", p: p, year: 1986, sex: pin.Male, province: "079", wantField: "birth_year"},
		{name: "wrong century", p: p, year: 2085, sex: pin.Male, province: "079", wantField: "birth_year"},
		{name: "sex", p: p, year: 1985, sex: pin.Female, province: "079", wantField: "sex"},
		{name: "sex unknown", p: p, year: 1985, sex: 0, province: "079", wantField: "sex"},
		{name: "province", p: p, year: 1985, sex: pin.Male, province: "001", wantField: "province"},
		{name: "2025 code is not a prefix", p: p, year: 1985, sex: pin.Male, province: "79", wantField: "province"},
		{name: "old province merged into HCMC", p: pin.MustParse("077085001234"), year: 1985, sex: pin.Male, province: "079", wantField: "province"},
		{name: "first mismatch wins", p: p, year: 1990, sex: pin.Female, province: "001", wantField: "birth_year"},
		{name: "sex before province", p: p, year: 1985, sex: pin.Female, province: "001", wantField: "sex"},
		{name: "zero PIN", p: pin.PIN{}, year: 1985, sex: pin.Male, wantField: "pin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pin.Check(tt.p, tt.year, tt.sex, tt.province)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Check: %v, want nil", err)
				}
				return
			}
			wantPINError(t, err, tt.wantField, tt.p.String())
		})
	}
}

func TestError_Error(t *testing.T) {
	tests := []struct {
		in   pin.Error
		want string
	}{
		{pin.Error{Field: "pin", Reason: "province code not in the pre-2025 list"}, "pin: province code not in the pre-2025 list"},
		{pin.Error{Field: "sex", Reason: "does not match the century digit"}, "pin: sex: does not match the century digit"},
	}
	for _, tt := range tests {
		if got := tt.in.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestPIN_MarshalText(t *testing.T) {
	type doc struct {
		PIN   pin.PIN `json:"pin"`
		Other pin.PIN `json:"other,omitzero"`
	}
	tests := []struct {
		name string
		in   doc
		want string
	}{
		{"set", doc{PIN: pin.MustParse("079085001234")}, `{"pin":"079085001234"}`},
		{"zero", doc{}, `{"pin":""}`},
		{"both", doc{PIN: pin.MustParse("001199000001"), Other: pin.MustParse("079085001234")}, `{"pin":"001199000001","other":"079085001234"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b); got != tt.want {
				t.Errorf("Marshal = %s, want %s", got, tt.want)
			}
			var back doc
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if back != tt.in {
				t.Errorf("round trip = %+v, want %+v", back, tt.in)
			}
		})
	}
}

func TestPIN_UnmarshalText(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"valid", `"079085001234"`, false},
		{"empty", `""`, false},
		{"unknown prefix", `"000085001234"`, true},
		{"short", `"07908500123"`, true},
		{"number not string", `79085001234`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p pin.PIN
			err := json.Unmarshal([]byte(tt.in), &p)
			if tt.wantErr {
				if err == nil {
					t.Fatal("Unmarshal succeeded, want error")
				}
				if strings.Contains(err.Error(), "85001234") {
					t.Errorf("error %q contains the number", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := `"`+p.String()+`"`, tt.in; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestPIN_AppendText(t *testing.T) {
	b, err := pin.MustParse("079085001234").AppendText([]byte("pin="))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "pin=079085001234"; got != want {
		t.Errorf("AppendText = %q, want %q", got, want)
	}
}

func TestPIN_LogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	p := pin.MustParse("079085001234")
	log.Info("lookup", "pin", p, slog.Any("subject", p))
	if strings.Contains(buf.String(), "85001234") {
		t.Errorf("log line contains the PIN: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "redacted") {
		t.Errorf("log line does not show the redaction: %s", buf.String())
	}
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := pin.Parse("079085001234"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPIN_String(b *testing.B) {
	p := pin.MustParse("079085001234")
	for b.Loop() {
		_ = p.String()
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"079085001234", "001199000001", "095899654321", "000085001234",
		"", "07908500123", "٠7908500123", "0790850012345", "07908500123a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := pin.Parse(s)
		if err != nil {
			var pe *pin.Error
			if !errors.As(err, &pe) || pe.Field != "pin" {
				t.Fatalf("error %v (%T) is not a *pin.Error for field pin", err, err)
			}
			if len(s) >= 6 && strings.Contains(err.Error(), s) {
				t.Fatalf("error text contains the input")
			}
			return
		}
		if p.String() != s {
			t.Fatalf("String() = %q, want %q", p.String(), s)
		}
		q, err := pin.New(p.ProvinceCode(), p.BirthYear(), p.Sex(), p.Serial())
		if err != nil {
			t.Fatalf("New(parts): %v", err)
		}
		if q != p {
			t.Fatalf("New(parts) = %q, want %q", q, s)
		}
		if err := pin.Check(p, p.BirthYear(), p.Sex(), p.ProvinceCode()); err != nil {
			t.Fatalf("Check(own parts): %v", err)
		}
		text, _ := p.MarshalText()
		var back pin.PIN
		if err := back.UnmarshalText(text); err != nil || back != p {
			t.Fatalf("text round trip = %v, %v", back, err)
		}
	})
}

package compare

import (
	"testing"

	"github.com/dancu/dancu/internal/registry"
)

func TestOSA(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"", "", -1, 0},
		{"abc", "", -1, 3},
		{"huong", "huong", -1, 0},
		{"huong", "huogn", -1, 1}, // transposition
		{"huong", "hung", -1, 1},  // deletion
		{"huong", "huonq", -1, 1}, // substitution
		{"ca", "abc", -1, 3},      // OSA, not full Damerau–Levenshtein
		{"nguyen", "ngyuen", -1, 1},
		{"nguyen van an", "tran thi binh", 2, 3},
		{"abcdef", "a", 2, 3},
	}
	for _, tt := range tests {
		if got := OSA(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("OSA(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
		if got := OSA(tt.b, tt.a, tt.limit); got != tt.want {
			t.Errorf("OSA(%q, %q, %d) = %d, want %d (symmetry)", tt.b, tt.a, tt.limit, got, tt.want)
		}
	}
}

func TestJaroWinkler(t *testing.T) {
	tests := []struct {
		a, b   string
		lo, hi float64
	}{
		{"martha", "marhta", 0.961, 0.962},
		{"dwayne", "duane", 0.84, 0.841},
		{"dixon", "dicksonx", 0.813, 0.814},
		{"lan", "hoa", 0, 0},
		{"", "", 1, 1},
		{"a", "", 0, 0},
		{"huong", "huong", 1, 1},
	}
	for _, tt := range tests {
		got := JaroWinkler(tt.a, tt.b)
		if got < tt.lo || got > tt.hi {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want in [%v, %v]", tt.a, tt.b, got, tt.lo, tt.hi)
		}
		if rev := JaroWinkler(tt.b, tt.a); rev != got {
			t.Errorf("JaroWinkler not symmetric on %q, %q: %v and %v", tt.a, tt.b, got, rev)
		}
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		in                     string
		surname, middle, given string
	}{
		{"Nguyễn Văn An", "nguyen", "van", "an"},
		{"Tôn Thất Thuyết", "ton that", "", "thuyet"},
		{"Tôn Nữ Thị Ninh", "ton nu", "thi", "ninh"},
		{"  NGUYỄN   THỊ   THỦY ", "nguyen", "thi", "thuy"},
		{"H'Hen Niê", "nie", "", "hhen"},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		n := ParseName(tt.in)
		if n.Surname != tt.surname || n.Middle != tt.middle || n.Given != tt.given {
			t.Errorf("ParseName(%q) = %q/%q/%q, want %q/%q/%q", tt.in, n.Surname, n.Middle, n.Given, tt.surname, tt.middle, tt.given)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		a, b string
		want Level
	}{
		{"Nguyễn Thị Thủy", "NGUYỄN THỊ THUỶ", Exact},               // old and new tone placement, case
		{"Lê Hòa", "Lê  Hoà", Exact},                                // spacing, tone placement
		{"Nguyễn Thị Thủy", "Nguyen Thi Thuy", Close},               // dropped diacritics
		{"Nguyễn Thị Thủy", "Nguyễn Thị Thùy", Close},               // another tone
		{"Nguyễn Văn An", "Nguyễn An", Close},                       // missing middle name
		{"Nguyễn Thị Thanh Thuỷ", "Nguyễn Thị Thủy", Close},         // one of two middle names missing
		{"Nguyễn Thị Thanh Thuỷ", "Nguyễn Văn Thủy", Partial},       // another middle name
		{"Trần Thị Mai Lan", "Trần Mai Thị Lan", Close},             // swapped middle names
		{"Phạm Minh Tuấn", "Tuấn Phạm Minh", Close},                 // given name first
		{"Phạm Minh Tuấn", "Phạm Minh Tuán", Close},                 // typo in a tone
		{"Hoàng Văn Thắng", "Hoàng Văn Tháng", Close},               // typo in a vowel
		{"Hoàng Văn Thắng", "Hoagn Văn Thắng", Close},               // transposition
		{"Lê Quang Dũng", "Lê Đức Dũng", Partial},                   // other middle name
		{"Nguyễn Thị Hồng Nhung", "Nguyễn Thi Hông Nung", Close},    // no diacritics and a typo
		{"Nguyễn Thị Hồng Nhung", "Ngyuễn Thị Hồng Nhunh", Partial}, // two typos
		{"Nguyễn Thị Lan", "Nguyễn Thị Hoa", Different},             // other person, common surname and middle
		{"Trần Văn Bình", "Lê Thị Hạnh", Different},
		{"Tôn Thất Thuyết", "Tôn Thất Thuyết", Exact},
		{"Tôn Thất Thuyết", "", Missing},
		{"", "", Missing},
	}
	for _, tt := range tests {
		a, b := ParseName(tt.a), ParseName(tt.b)
		if got := Names(a, b); got != tt.want {
			t.Errorf("Names(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := Names(b, a); got != tt.want {
			t.Errorf("Names(%q, %q) = %v, want %v (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestPart(t *testing.T) {
	tests := []struct {
		a, b string
		want Level
	}{
		{"Thủy", "Thuỷ", Exact},
		{"Thủy", "Thuy", Close},
		{"Hương", "Huogn", Close},
		{"An", "Anh", Partial}, // JW high, but short: never Close
		{"Lan", "Hoa", Different},
		{"Nguyễn Thị Lan", "Nguyen Thi Lan", Close},
		{"", "An", Missing},
	}
	for _, tt := range tests {
		a, b := ParseName(tt.a), ParseName(tt.b)
		if got := Part(a.Fold, a.Key, b.Fold, b.Key); got != tt.want {
			t.Errorf("Part(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNameSimilarity(t *testing.T) {
	tests := []struct {
		a, b   string
		lo, hi int
	}{
		{"Nguyễn Thị Thủy", "Nguyễn Thị Thuỷ", 100, 100},
		{"Nguyễn Thị Thủy", "Nguyen Thi Thuy", 95, 95},
		{"Nguyễn Văn An", "Nguyễn An", 90, 100},
		{"Hoàng Văn Thắng", "Hoàng Văn Thắgn", 80, 99},
		{"Nguyễn Thị Lan", "Nguyễn Thị Hoa", 0, 55},
		{"Trần Văn Bình", "Lê Thị Hạnh", 0, 40},
		{"", "Lê Thị Hạnh", 0, 0},
	}
	for _, tt := range tests {
		got := NameSimilarity(ParseName(tt.a), ParseName(tt.b))
		if got < tt.lo || got > tt.hi {
			t.Errorf("NameSimilarity(%q, %q) = %d, want in [%d, %d]", tt.a, tt.b, got, tt.lo, tt.hi)
		}
	}
}

func TestDates(t *testing.T) {
	d := registry.MustParseDate
	tests := []struct {
		a, b string
		want Level
	}{
		{"1985-03-02", "1985-03-02", Exact},
		{"1985-03-02", "1985-02-03", Close},   // day and month swapped
		{"1985-03-12", "1985-03-13", Close},   // one digit of the day
		{"1985-03-12", "1985-08-12", Close},   // one digit of the month
		{"1985-03", "1985-03-02", Close},      // year and month only
		{"1985-03", "1985-03", Close},         // both partial, equal
		{"1985", "1985-03-02", Partial},       // year only
		{"1985", "1985", Partial},             // both year only
		{"1985-03-02", "1985-11-27", Partial}, // same year only
		{"1985-03-02", "1986-03-02", Partial}, // year one digit off
		{"1985-03-02", "1958-03-02", Different},
		{"1985-03", "1985-04-02", Different},
		{"1985", "1986", Different},
		{"", "1985", Missing},
	}
	for _, tt := range tests {
		a, b := d(tt.a), d(tt.b)
		if got := Dates(a, b); got != tt.want {
			t.Errorf("Dates(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := Dates(b, a); got != tt.want {
			t.Errorf("Dates(%s, %s) = %v, want %v (symmetry)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestSexes(t *testing.T) {
	tests := []struct {
		a, b registry.Sex
		want Level
	}{
		{registry.Male, registry.Male, Exact},
		{registry.Male, registry.Female, Different},
		{"", registry.Female, Missing},
	}
	for _, tt := range tests {
		if got := Sexes(tt.a, tt.b); got != tt.want {
			t.Errorf("Sexes(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0912345678", "912345678"},
		{"+84 912 345 678", "912345678"},
		{"84912345678", "912345678"},
		{"(091) 234-5678", "912345678"},
		{"912345678", "912345678"},
		{"", ""},
		{"abc", ""},
	}
	for _, tt := range tests {
		if got := NormalizePhone(tt.in); got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPhones(t *testing.T) {
	tests := []struct {
		a, b string
		want Level
	}{
		{"0912345678", "+84912345678", Exact},
		{"0912345678", "0912345687", Close},
		{"0912345678", "0912345000", Different},
		{"", "0912345678", Missing},
	}
	for _, tt := range tests {
		if got := Phones(tt.a, tt.b); got != tt.want {
			t.Errorf("Phones(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestPlaces(t *testing.T) {
	tests := []struct {
		ap, ac, bp, bc string
		want           Level
	}{
		{"79", "26734", "79", "26734", Exact},
		{"79", "26734", "79", "26737", Partial},
		{"79", "", "79", "26737", Partial},
		{"79", "26734", "01", "00004", Different},
		{"", "", "79", "26734", Missing},
		{"", "26734", "79", "26734", Exact},
	}
	for _, tt := range tests {
		if got := Places(tt.ap, tt.ac, tt.bp, tt.bc); got != tt.want {
			t.Errorf("Places(%s/%s, %s/%s) = %v, want %v", tt.ap, tt.ac, tt.bp, tt.bc, got, tt.want)
		}
	}
}

func TestAddresses(t *testing.T) {
	tests := []struct {
		a, b string
		want Level
	}{
		{"Số 12, đường Nguyễn Trãi", "so 12 duong nguyen trai", Exact},
		{"12 Nguyễn Trãi", "12 Nguyễn Trãi, phường Bến Thành, TP Hồ Chí Minh", Close},
		{"Thôn 3, xã Ea Tu", "Thôn 5, xã Ea Tu", Partial},
		{"12 Nguyễn Trãi", "Thôn Đông, xã Tân Lập", Different},
		{"", "12 Nguyễn Trãi", Missing},
	}
	for _, tt := range tests {
		if got := Addresses(tt.a, tt.b); got != tt.want {
			t.Errorf("Addresses(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLevel_String(t *testing.T) {
	for l := Level(0); l < NumLevels; l++ {
		got, ok := ParseLevel(l.String())
		if !ok || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", l.String(), got, ok, l)
		}
	}
	if Level(9).String() != "invalid" {
		t.Errorf("Level(9).String() = %q", Level(9).String())
	}
}

func TestScore(t *testing.T) {
	record := Attributes{
		FullName: "Nguyễn Thị Thủy", BirthDate: registry.MustParseDate("1985-03-02"), Sex: registry.Female,
		Address: "Số 12, đường Nguyễn Trãi", Province: "79", Commune: "26734", Phone: "0912345678",
	}
	tests := []struct {
		name   string
		claim  Attributes
		lo, hi int
	}{
		{"all equal", record, 100, 100},
		{"name only, no diacritics", Attributes{FullName: "Nguyen Thi Thuy"}, 95, 95},
		{"typos and swapped date", Attributes{FullName: "Nguyễn Thị Thủt", BirthDate: registry.MustParseDate("1985-02-03"), Sex: registry.Female}, DefaultThreshold, 99},
		{"year only", Attributes{FullName: "Nguyễn Thị Thủy", BirthDate: registry.MustParseDate("1985")}, 70, 85},
		{"another person", Attributes{FullName: "Trần Văn Bình", BirthDate: registry.MustParseDate("1990-07-14"), Sex: registry.Male}, 0, 30},
		{"same name, other sex", Attributes{FullName: "Nguyễn Thị Thủy", BirthDate: registry.MustParseDate("1985-03-02"), Sex: registry.Male}, 0, capDisagreement},
		{"same name, other date", Attributes{FullName: "Nguyễn Thị Thủy", BirthDate: registry.MustParseDate("1971-10-20")}, 0, capDisagreement},
		{"phone the record lacks", Attributes{Phone: "0987654321"}, 0, 0},
		{"nothing", Attributes{}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.claim, record)
			if got.Score < tt.lo || got.Score > tt.hi {
				t.Errorf("Score = %d, want in [%d, %d]; fields %+v", got.Score, tt.lo, tt.hi, got.Fields)
			}
		})
	}
}

func TestScore_fieldsOnlyForClaimedAttributes(t *testing.T) {
	r := Score(Attributes{FullName: "Lê Văn Tám", Phone: "0912345678"}, Attributes{FullName: "Lê Văn Tám"})
	if len(r.Fields) != 2 {
		t.Fatalf("got %d fields, want 2: %+v", len(r.Fields), r.Fields)
	}
	if f, ok := r.Field(FieldPhone); !ok || f.Level != Missing || f.Similarity != 0 {
		t.Errorf("phone = %+v, %v; want Missing with similarity 0", f, ok)
	}
	if _, ok := r.Field(FieldSex); ok {
		t.Error("sex reported though the claim did not give it")
	}
	if r.Score != 67 {
		t.Errorf("Score = %d, want 67 (name 100×4 + phone 0×2)/6", r.Score)
	}
}

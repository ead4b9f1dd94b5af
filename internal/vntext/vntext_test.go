package vntext

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii unchanged", "Nguyen Van An", "Nguyen Van An"},
		{"nfc unchanged", "Nguyễn Thị Thủy", "Nguyễn Thị Thủy"},
		{"keeps case and old tone placement", "HÒA Hòa hoà", "HÒA Hòa hoà"},
		{"nfd to nfc", "Nguye\u0302\u0303n Thi\u0323", "Nguyễn Thị"},
		{"nfd uppercase", "NGUYE\u0302\u0303N", "NGUYỄN"},
		{"marks in wrong order: tone before circumflex", "Nguye\u0303\u0302n", "Nguyễn"},
		{"marks in wrong order: precomposed tone then circumflex", "Nguy\u1EBD\u0302n", "Nguyễn"},
		{"marks in wrong order: tone before breve", "Ha\u0300\u0306ng", "Hằng"},
		{"dot below typed before horn", "Tru\u031Bo\u0323\u031Bng", "Trượng"},
		{"windows-1258 style: shaped letter plus tone", "Nguyê\u0303n", "Nguyễn"},
		{"trim and collapse", "  Nguyễn   Văn\tAn \n", "Nguyễn Văn An"},
		{"nbsp and unicode spaces", "Nguyễn\u00A0Văn\u2003An\u3000", "Nguyễn Văn An"},
		{"line and paragraph separators", "Lê\u2028Văn\u2029Tám", "Lê Văn Tám"},
		{"invisible characters dropped", "\uFEFFNguy\u200Bễn Th\u00ADị", "Nguyễn Thị"},
		{"eth to đ", "Ðặng ðức", "Đặng đức"},
		{"african d to đ", "Ɖỗ ɖạt", "Đỗ đạt"},
		{"real đ kept", "Đặng Đức", "Đặng Đức"},
		{"right single quote", "H\u2019Hen Niê", "H'Hen Niê"},
		{"modifier letter apostrophe", "H\u02BCHen", "H'Hen"},
		{"left single quote", "H\u2018Hen", "H'Hen"},
		{"backtick", "H`Hen", "H'Hen"},
		{"acute accent", "H\u00B4Hen", "H'Hen"},
		{"fullwidth apostrophe", "H\uFF07Hen", "H'Hen"},
		{"ascii apostrophe kept", "H'Hen", "H'Hen"},
		{"hyphen variants", "Ê\u2010đê Ba\u2013na", "Ê-đê Ba-na"},
		{"only spaces", " \t\u00A0 ", ""},
		{"invalid utf8 replaced", "Ng\xffuyen", "Ng\uFFFDuyen"},
		{"truncated utf8 replaced", "Nguy\xe1\xbb", "Nguy\uFFFD\uFFFD"},
		{"greek varia becomes apostrophe", "H\u1FEFHen", "H'Hen"},
		{"lone combining mark kept", "\u0301a", "\u0301a"},
		{"ê̆ of the Ê Đê alphabet kept", "Ê\u0306", "Ê\u0306"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalize_noAllocForNormalASCII(t *testing.T) {
	s := "Nguyen Van An"
	if n := testing.AllocsPerRun(100, func() { _ = Normalize(s) }); n != 0 {
		t.Errorf("Normalize(%q) allocates %v times, want 0", s, n)
	}
}

// tonePairs lists old/new tone placements (and mistyped placements) that
// must fold to the same, new, form.
var tonePairs = []struct {
	old, new string
}{
	// oa, oe, uy in open syllables: every tone.
	{"hòa", "hoà"}, {"hỏa", "hoả"}, {"hõa", "hoã"}, {"hóa", "hoá"}, {"họa", "hoạ"},
	{"khòe", "khoè"}, {"khỏe", "khoẻ"}, {"khõe", "khoẽ"}, {"khóe", "khoé"}, {"khọe", "khoẹ"},
	{"thùy", "thuỳ"}, {"thủy", "thuỷ"}, {"thũy", "thuỹ"}, {"thúy", "thuý"}, {"thụy", "thuỵ"},
	{"xòe", "xoè"}, {"lũy", "luỹ"}, {"tùy", "tuỳ"}, {"Hòa", "hoà"}, {"HÒA", "hoà"}, {"Thủy", "thuỷ"},
	// Mistyped tone positions in closed syllables and with qu/gi.
	{"hòan", "hoàn"}, {"hùynh", "huỳnh"}, {"tòan", "toàn"},
	{"qúy", "quý"}, {"qùynh", "quỳnh"}, {"qủa", "quả"}, {"qúa", "quá"},
	{"gía", "giá"}, {"gìa", "già"}, {"gịa", "giạ"},
	// Shape-marked vowels take the tone whatever was typed.
	{"ngừơi", "người"}, {"rựơu", "rượu"}, {"tìên", "tiền"}, {"thúê", "thuế"}, {"túân", "tuấn"},
	// Three vowels: the middle one.
	{"ngóai", "ngoái"}, {"khủyu", "khuỷu"}, {"ngòay", "ngoày"},
}

func TestFold_tonePlacement(t *testing.T) {
	for _, tt := range tonePairs {
		t.Run(tt.old, func(t *testing.T) {
			if got := Fold(tt.old); got != tt.new {
				t.Errorf("Fold(%q) = %q, want %q", tt.old, got, tt.new)
			}
			if got := Fold(tt.new); got != tt.new {
				t.Errorf("Fold(%q) = %q, want it unchanged", tt.new, got)
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii", "Nguyen Van An", "nguyen van an"},
		{"ascii already folded", "nguyen van an", "nguyen van an"},
		{"full name old placement", "Nguyễn Thị Thủy", "nguyễn thị thuỷ"},
		{"full name new placement", "Nguyễn Thị Thuỷ", "nguyễn thị thuỷ"},
		{"all caps", "NGUYỄN THỊ THỦY", "nguyễn thị thuỷ"},
		{"nfd", "Nguye\u0302\u0303n Thi\u0323 Thu\u0309y", "nguyễn thị thuỷ"},
		{"nbsp and spaces", "\u00A0Nguyễn  Thị\tThủy ", "nguyễn thị thuỷ"},
		{"diacritics kept", "Hoa", "hoa"},
		{"đ and look-alikes", "Ðặng Ɖức ðạt ɖũng", "đặng đức đạt đũng"},
		{"apostrophe kept", "H’Hen Niê", "h'hen niê"},
		{"hyphen as space", "Ê-đê", "ê đê"},
		{"hyphen with spaces", "Ba - Na", "ba na"},
		// Tone does not move off these.
		{"quý", "Quý", "quý"},
		{"quỳnh", "Quỳnh", "quỳnh"},
		{"quả", "quả", "quả"},
		{"quốc", "Quốc", "quốc"},
		{"giá", "giá", "giá"},
		{"già", "Già", "già"},
		{"gìn: i is the vowel", "gìn", "gìn"},
		{"gì", "gì", "gì"},
		{"giữ", "giữ", "giữ"},
		{"giường", "Giường", "giường"},
		{"mùa: ua puts it first", "mùa", "mùa"},
		{"của", "của", "của"},
		{"kìa", "kìa", "kìa"},
		{"hoàng closed", "Hoàng", "hoàng"},
		{"huỳnh closed", "Huỳnh", "huỳnh"},
		{"oai", "Thoại", "thoại"},
		{"uyê", "Nguyễn Thị Huyền", "nguyễn thị huyền"},
		{"uyu", "khuỷu", "khuỷu"},
		{"two tones left alone", "hóà", "hóà"},
		{"two vowel groups left alone", "Êbàn", "êbàn"},
		{"minority syllables", "Y Ngông Niê Kdăm", "y ngông niê kdăm"},
		{"other script kept", "Ολγα", "ολγα"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFold_distinguishesTones(t *testing.T) {
	// Fold must not lose what Key loses.
	for _, pair := range [][2]string{{"Hoa", "Hòa"}, {"Hòa", "Hóa"}, {"Thủy", "Thúy"}, {"Đào", "Dao"}, {"Tôn", "Tồn"}} {
		if Fold(pair[0]) == Fold(pair[1]) {
			t.Errorf("Fold(%q) == Fold(%q) = %q, want different", pair[0], pair[1], Fold(pair[0]))
		}
	}
}

func TestKey(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"already a key", "nguyen thi thuy", "nguyen thi thuy"},
		{"new placement", "Nguyễn Thị Thuỷ", "nguyen thi thuy"},
		{"old placement", "Nguyễn Thị Thủy", "nguyen thi thuy"},
		{"all caps", "NGUYỄN THỊ THỦY", "nguyen thi thuy"},
		{"double space", "Nguyen  Thi Thuy", "nguyen thi thuy"},
		{"nfd", "Nguye\u0302\u0303n Thi\u0323 Thu\u0309y", "nguyen thi thuy"},
		{"marks in wrong order", "Nguye\u0303\u0302n", "nguyen"},
		{"nbsp tab newline", "\tNguyễn\u00A0Thị\nThủy\r\n", "nguyen thi thuy"},
		{"đ", "Đặng Đức Đạt", "dang duc dat"},
		{"eth", "Ðặng ðức", "dang duc"},
		{"african d", "Ɖỗ ɖạt", "do dat"},
		{"apostrophe removed", "H'Hen Niê", "hhen nie"},
		{"curly apostrophe removed", "H’Hen Niê", "hhen nie"},
		{"modifier apostrophe removed", "HʼHen Niê", "hhen nie"},
		{"backtick removed", "H`Hen", "hhen"},
		{"hyphen as space", "Ê-đê", "e de"},
		{"en dash as space", "Ba–Na", "ba na"},
		{"apostrophe between spaces", "a ' b", "a b"},
		{"every vowel and tone", "àảãáạ ằẳẵắặ ầẩẫấậ èẻẽéẹ ềểễếệ ìỉĩíị òỏõóọ ồổỗốộ ờởỡớợ ùủũúụ ừửữứự ỳỷỹýỵ",
			"aaaaa aaaaa aaaaa eeeee eeeee iiiii ooooo ooooo ooooo uuuuu uuuuu yyyyy"},
		{"upper vowels", "ÀẢÃÁẠ ĂÂÊÔƠƯ", "aaaaa aaeoou"},
		{"other latin letters", "Ñúñez Müller", "nunez muller"},
		{"letter without ascii base", "Søren Groß", "søren groß"},
		{"other script", "Ολγα", "ολγα"},
		{"greek with tonos", "Ἀθῆναι", "αθηναι"},
		{"invalid utf8", "Ng\xffuyen", "ng\uFFFDuyen"},
		{"digits and dots kept", "Nguyễn V. An 2", "nguyen v. an 2"},
		{"invisible characters", "\uFEFFNguy\u200Bễn", "nguyen"},
		{"combining mark alone", "a \u0301 b", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Key(tt.in); got != tt.want {
				t.Errorf("Key(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKey_allocations(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"nguyen thi thuy", 0},
		{"Nguyen Thi Thuy", 1},
		{"Nguyễn Thị Thuỷ", 1},
		{"Nguye\u0302\u0303n Thi\u0323", 1},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, func() { _ = Key(tt.in) }); got != tt.want {
			t.Errorf("Key(%+q) allocates %v times, want %v", tt.in, got, tt.want)
		}
	}
}

func TestKey_fastPathMatchesFold(t *testing.T) {
	for _, s := range corpus(t) {
		fast, ok := buildKey(s, false)
		if !ok {
			continue
		}
		slow, _ := buildKey(Fold(s), true)
		if fast != slow {
			t.Errorf("fast key of %+q = %+q, key of its fold = %+q", s, fast, slow)
		}
	}
}

func TestHasDiacritics(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"nguyen thi thuy", false},
		{"NGUYEN THI THUY", false},
		{"Nguyễn", true},
		{"Hòa", true},
		{"Ân", true},
		{"Dang Đuc", true},
		{"ðang", true},
		{"Ɖang", true},
		{"H'Hen", false},
		{"H’Hen", false},
		{"Nguyen\u00A0Van", false},
		{"Nguye\u0302n", true},
		{"Ñ", true},
		{"Søren", false},
		{"Ολγα", false},
		{"\xff", false},
	}
	for _, tt := range tests {
		if got := HasDiacritics(tt.in); got != tt.want {
			t.Errorf("HasDiacritics(%+q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestMatchRule checks the search rule the package is built for: Key
// equality, plus Fold equality when the query has diacritics.
func TestMatchRule(t *testing.T) {
	match := func(query, stored string) bool {
		if Key(query) != Key(stored) {
			return false
		}
		return !HasDiacritics(query) || Fold(query) == Fold(stored)
	}
	tests := []struct {
		query, stored string
		want          bool
	}{
		{"nguyen thi thuy", "Nguyễn Thị Thủy", true},
		{"Nguyễn Thị Thuỷ", "Nguyễn Thị Thủy", true},
		{"NGUYỄN THỊ THỦY", "Nguyễn Thị Thuỷ", true},
		{"Nguyễn Thị Thúy", "Nguyễn Thị Thủy", false},
		{"Hoa", "Hòa", true}, // no diacritics typed: Key only
		{"Hoà", "Hòa", true},
		{"Hóa", "Hòa", false},
		{"Dang", "Đặng", true},
		{"Ðặng", "Đặng", true},
		{"hhen nie", "H’Hen Niê", true},
	}
	for _, tt := range tests {
		if got := match(tt.query, tt.stored); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.query, tt.stored, got, tt.want)
		}
	}
}

// TestProperties checks the algebra of the three forms over a corpus of
// real names and their variants.
func TestProperties(t *testing.T) {
	for _, x := range corpus(t) {
		n, f, k := Normalize(x), Fold(x), Key(x)
		if got := Normalize(n); got != n {
			t.Errorf("Normalize not idempotent on %+q: %+q then %+q", x, n, got)
		}
		if got := Fold(f); got != f {
			t.Errorf("Fold not idempotent on %+q: %+q then %+q", x, f, got)
		}
		if got := Key(k); got != k {
			t.Errorf("Key not idempotent on %+q: %+q then %+q", x, k, got)
		}
		if got := Key(f); got != k {
			t.Errorf("Key(Fold(%+q)) = %+q, Key = %+q", x, got, k)
		}
		if got := Fold(n); got != f {
			t.Errorf("Fold(Normalize(%+q)) = %+q, Fold = %+q", x, got, f)
		}
		if !isASCII(k) {
			t.Errorf("Key(%+q) = %+q is not ASCII", x, k)
		}
		if !norm.NFC.IsNormalString(n) || !norm.NFC.IsNormalString(f) {
			t.Errorf("Normalize or Fold of %+q not NFC", x)
		}
	}
}

// corpus returns the reference names in many spellings: as listed, full
// names built from them, and each of those in NFD, upper case, lower case,
// with the old and new tone placement, and with messy white space.
func corpus(t testing.TB) []string {
	t.Helper()
	surnames := readColumn(t, "testdata/surnames.csv", 0)
	given := readColumn(t, "testdata/given-names.csv", 2)
	base := append(append([]string{}, surnames...), given...)
	for i, s := range surnames {
		base = append(base, s+" "+given[i%len(given)]+" "+given[(i*7+3)%len(given)])
	}
	for _, p := range tonePairs {
		base = append(base, p.old, p.new)
	}
	base = append(base, "H'Hen Niê", "Y Ngông Niê Kdăm", "Ksor H’Bơ Khăp", "Công Tằng Tôn Nữ Thị Hạnh", "Đặng Ɖức ðạt")
	var out []string
	for _, s := range base {
		out = append(out, s,
			norm.NFD.String(s),
			strings.ToUpper(s),
			strings.ToLower(s),
			placeTonesString(s),
			"  "+strings.ReplaceAll(s, " ", "\u00A0\t ")+"\n",
		)
	}
	return out
}

func readColumn(t testing.TB, path string, col int) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range rows[1:] {
		if !utf8.ValidString(row[col]) {
			t.Fatalf("%s: invalid UTF-8", path)
		}
		out = append(out, row[col])
	}
	return out
}

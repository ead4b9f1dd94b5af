package compare

import (
	"testing"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/registry"
)

// FuzzScore checks that no input makes the comparators panic, that
// comparing a value with itself never gives less than Close, and that
// scores stay within 0–100.
func FuzzScore(f *testing.F) {
	f.Add("Nguyễn Thị Thủy", "Nguyen Thi Thuy", "+84 912 345 678", "12 Nguyễn Trãi")
	f.Add("Tôn Nữ Thị Ninh", "H'Hen Niê", "0", "")
	f.Add("\xff\xfe", "a b c d e f", "84", ",,,")
	f.Fuzz(func(t *testing.T, a, b, phone, addr string) {
		na, nb := ParseName(a), ParseName(b)
		if l := Names(na, na); !na.IsZero() && l != Exact {
			t.Errorf("Names(x, x) = %v for %q", l, a)
		}
		if l := Names(na, nb); l < Missing || l > Exact {
			t.Errorf("Names level out of range: %v", l)
		}
		if !utf8.ValidString(na.Fold) || !utf8.ValidString(na.Key) {
			t.Errorf("ParseName(%q) gave invalid UTF-8", a)
		}
		if p := NormalizePhone(phone); len(p) > 24 {
			t.Errorf("NormalizePhone(%q) too long", phone)
		}
		claim := Attributes{FullName: a, Phone: phone, Address: addr, BirthDate: registry.Date{Year: 1985}}
		rec := Attributes{FullName: b, Phone: phone, Address: addr, Sex: registry.Male}
		if s := Score(claim, rec).Score; s < 0 || s > 100 {
			t.Errorf("Score out of range: %d", s)
		}
		OSA(a, b, 2)
		JaroWinkler(a, b)
	})
}

package linkage

import (
	"testing"

	"github.com/dancu/dancu/internal/match/compare"
	"github.com/dancu/dancu/internal/registry"
)

func rec(name, birth string, sex registry.Sex, mother string) Record {
	return RecordOf(&registry.Person{PIN: name, FullName: name, BirthDate: registry.MustParseDate(birth), Sex: sex,
		BirthRegistrationPlace: registry.Place{Province: "01"}, Mother: &registry.Relative{FullName: mother},
		PermanentResidence: &registry.Residence{Province: "01", Commune: "00004"}})
}

func TestCompare_andPlausible(t *testing.T) {
	base := rec("Nguyễn Thị Thanh Thuỷ", "1985-03-02", registry.Female, "Trần Thị Lụa")
	tests := []struct {
		name      string
		other     Record
		given     compare.Level
		plausible bool
	}{
		{"no diacritics", rec("Nguyen Thi Thanh Thuy", "1985-03-02", registry.Female, "Tran Thi Lua"), compare.Close, true},
		{"given name first", rec("Thuỷ Nguyễn Thị Thanh", "1985-02-03", registry.Female, ""), compare.Close, true},
		{"one middle name missing", rec("Nguyễn Thị Thuỷ", "1985", registry.Female, "Trần Thị Lụa"), compare.Exact, true},
		{"twin sister", rec("Nguyễn Thị Thanh Hà", "1985-03-02", registry.Female, "Trần Thị Lụa"), compare.Different, false},
		{"another year", rec("Nguyễn Thị Thanh Thuỷ", "1971-03-02", registry.Female, "Trần Thị Lụa"), compare.Exact, false},
		{"another sex", rec("Nguyễn Thị Thanh Thuỷ", "1985-03-02", registry.Male, "Trần Thị Lụa"), compare.Exact, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Compare(&base, &tt.other)
			if v[Given] != tt.given {
				t.Errorf("given name level = %v, want %v (vector %v)", v[Given], tt.given, v)
			}
			if got := Plausible(v); got != tt.plausible {
				t.Errorf("Plausible(%v) = %v, want %v", v, got, tt.plausible)
			}
			if back := vectorOf(v.pattern()); back != v {
				t.Errorf("pattern round trip: %v -> %v", v, back)
			}
		})
	}
}

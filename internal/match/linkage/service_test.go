package linkage_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/dancu/dancu/internal/match/linkage"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store/sqlite"
)

func TestService_Candidates(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := registry.New(st)
	register := func(name, birth, sex string, parents ...string) string {
		d := map[string]any{
			"full_name": name, "birth_date": birth, "sex": sex, "ethnicity": "01",
			"registration_place": map[string]string{"province": "01"},
			"address":            map[string]string{"province": "01", "commune": "00004", "address": "Số 1 phố Đội Cấn"},
		}
		if len(parents) == 2 {
			d["father"] = map[string]string{"full_name": parents[0]}
			d["mother"] = map[string]string{"full_name": parents[1]}
		}
		data, _ := json.Marshal(d)
		res, err := reg.Submit(ctx, registry.Submission{Actor: "test", Event: registry.Event{
			Type: "initial_registration", EffectiveDate: registry.MustParseDate("2025-08-01"), Reason: "test", Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		return res.PIN
	}
	thuy := register("Nguyễn Thị Thanh Thủy", "1985-03-02", "female", "Nguyễn Văn Hòa", "Trần Thị Lụa")
	register("Nguyễn Thị Thanh Hà", "1985-03-02", "female")
	binh := register("Trần Văn Bình", "1985-03-02", "female")

	svc := linkage.NewService(st)
	res := &registry.Residence{Province: "01", Commune: "00004", Address: "Số 1 phố Đội Cấn"}
	tests := []struct {
		name string
		p    registry.Person
		want []string
	}{
		{"no diacritics, old tone placement", registry.Person{FullName: "Nguyen Thi Thanh Thuy", BirthDate: registry.MustParseDate("1985-03-02"),
			Sex: registry.Female, BirthRegistrationPlace: registry.Place{Province: "01"}, PermanentResidence: res}, []string{thuy}},
		{"middle name missing, day and month swapped", registry.Person{FullName: "Nguyễn Thị Thuỷ", BirthDate: registry.MustParseDate("1985-02-03"),
			Sex: registry.Female, BirthRegistrationPlace: registry.Place{Province: "01"}, PermanentResidence: res}, []string{thuy}},
		// Not in the name searches (the surname is mistyped), nor in the
		// commune's (registered in another province): only the search by
		// date of birth and sex finds her; her parents' names make the case.
		{"misspelt surname, another province", registry.Person{FullName: "Ngyễn Thị Thanh Thủy", BirthDate: registry.MustParseDate("1985-03-02"),
			Sex: registry.Female, BirthRegistrationPlace: registry.Place{Province: "79"},
			Father: &registry.Relative{FullName: "Nguyễn Văn Hoà"}, Mother: &registry.Relative{FullName: "Trần Thị Lụa"},
			PermanentResidence: &registry.Residence{Province: "79", Commune: "26734", Address: "12 Nguyễn Huệ"}}, []string{thuy}},
		{"misspelt surname, another province, another given name", registry.Person{FullName: "Ngyễn Thị Thanh Tâm", BirthDate: registry.MustParseDate("1985-03-02"),
			Sex: registry.Female, BirthRegistrationPlace: registry.Place{Province: "79"},
			Father: &registry.Relative{FullName: "Nguyễn Văn Hoà"}, Mother: &registry.Relative{FullName: "Trần Thị Lụa"},
			PermanentResidence: &registry.Residence{Province: "79", Commune: "26734", Address: "12 Nguyễn Huệ"}}, nil},
		{"another person", registry.Person{FullName: "Lê Văn Tám", BirthDate: registry.MustParseDate("1970-01-01"),
			Sex: registry.Male, BirthRegistrationPlace: registry.Place{Province: "01"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.Candidates(ctx, &tt.p, 0)
			if err != nil {
				t.Fatal(err)
			}
			var pins []string
			for _, c := range got {
				pins = append(pins, c.PIN)
				if len(c.Evidence) != int(linkage.NumFields) || c.Probability < 0.5 {
					t.Errorf("candidate %+v", c)
				}
			}
			// The true person comes first; a twin sister with another
			// given name, born the same day at the same address, may
			// follow, never before.
			if len(tt.want) == 0 && len(pins) > 0 || len(tt.want) > 0 && (len(pins) == 0 || pins[0] != tt.want[0]) {
				t.Errorf("candidates = %v, want first %v", pins, tt.want)
			}
			for _, p := range pins {
				if p == binh {
					t.Errorf("an unrelated person is a candidate")
				}
			}
		})
	}
}

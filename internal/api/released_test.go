package api

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/dancu/dancu/internal/registry"
)

// decodedFields is what releasedFields replaced: decode the top level and
// keep the keys whose raw values are not empty. It is the reference the
// scanner must agree with.
func decodedFields(b []byte) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	out := []string{}
	for k, raw := range m {
		if s := string(raw); s != "null" && s != `""` && s != "[]" && s != "{}" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func TestReleasedFields(t *testing.T) {
	p := &registry.Person{
		PIN: "079190000123", FullName: "Nguyễn Văn \"An\"", BirthDate: registry.MustParseDate("1990-03-02"),
		Sex: registry.Male, Ethnicity: "01", Nationality: "VN",
		PermanentResidence: &registry.Residence{Province: "79", Commune: "26734", Address: `12 "Đường" {Số} [3], \ `},
		Children:           []registry.Relative{{PIN: "079210000001", FullName: "B"}},
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, want := releasedFields(b), decodedFields(b)
	if !slices.Equal(got, want) {
		t.Errorf("releasedFields = %v, want %v", got, want)
	}
	for _, f := range []string{"place_of_birth", "father", "documents", "other_name"} {
		if slices.Contains(got, f) {
			t.Errorf("empty field %s listed: %v", f, got)
		}
	}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`{}`, nil},
		{` { "a" : 1 , "b":null,"c":"","d":[],"e":{},"f":[null],"g":{"x":""},"h":false,"i":"}\"{"} `, []string{"a", "f", "g", "h", "i"}},
		{`{"\u0061\"b":1}`, []string{"a\"b"}},
		{`[1]`, nil},
		{`"x"`, nil},
	} {
		if got := releasedFields([]byte(tc.in)); !slices.Equal(got, tc.want) {
			t.Errorf("releasedFields(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzReleasedFields checks the scanner against decoding on any JSON object
// without repeated keys, compact and indented.
func FuzzReleasedFields(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":null,"c":{"d":[1,"]"]},"e":"\\\""}`))
	f.Add([]byte(`{"pin":"079190000123","documents":[],"status":{"state":"alive"}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(in, &m) != nil || m == nil {
			return
		}
		compact, err := json.Marshal(m)
		if err != nil {
			return
		}
		indented, err := json.MarshalIndent(m, " ", "\t")
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{compact, indented} {
			got, want := releasedFields(b), decodedFields(b)
			if len(got) == 0 && len(want) == 0 {
				continue
			}
			if !slices.Equal(got, want) {
				t.Fatalf("releasedFields(%s) = %q, want %q", b, got, want)
			}
		}
	})
}

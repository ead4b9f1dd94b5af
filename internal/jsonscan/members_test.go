package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestMembers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Member
		err  error
	}{
		{`{}`, nil, nil},
		{` { "a" : 1 , "b":"x,}" ,"c":[1,{"d":"]"}],"e":null} `, []Member{
			{"a", []byte("1")}, {"b", []byte(`"x,}"`)}, {"c", []byte(`[1,{"d":"]"}]`)}, {"e", []byte("null")},
		}, nil},
		{`{"n\u0061me":"\"q\"","a":{}}`, []Member{{"name", []byte(`"\"q\""`)}, {"a", []byte("{}")}}, nil},
		{`{"a":1,"a":2}`, []Member{{"a", []byte("1")}, {"a", []byte("2")}}, nil},
		{`[1]`, nil, ErrNotObject},
		{`"s"`, nil, ErrNotObject},
	} {
		got, err := Members([]byte(tc.in), nil)
		if !errors.Is(err, tc.err) || !equal(got, tc.want) {
			t.Errorf("Members(%s) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func equal(a, b []Member) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Raw, b[i].Raw) {
			return false
		}
	}
	return true
}

// FuzzMembers_matchesDecoder holds Members to encoding/json on valid JSON:
// an object gives the members a map of raw messages holds (the later of a
// repeated name winning), anything else an error.
func FuzzMembers_matchesDecoder(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"b\"}","c":[{},[]]}`, `{"\u00e9":true,"x":-1.5e3}`, `[]`, `1`, `null`, `{"a":1,"a":{"b":2}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		got, err := Members(data, nil)
		var want map[string]json.RawMessage
		if json.Unmarshal(data, &want) != nil || want == nil {
			if err == nil {
				t.Fatalf("Members(%q) = %q, want an error (not an object)", data, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("Members(%q): %v", data, err)
		}
		last := map[string][]byte{}
		for _, m := range got {
			last[m.Name] = m.Raw
		}
		if len(last) != len(want) {
			t.Fatalf("Members(%q) names %d members, the decoder %d", data, len(last), len(want))
		}
		for name, raw := range want {
			var a, b any
			if json.Unmarshal(last[name], &a) != nil || json.Unmarshal(raw, &b) != nil {
				t.Fatalf("Members(%q): member %q is %q, the decoder's %q", data, name, last[name], raw)
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if !bytes.Equal(ja, jb) {
				t.Fatalf("Members(%q): member %q is %q, the decoder's %q", data, name, last[name], raw)
			}
		}
	})
}

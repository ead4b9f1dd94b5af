package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// referenceParse is how lines were parsed before jsonscan.Members: both the
// line and its attributes decoded into maps by encoding/json. The fuzz
// target below holds the scanner to it.
func referenceParse(k *Kind, line []byte) (Parsed, *LineError) {
	if !utf8.Valid(line) {
		return Parsed{}, lineErr("", "not valid UTF-8")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Parsed{}, lineErr("", fmt.Sprintf("not valid JSON (at byte %d)", se.Offset))
		}
		return Parsed{}, lineErr("", "must be a JSON object")
	}
	if top == nil {
		return Parsed{}, lineErr("", "must be a JSON object")
	}
	for name := range top {
		if name != "key" && name != "pin" && name != "attributes" {
			return Parsed{}, lineErr(echoName(name), "unknown member")
		}
	}
	var p Parsed
	if e := k.parseKeyPIN(top["key"], top["pin"], &p); e != nil {
		return Parsed{}, e
	}
	attrs := top["attributes"]
	if len(attrs) == 0 {
		return Parsed{}, lineErr("attributes", "is required")
	}
	if attrs[0] != '{' {
		return Parsed{}, lineErr("attributes", "must be an object, not "+typeName(attrs))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(attrs, &m); err != nil {
		return Parsed{}, lineErr("attributes", "not valid JSON")
	}
	for name := range m {
		if fieldIndex(k.Fields, name) < 0 {
			return Parsed{}, lineErr("attributes."+echoName(name), "unknown attribute for a "+k.Name+" dataset")
		}
	}
	// What is left is the same code on both sides: rebuild the object
	// from the map and let the scanner's path finish it.
	var b strings.Builder
	b.WriteByte('{')
	for _, f := range k.Fields {
		if raw, ok := m[f.Name]; ok {
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			name, _ := json.Marshal(f.Name)
			b.Write(name)
			b.WriteByte(':')
			b.Write(raw)
		}
	}
	b.WriteByte('}')
	data, e := k.Canonical(json.RawMessage(b.String()))
	if e != nil {
		return Parsed{}, e
	}
	p.Data = data
	return p, nil
}

// unknownName reports refusals that name one of several unknown members:
// the maps gave them in random order, the scanner in document order.
func unknownName(e *LineError) bool {
	return e != nil && (e.Reason == "unknown member" || strings.HasPrefix(e.Reason, "unknown attribute"))
}

func checkAgainstReference(t *testing.T, line string) {
	for _, k := range kinds {
		got, gotErr := k.ParseLine([]byte(line))
		want, wantErr := referenceParse(k, []byte(line))
		switch {
		case (gotErr == nil) != (wantErr == nil):
			t.Fatalf("%s %q: scanner %v, reference %v", k.Name, line, gotErr, wantErr)
		case gotErr != nil:
			if unknownName(gotErr) && unknownName(wantErr) && gotErr.Reason == wantErr.Reason {
				continue
			}
			if *gotErr != *wantErr {
				t.Fatalf("%s %q: scanner %+v, reference %+v", k.Name, line, *gotErr, *wantErr)
			}
		case got.Key != want.Key || got.PIN != want.PIN || string(got.Data) != string(want.Data):
			t.Fatalf("%s %q: scanner %+v, reference %+v", k.Name, line, got, want)
		}
	}
}

func TestParseLine_matchesDecoder(t *testing.T) {
	for _, line := range []string{
		siLine(1, "active"),
		` { "key" : "a" , "pin" : "001090000001" , "attributes" : { "insurance_code" : "7900000001" , "status" : "active" } } `,
		`{"key":"a","key":"b","pin":"001090000001","attributes":{"insurance_code":"7900000001","status":"active","status":"closed"}}`,
		`{"k\u0065y":"a","pin":"001090000001","attributes":{"insurance_code":"7900000001","st\u0061tus":"active"}}`,
		`{"key":"a","pin":"001090000001","attributes":{"insurance_code":"7900000001","status":"active","x":{"y":["}",{"]":1}]}}}`,
		`{"key":"a","pin":"001090000001","attributes":{"insurance_code":"7900000001","status":null}}`,
		`{"key":"a","pin":"001090000001","attributes":[]}`,
		`{"key":"a","pin":"001090000001","attributes":{}}`,
		`{"key":"a","pin":"001090000001","attributes":{"insurance_code":"7900000001","status":"active"},"extra":true}`,
		`{"key":"a","pin":"001090000001","attributes":{"insurance_code":"7900000001","status":"active"}`,
		`{"key":"a","pin":001090000001}`,
		`{"key":1e5,"pin":"x"}`,
		`{}`, `[]`, `null`, `"x"`, `1`, `{"a":}`, ``, ` `,
	} {
		checkAgainstReference(t, line)
	}
}

// FuzzParseLine_matchesDecoder holds the scanner to the map decoding it
// replaced: the same lines accepted with the same records, the same lines
// refused with the same reasons.
func FuzzParseLine_matchesDecoder(f *testing.F) {
	f.Add(siLine(1, "active"))
	f.Add(`{"key":"c1","pin":"001090000001","attributes":{"card_number":"DN4797915123456","valid_from":"2025-01-01","valid_to":"2025-12-31","facility":"79024"}}`)
	f.Add(`{"key":"a","key":"b","pin":"001090000001","attributes":{"insurance_code":"7\u0039000000001","status":"closed","status":null}}`)
	f.Add(`{"key":"a","pin":"001090000001","attributes":{"x":{"y":["}",{"]":1}]}}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, line string) {
		checkAgainstReference(t, line)
	})
}

package exchange

import (
	"slices"
	"strings"
	"testing"
)

func TestEvaluate(t *testing.T) {
	vss := Grant{Agency: "vss", Purpose: "enrol", Fields: []string{"sex", "full_name", "birth_date"}, Status: Active}
	vssCheck := Grant{Agency: "vss", Purpose: "verify", DemographicCheck: true, Status: Active}
	vssOff := Grant{Agency: "vss", Purpose: "old", Fields: []string{"full_name"}, Status: Disabled}
	bank := Grant{Agency: "bank", Purpose: "kyc", Fields: []string{"phone", "full_name"}, Status: Active, DemographicCheck: true}
	bankAsVSS := Grant{Agency: "bank", Purpose: "enrol", Fields: []string{"phone"}, Status: Active}
	empty := Grant{Agency: "vss", Purpose: "status-only", Status: Active}
	stale := Grant{Agency: "vss", Purpose: "stale", Fields: []string{"full_name", "removed_field"}, Status: Active}
	all := []Grant{vss, vssCheck, vssOff, bank, bankAsVSS, empty, stale}

	tests := []struct {
		name       string
		grants     []Grant
		req        Request
		allow      bool
		reason     Reason
		fields     []string
		faultField string
	}{
		{"no grants at all", nil, Request{Agency: "vss", Purpose: "enrol"}, false, ReasonNoGrant, nil, ""},
		{"no agency", all, Request{Purpose: "enrol"}, false, ReasonNoAgency, nil, ""},
		{"no purpose", all, Request{Agency: "vss"}, false, ReasonPurposeMissing, nil, ""},
		{"granted purpose, all fields, sorted", all, Request{Agency: "vss", Purpose: "enrol"}, true, ReasonAllowed, []string{"birth_date", "full_name", "sex"}, ""},
		{"narrowed", all, Request{Agency: "vss", Purpose: "enrol", Fields: []string{"sex"}}, true, ReasonAllowed, []string{"sex"}, ""},
		{"narrowed with duplicates", all, Request{Agency: "vss", Purpose: "enrol", Fields: []string{"sex", "full_name", "sex"}}, true, ReasonAllowed, []string{"full_name", "sex"}, ""},
		{"pin and status always allowed", all, Request{Agency: "vss", Purpose: "enrol", Fields: []string{"pin", "status"}}, true, ReasonAllowed, nil, ""},
		{"field outside grant", all, Request{Agency: "vss", Purpose: "enrol", Fields: []string{"sex", "phone"}}, false, ReasonFieldNotGranted, nil, "phone"},
		{"unknown field", all, Request{Agency: "vss", Purpose: "enrol", Fields: []string{"shoe_size"}}, false, ReasonUnknownField, nil, "shoe_size"},
		{"unknown field before ungranted", all, Request{Agency: "vss", Purpose: "enrol", Fields: []string{"x", "phone"}}, false, ReasonUnknownField, nil, "x"},
		{"other agency's purpose", all, Request{Agency: "vss", Purpose: "kyc"}, false, ReasonNoGrant, nil, ""},
		{"other agency's field under same purpose name", all, Request{Agency: "vss", Purpose: "enrol", Fields: []string{"phone"}}, false, ReasonFieldNotGranted, nil, "phone"},
		{"same purpose name, other agency sees its own", all, Request{Agency: "bank", Purpose: "enrol"}, true, ReasonAllowed, []string{"phone"}, ""},
		{"unknown agency", all, Request{Agency: "police", Purpose: "enrol"}, false, ReasonNoGrant, nil, ""},
		{"disabled grant", all, Request{Agency: "vss", Purpose: "old"}, false, ReasonNoGrant, nil, ""},
		{"purpose is case-sensitive", all, Request{Agency: "vss", Purpose: "ENROL"}, false, ReasonNoGrant, nil, ""},
		{"grant with no fields releases status only", all, Request{Agency: "vss", Purpose: "status-only"}, true, ReasonAllowed, nil, ""},
		{"stored grant naming a removed field", all, Request{Agency: "vss", Purpose: "stale"}, true, ReasonAllowed, []string{"full_name"}, ""},
		{"check allowed", all, Request{Agency: "vss", Purpose: "verify", Check: true}, true, ReasonAllowed, nil, ""},
		{"check not granted", all, Request{Agency: "vss", Purpose: "enrol", Check: true}, false, ReasonCheckNotGranted, nil, ""},
		{"check under other agency's purpose", all, Request{Agency: "vss", Purpose: "kyc", Check: true}, false, ReasonNoGrant, nil, ""},
		{"check grant does not release fields", all, Request{Agency: "vss", Purpose: "verify"}, true, ReasonAllowed, nil, ""},
		{"check grant, field asked", all, Request{Agency: "vss", Purpose: "verify", Fields: []string{"full_name"}}, false, ReasonFieldNotGranted, nil, "full_name"},
		{"only other agencies' grants passed", []Grant{bank, bankAsVSS}, Request{Agency: "vss", Purpose: "enrol"}, false, ReasonNoGrant, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Evaluate(tc.grants, tc.req)
			if d.Allow != tc.allow || d.Reason != tc.reason || !slices.Equal(d.Fields, tc.fields) || d.Field != tc.faultField {
				t.Errorf("Evaluate = allow %v, reason %s, fields %v, field %q; want %v, %s, %v, %q",
					d.Allow, d.Reason, d.Fields, d.Field, tc.allow, tc.reason, tc.fields, tc.faultField)
			}
			if d.Allow != (d.Grant != nil) {
				t.Errorf("Grant = %v with Allow %v", d.Grant, d.Allow)
			}
			if d.Grant != nil && d.Grant.Agency != tc.req.Agency {
				t.Errorf("decided by agency %s's grant for agency %s", d.Grant.Agency, tc.req.Agency)
			}
		})
	}
}

// TestEvaluate_neverReleasesUngranted checks every field against every
// grant: whatever is asked, nothing outside the deciding grant comes out.
func TestEvaluate_neverReleasesUngranted(t *testing.T) {
	fields := FieldNames()
	for i, f := range fields {
		g := Grant{Agency: "a", Purpose: "p", Fields: fields[:i], Status: Active}
		d := Evaluate([]Grant{g}, Request{Agency: "a", Purpose: "p", Fields: []string{f}})
		if d.Allow {
			t.Errorf("field %s released by a grant without it", f)
		}
		d = Evaluate([]Grant{g}, Request{Agency: "a", Purpose: "p"})
		for _, got := range d.Fields {
			if !slices.Contains(g.Fields, got) {
				t.Errorf("field %s released by a grant without it", got)
			}
		}
		d = Evaluate([]Grant{g}, Request{Agency: "b", Purpose: "p"})
		if d.Allow {
			t.Errorf("agency b allowed by agency a's grant")
		}
	}
}

func TestParseFields(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{",,", nil},
		{"full_name", []string{"full_name"}},
		{" full_name , sex,full_name,", []string{"full_name", "sex"}},
	}
	for _, tc := range tests {
		if got := ParseFields(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("ParseFields(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFieldNames(t *testing.T) {
	names := FieldNames()
	for _, want := range []string{"full_name", "birth_date", "sex", "phone", "permanent_residence", "documents"} {
		if !slices.Contains(names, want) {
			t.Errorf("FieldNames lacks %s", want)
		}
	}
	for _, never := range []string{"pin", "status", ""} {
		if IsField(never) {
			t.Errorf("IsField(%q) = true; pin and status are always released, not granted", never)
		}
	}
}

func FuzzParseFields(f *testing.F) {
	f.Add("full_name,sex")
	f.Add(" , ,pin")
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseFields(s)
		for _, x := range got {
			if x == "" || strings.Contains(x, ",") || strings.TrimSpace(x) != x {
				t.Errorf("ParseFields(%q) gave %q", s, x)
			}
		}
		d := Evaluate([]Grant{{Agency: "a", Purpose: "p", Fields: []string{"sex"}, Status: Active}},
			Request{Agency: "a", Purpose: "p", Fields: got})
		if d.Allow && len(d.Fields) > 1 {
			t.Errorf("released %v for a grant of sex only", d.Fields)
		}
	})
}

func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"}]}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"b"}`))
	f.Add([]byte(`{"keys":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, err := ParseJWKS(b)
		if err != nil {
			return
		}
		keys, err := set.parse()
		if err != nil || len(keys) == 0 || len(keys) > MaxClientKeys {
			t.Errorf("ParseJWKS accepted a set that parse refuses: %v", err)
		}
		for _, k := range keys {
			if !k.IsPublic() || k.KeyID == "" {
				t.Errorf("accepted key %q: public %v", k.KeyID, k.IsPublic())
			}
		}
	})
}

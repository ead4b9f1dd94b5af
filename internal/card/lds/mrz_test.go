package lds

import (
	"errors"
	"strings"
	"testing"
)

// The TD1 specimen of ICAO Doc 9303 part 5 (Appendix A, figure 6).
var specimen = [3]string{
	"I<UTOD231458907<<<<<<<<<<<<<<<",
	"7408122F1204159UTO<<<<<<<<<<<6",
	"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
}

func TestTD1_Lines_specimen(t *testing.T) {
	m := &TD1{
		DocumentCode: "I", IssuingState: "UTO", DocumentNumber: "D23145890",
		BirthDate: "740812", Sex: "F", ExpiryDate: "120415", Nationality: "UTO",
		Primary: "ERIKSSON", Secondary: "ANNA<MARIA",
	}
	got, err := m.Lines()
	if err != nil {
		t.Fatal(err)
	}
	if got != specimen {
		t.Errorf("Lines() =\n%s\nwant\n%s", strings.Join(got[:], "\n"), strings.Join(specimen[:], "\n"))
	}
}

func TestParseTD1_specimen(t *testing.T) {
	m, err := ParseTD1(strings.Join(specimen[:], "\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := TD1{DocumentCode: "I", IssuingState: "UTO", DocumentNumber: "D23145890", BirthDate: "740812",
		Sex: "F", ExpiryDate: "120415", Nationality: "UTO", Primary: "ERIKSSON", Secondary: "ANNA<MARIA"}
	if *m != want {
		t.Errorf("ParseTD1 = %+v, want %+v", *m, want)
	}
}

func TestCheckDigit(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"D23145890", '7'}, {"740812", '2'}, {"120415", '9'}, {"<<<<<<", '0'},
		{"L898902C3", '6'}, {"AB2134<<<", '5'}, // part 3's worked example
	}
	for _, tt := range tests {
		if got, ok := CheckDigit(tt.in); !ok || got != tt.want {
			t.Errorf("CheckDigit(%q) = %c, want %c", tt.in, got, tt.want)
		}
	}
	if _, ok := CheckDigit("a1"); ok {
		t.Error("CheckDigit accepted a lower-case letter")
	}
}

func TestParseTD1_errors(t *testing.T) {
	flip := func(line, pos int, c byte) string {
		l := specimen
		b := []byte(l[line])
		b[pos] = c
		l[line] = string(b)
		return strings.Join(l[:], "")
	}
	tests := []struct {
		name, in, field string
		checkDigit      bool
	}{
		{"short", strings.Join(specimen[:], "")[:89], "layout", false},
		{"lower case", strings.ToLower(strings.Join(specimen[:], "")), "layout", false},
		{"document number", flip(0, 14, '8'), "document_number", true},
		{"number changed", flip(0, 6, '4'), "document_number", true},
		{"birth date", flip(1, 6, '3'), "birth_date", true},
		{"expiry", flip(1, 14, '1'), "expiry_date", true},
		{"composite", flip(1, 29, '7'), "composite", true},
		{"optional data", flip(0, 20, 'X'), "composite", true},
		{"sex", flip(1, 7, 'X'), "sex", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTD1(tt.in)
			var me *MRZError
			if !errors.As(err, &me) {
				t.Fatalf("ParseTD1 error = %v, want an MRZError", err)
			}
			if me.Field != tt.field || errors.Is(err, ErrCheckDigit) != tt.checkDigit {
				t.Errorf("error %v: field %s (check digit %v), want %s (%v)", err, me.Field, errors.Is(err, ErrCheckDigit), tt.field, tt.checkDigit)
			}
		})
	}
}

func TestTD1_Lines_longName(t *testing.T) {
	m := &TD1{DocumentCode: "ID", IssuingState: "VNM", DocumentNumber: "001234567", BirthDate: "850302", Sex: "M",
		Nationality: "VNM", Primary: "TON<THAT", Secondary: "NGUYEN<PHUOC<BAO<LONG<KHANH"}
	l, err := m.Lines()
	if err != nil {
		t.Fatal(err)
	}
	if len(l[2]) != 30 || !strings.HasPrefix(l[2], "TON<THAT<<") {
		t.Errorf("line 3 = %q", l[2])
	}
	if l[1][8:15] != "<<<<<<0" {
		t.Errorf("no-expiry field = %q, want <<<<<<0", l[1][8:15])
	}
	if _, err := ParseTD1(l[0] + l[1] + l[2]); err != nil {
		t.Errorf("round trip: %v", err)
	}
}

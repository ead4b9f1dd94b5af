package qr

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	want := Payload{PIN: "001085012345", OldIDNumber: "012345678", FullName: "Nguyễn Thị Thuỷ", BirthDate: "1985-03-02",
		Sex: "female", Address: "12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội", IssueDate: "2024-07-10"}
	noOld := want
	noOld.OldIDNumber = ""
	yearOnly := noOld
	yearOnly.BirthDate = "1985"
	tests := []struct {
		name, in string
		want     Payload
	}{
		{"standard", "001085012345|012345678|Nguyễn Thị Thuỷ|02031985|Nữ|12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội|10072024", want},
		{"empty old CMND", "001085012345||Nguyễn Thị Thuỷ|02031985|Nữ|12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội|10072024", noOld},
		{"no old CMND field", "001085012345|Nguyễn Thị Thuỷ|02031985|Nữ|12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội|10072024", noOld},
		{"trailing fields and CRLF", "\uFEFF001085012345||Nguyễn Thị Thuỷ|02031985|NỮ|12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội|10072024|02032045|\r\n", noOld},
		{"NFD and slashes", "001085012345||Nguye\u0302\u0303n Thi\u0323 Thuy\u0309|02/03/1985|Nu|12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội|10/07/2024", noOld},
		{"year-only birth", "001085012345||Nguyễn Thị Thuỷ|00001985|Nữ|12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội|10072024", yearOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParse_errors(t *testing.T) {
	tests := []struct{ name, in, field string }{
		{"empty", "  ", "payload"},
		{"too few fields", "001085012345||Nguyễn Thị Thuỷ|02031985", "sex"},
		{"short PIN", "00108501234||An|02031985|Nam|Hà Nội|10072024", "pin"},
		{"bad old number", "001085012345|1234|An|02031985|Nam|Hà Nội|10072024", "old_id_number"},
		{"no name", "001085012345|||02031985|Nam|Hà Nội|10072024", "full_name"},
		{"bad date", "001085012345||An|31021985|Nam|Hà Nội|10072024", "birth_date"},
		{"bad sex", "001085012345||An|02031985|X|Hà Nội|10072024", "sex"},
		{"no address", "001085012345||An|02031985|Nam||10072024", "permanent_address"},
		{"partial issue date", "001085012345||An|02031985|Nam|Hà Nội|072024", "issue_date"},
		{"not UTF-8", "001085012345||\xff|02031985|Nam|Hà Nội|10072024", "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse error = %v, want *Error", err)
			}
			if e.Field != tt.field {
				t.Errorf("field = %s, want %s (%v)", e.Field, tt.field, err)
			}
		})
	}
}

func TestFormat_roundTrip(t *testing.T) {
	p := Payload{PIN: "001085012345", FullName: "H'Hen Niê", BirthDate: "1985-03", Sex: "female", Address: "Buôn Ako Dhông, Đắk Lắk", IssueDate: "2024-07-10"}
	s, err := Format(p)
	if err != nil {
		t.Fatal(err)
	}
	if s != "001085012345||H'Hen Niê|00031985|Nữ|Buôn Ako Dhông, Đắk Lắk|10072024" {
		t.Errorf("Format = %q", s)
	}
	got, err := Parse(s)
	if err != nil || got != p {
		t.Errorf("Parse(Format) = %+v, %v", got, err)
	}
	if _, err := Format(Payload{PIN: "001085012345", FullName: "a|b", BirthDate: "1985", Sex: "male", IssueDate: "2024-07-10"}); err == nil {
		t.Error("Format accepted a name holding '|'")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("001085012345|012345678|Nguyễn Thị Thuỷ|02031985|Nữ|12 Hàng Bài, Hà Nội|10072024")
	f.Add("001085012345|Nguyễn Thị Thuỷ|02031985|Nữ|12 Hàng Bài|10072024")
	f.Add("001085012345||An|00001985|nam|x|10/07/2024|extra")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		// What parses formats and parses back to itself.
		out, err := Format(p)
		if err != nil {
			t.Fatalf("Format of a parsed payload: %v", err)
		}
		q, err := Parse(out)
		if err != nil || q != p {
			t.Fatalf("round trip: %+v, %v; want %+v", q, err, p)
		}
	})
}

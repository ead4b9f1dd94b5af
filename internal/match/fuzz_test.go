package match

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzHeader = []byte("phone,pin,full_name,birth_date,sex,address,document_number")

// FuzzParseCSVLine checks that any line gives a subscriber or a reason,
// never a panic, and that a reason never quotes the line.
func FuzzParseCSVLine(f *testing.F) {
	for _, s := range []string{
		"0912345678,079190000001,Nguyễn Văn An,1990-05-17,male,,",
		`0912345678,079190000001,"Nguyễn, Văn ""An""",17/05/1990,Nam,"12 Lê Lợi, P. Bến Nghé",025123456`,
		`0912345678,079190000001,"unclosed,1990,male,,`,
		"0912345678,079190000001,Nguy\xe1n,1990,male,,",
		",,,,,,", "a,b", "", `"`, `""`, `"a"b,`,
	} {
		f.Add([]byte(s))
	}
	cols, err := ParseCSVHeader(fuzzHeader)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.ContainsAny(line, "\r\n") {
			return // the reader splits lines before the parser sees them
		}
		s, _, e := ParseCSVLine(&cols, line, nil)
		if e != nil {
			if e.Reason == "" {
				t.Fatal("an error without a reason")
			}
			checkNoEcho(t, e, line)
			return
		}
		checkSubscriber(t, s)
	})
}

// FuzzParseNDJSONLine is FuzzParseCSVLine for NDJSON lines.
func FuzzParseNDJSONLine(f *testing.F) {
	for _, s := range []string{
		`{"phone":"0912345678","pin":"079190000001","full_name":"Nguyễn Văn An","birth_date":"1990-05-17","sex":"male"}`,
		`{"phone":"0912345678","pin":79190000001}`,
		`{"phone":"+84912345678","pin":"079190000001","full_name":"A","birth_date":"1990","sex":"F","document_number":"x"}`,
		`[]`, `{`, `null`, "{\"full_name\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		s, e := ParseNDJSONLine(line)
		if e != nil {
			if e.Reason == "" {
				t.Fatal("an error without a reason")
			}
			checkNoEcho(t, e, line)
			return
		}
		checkSubscriber(t, s)
	})
}

// FuzzSniff checks that the upload check never panics and accepts only
// what the job can read: a valid header for CSV.
func FuzzSniff(f *testing.F) {
	f.Add([]byte("phone,pin,full_name,birth_date,sex\n0912,1,2,3,4\n"))
	f.Add([]byte(`{"phone":"1"}` + "\n"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, head []byte) {
		format, err := Sniff(head, "")
		if err != nil {
			return
		}
		if format == CSV {
			first, _, _ := bytes.Cut(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), []byte("\n"))
			if _, err := ParseCSVHeader(first); err != nil {
				t.Fatalf("accepted a CSV whose header does not parse: %v", err)
			}
		}
	})
}

func checkNoEcho(t *testing.T, e *LineError, line []byte) {
	t.Helper()
	// A reason is built from fixed text and numbers; a line's value of
	// three characters or more never appears in it.
	for _, f := range bytes.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '"' || r == ' ' }) {
		if len(f) >= 4 && !bytes.ContainsAny(f, "0123456789") && strings.Contains(e.Reason, string(f)) &&
			!strings.Contains("abcdefghijklmnopqrstuvwxyz_ ", string(f)) && !isReasonWord(string(f)) {
			t.Fatalf("the reason %q quotes the line's %q", e.Reason, f)
		}
	}
}

// isReasonWord reports whether w occurs in some fixed reason text (a
// line may happen to contain the word "empty").
func isReasonWord(w string) bool {
	const reasons = "is empty is not a phone number must be a string not a JSON object a quoted field is not closed " +
		"a quote inside an unquoted field is followed by text before the separator has columns the header " +
		"not valid UTF-8 (first bad byte at column); send the file in UTF-8 must be YYYY-MM-DD, YYYY-MM, YYYY or DD/MM/YYYY, and a real date " +
		"must be male or female (or M/F, Nam/Nữ) is longer than bytes is not a document number full_name birth_date document_number phone address sex"
	return strings.Contains(reasons, w)
}

func checkSubscriber(t *testing.T, s Subscriber) {
	t.Helper()
	if s.Phone == "" || s.PIN == "" || s.Claim.FullName == "" || s.Claim.BirthDate.IsZero() || s.Claim.Sex == "" {
		t.Fatalf("accepted a line without a required value: %+v", s)
	}
	if !utf8.ValidString(s.Claim.FullName) || !utf8.ValidString(s.Claim.Address) {
		t.Fatal("accepted invalid UTF-8")
	}
	if err := s.Claim.BirthDate.Validate(); err != nil {
		t.Fatalf("accepted an invalid date: %v", err)
	}
}

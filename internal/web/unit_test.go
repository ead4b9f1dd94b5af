package web

import (
	"slices"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
)

func TestDiffJSON(t *testing.T) {
	order := []string{"pin", "full_name", "documents", "spouse"}
	tests := []struct {
		name          string
		before, after string
		want          []string // "path: before -> after"
	}{
		{"no change", `{"pin":"1","full_name":"A"}`, `{"full_name":"A","pin":"1"}`, nil},
		{"changed scalar", `{"full_name":"A"}`, `{"full_name":"B"}`, []string{".full_name: A -> B"}},
		{"added object", `{"pin":"1"}`, `{"pin":"1","spouse":{"pin":"2","full_name":"C"}}`,
			[]string{".spouse.full_name: <nil> -> C", ".spouse.pin: <nil> -> 2"}},
		{"removed object", `{"spouse":{"pin":"2"}}`, `{}`, []string{".spouse.pin: 2 -> <nil>"}},
		{"null is absence", `{"spouse":null}`, `{}`, nil},
		{"array element changed and appended", `{"documents":[{"status":"valid"}]}`,
			`{"documents":[{"status":"replaced"},{"status":"valid"}]}`,
			[]string{".documents[000000].status: valid -> replaced", ".documents[000001].status: <nil> -> valid"}},
		{"numbers compared exactly", `{"n":1.0}`, `{"n":1}`, []string{".n: 1.0 -> 1"}},
		{"bool", `{"chip":false}`, `{"chip":true}`, []string{".chip: false -> true"}},
		{"display order, unknown names last", `{"zeta":"1","pin":"1","full_name":"A"}`, `{"zeta":"2","pin":"2","full_name":"B"}`,
			[]string{".pin: 1 -> 2", ".full_name: A -> B", ".zeta: 1 -> 2"}},
		{"indexes sort numerically", `{"documents":[]}`, `{"documents":["a","b","c","d","e","f","g","h","i","j","k"]}`,
			[]string{
				".documents[000000]: <nil> -> a", ".documents[000001]: <nil> -> b", ".documents[000002]: <nil> -> c",
				".documents[000003]: <nil> -> d", ".documents[000004]: <nil> -> e", ".documents[000005]: <nil> -> f",
				".documents[000006]: <nil> -> g", ".documents[000007]: <nil> -> h", ".documents[000008]: <nil> -> i",
				".documents[000009]: <nil> -> j", ".documents[000010]: <nil> -> k",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fcs, err := diffJSON([]byte(tt.before), []byte(tt.after), order)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, fc := range fcs {
				got = append(got, pathKey(fc.Path)+": "+fmtAny(fc.Before)+" -> "+fmtAny(fc.After))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("diff =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return "?"
}

func TestDiffJSON_malformed(t *testing.T) {
	if _, err := diffJSON([]byte(`{`), []byte(`{}`), nil); err == nil {
		t.Error("malformed JSON gave no error")
	}
}

func TestViewer_fieldLabelAndValue(t *testing.T) {
	vi := viewer{c: catalogueFor(langVI), today: time.Date(2026, 1, 1, 0, 0, 0, 0, registry.Vietnam)}
	en := viewer{c: catalogueFor(langEN), today: vi.today}
	tests := []struct {
		v         viewer
		path      []pathSeg
		val       any
		wantLabel string
		wantValue string
	}{
		{vi, []pathSeg{{Name: "marital_status"}}, "married", "Tình trạng hôn nhân", "Đã kết hôn"},
		{en, []pathSeg{{Name: "marital_status"}}, "married", "Marital status", "Married"},
		{vi, []pathSeg{{Name: "documents"}, {Index: 1}, {Name: "issue_date"}}, "2025-10-01", "Giấy tờ tùy thân #2 › Ngày cấp", "01/10/2025"},
		{en, []pathSeg{{Name: "documents"}, {Index: 1}, {Name: "issue_date"}}, "2025-10-01", "Identity documents #2 › Date of issue", "2025-10-01"},
		{vi, []pathSeg{{Name: "documents"}, {Index: 0}, {Name: "chip"}}, true, "Giấy tờ tùy thân #1 › Gắn chip", "Có"},
		{vi, []pathSeg{{Name: "permanent_residence"}, {Name: "commune"}}, "26740", "Nơi thường trú › Xã/phường", "26740 · Phường Sài Gòn"},
		{vi, []pathSeg{{Name: "birth_date"}}, "1985", "Ngày, tháng, năm sinh", "1985"},
		{vi, []pathSeg{{Name: "birth_date"}}, "1985-03", "Ngày, tháng, năm sinh", "03/1985"},
		{vi, []pathSeg{{Name: "ethnicity"}}, "01", "Dân tộc", "Kinh (01)"},
		{vi, []pathSeg{{Name: "linked_pins"}, {Index: 0}}, "001085000001", "Số định danh liên kết #1", "001085000001"},
		{vi, []pathSeg{{Name: "new_field_from_a_later_release"}}, "x", "new_field_from_a_later_release", "x"},
		{vi, []pathSeg{{Name: "sex"}}, "something-new", "Giới tính", "something-new"},
		{vi, []pathSeg{{Name: "status"}, {Name: "state"}}, "dead", "Tình trạng", "Đã chết"},
		{en, []pathSeg{{Name: "status"}, {Name: "date"}}, "2024-06-06", "Status › Date", "2024-06-06"},
	}
	for _, tt := range tests {
		t.Run(tt.wantLabel, func(t *testing.T) {
			if got := tt.v.fieldLabel(tt.path); got != tt.wantLabel {
				t.Errorf("label = %q, want %q", got, tt.wantLabel)
			}
			if got := tt.v.diffValue(tt.path, tt.val); got != tt.wantValue {
				t.Errorf("value = %q, want %q", got, tt.wantValue)
			}
		})
	}
}

func TestCatalogue_Date(t *testing.T) {
	tests := []struct {
		lang, date, want string
	}{
		{langVI, "1985-03-02", "02/03/1985"},
		{langVI, "1985-03", "03/1985"},
		{langVI, "1985", "1985"},
		{langVI, "", ""},
		{langEN, "1985-03-02", "1985-03-02"},
		{langEN, "1985-03", "1985-03"},
	}
	for _, tt := range tests {
		if got := catalogueFor(tt.lang).Date(registry.MustParseDate(tt.date)); got != tt.want {
			t.Errorf("%s Date(%q) = %q, want %q", tt.lang, tt.date, got, tt.want)
		}
	}
}

func TestCatalogue_T(t *testing.T) {
	c := catalogueFor("xx") // unknown languages fall back to Vietnamese
	if got := c.T("search.showing", 3); got != "Hiển thị 3 kết quả trên trang này." {
		t.Errorf("T with args = %q", got)
	}
	if got := c.T("no.such.key"); got != missingMark+"no.such.key⟧" {
		t.Errorf("missing key = %q", got)
	}
}

func TestParseAsOf(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for rejected
	}{
		{"2025-08-15", "2025-08-15"},
		{"15/08/2025", "2025-08-15"},
		{"5/8/2025", "2025-08-05"},
		{"15.08.2025", "2025-08-15"},
		{"2025-08", ""},
		{"2025", ""},
		{"31/02/2025", ""},
		{"2025-13-01", ""},
		{"yesterday", ""},
		{"", ""},
	}
	for _, tt := range tests {
		d, ok := parseAsOf(tt.in)
		got := ""
		if ok {
			got = d.String()
		}
		if got != tt.want {
			t.Errorf("parseAsOf(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/console/"},
		{"/console/people/001085000001", "/console/people/001085000001"},
		{"/console/?name=an&sex=male", "/console/?name=an&sex=male"},
		{"https://evil.example/console/", "/console/"},
		{"//evil.example/console/", "/console/"},
		{"/console/\\evil", "/console/"},
		{"/v1/citizens", "/console/"},
		{"/console/login", "/console/"},
		{"/console/../v1/x", "/console/"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCSRFToken(t *testing.T) {
	a, b := csrfToken("session-a"), csrfToken("session-b")
	if a == b || a != csrfToken("session-a") || len(a) != 43 {
		t.Errorf("tokens %q and %q: want distinct, stable, 43 characters", a, b)
	}
}

func TestResidenceDate(t *testing.T) {
	today := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		from string
		want time.Time
	}{
		{"", today},
		{"2016-07-26", time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"2025-08-01", time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		var d registry.Date
		if tt.from != "" {
			d = registry.MustParseDate(tt.from)
		}
		if got := residenceDate(d, today); !got.Equal(tt.want) {
			t.Errorf("residenceDate(%q) = %v, want %v", tt.from, got, tt.want)
		}
	}
}

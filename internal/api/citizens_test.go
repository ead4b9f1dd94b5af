package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/pin"
	"github.com/dancu/dancu/internal/registry"
)

func TestRegistryHandler_GetCitizen(t *testing.T) {
	f := newFixture(t)
	an := f.people["an"]

	r := f.get("/v1/citizens/" + an.PIN)
	mustStatus(t, r, http.StatusOK)
	var got registry.Person
	r.json(t, &got)
	if got.PIN != an.PIN || got.FullName != an.FullName || got.BirthDate != an.BirthDate {
		t.Errorf("got %s %q %s, want %s %q %s", got.PIN, got.FullName, got.BirthDate, an.PIN, an.FullName, an.BirthDate)
	}
	if got, want := r.header.Get("ETag"), `"v1"`; got != want {
		t.Errorf("ETag = %s, want %s", got, want)
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
}

func TestRegistryHandler_GetCitizenErrors(t *testing.T) {
	f := newFixture(t)
	an := f.people["an"]
	unknown := mustPIN(t, "079", 1980, pin.Male, 999999)
	tests := []struct {
		name     string
		path     string
		status   int
		location string
	}{
		{"not digits", "/v1/citizens/abc", http.StatusBadRequest, "path.pin"},
		{"eleven digits", "/v1/citizens/07918000010", http.StatusBadRequest, "path.pin"},
		{"no such province code", "/v1/citizens/999180000101", http.StatusBadRequest, "path.pin"},
		{"unknown", "/v1/citizens/" + unknown, http.StatusNotFound, "path.pin"},
		{"as_of malformed", "/v1/citizens/" + an.PIN + "?as_of=2020-1-1", http.StatusBadRequest, "query.as_of"},
		{"as_of impossible", "/v1/citizens/" + an.PIN + "?as_of=2021-02-30", http.StatusBadRequest, "query.as_of"},
		{"as_of before birth", "/v1/citizens/" + an.PIN + "?as_of=1979-01-01", http.StatusNotFound, "path.pin"},
		{"history malformed", "/v1/citizens/12/history", http.StatusBadRequest, "path.pin"},
		{"history unknown", "/v1/citizens/" + unknown + "/history", http.StatusNotFound, "path.pin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.get(tc.path)
			mustStatus(t, r, tc.status)
			p := r.problem(t)
			if got := locations(p); !slices.Contains(got, tc.location) {
				t.Errorf("locations = %q, want %q", got, tc.location)
			}
		})
	}
}

// renamed submits a name change for the person and returns the new ETag.
func (f *fixture) rename(pinStr, name, date, id string) response {
	f.t.Helper()
	return f.do(req{method: http.MethodPost, path: "/v1/events", body: `{"id":"` + id + `","type":"name_change","subject":"` + pinStr +
		`","effective_date":"` + date + `","reason":"Decision 12/QD-UBND","data":{"full_name":"` + name + `"}}`})
}

func TestRegistryHandler_ConditionalGet(t *testing.T) {
	f := newFixture(t)
	an := f.people["an"]
	path := "/v1/citizens/" + an.PIN

	r := f.do(req{path: path, header: map[string]string{"If-None-Match": `"v1"`}})
	mustStatus(t, r, http.StatusNotModified)
	if len(r.body) != 0 || r.header.Get("ETag") != `"v1"` {
		t.Errorf("304 with body %q and ETag %q", r.body, r.header.Get("ETag"))
	}
	mustStatus(t, f.rename(an.PIN, "Nguyễn Văn Ân", "2026-02-01", "rename-1"), http.StatusCreated)

	tests := []struct {
		name, ifNoneMatch string
		status            int
	}{
		{"old version", `"v1"`, http.StatusOK},
		{"current version", `"v2"`, http.StatusNotModified},
		{"weak current", `W/"v2"`, http.StatusNotModified},
		{"list", `"v1", "v2"`, http.StatusNotModified},
		{"star", `*`, http.StatusNotModified},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(req{path: path, header: map[string]string{"If-None-Match": tc.ifNoneMatch}})
			mustStatus(t, r, tc.status)
			if got := r.header.Get("ETag"); got != `"v2"` {
				t.Errorf("ETag = %s, want \"v2\"", got)
			}
		})
	}
}

func TestRegistryHandler_AsOfAndHistory(t *testing.T) {
	f := newFixture(t)
	an := f.people["an"]
	mustStatus(t, f.rename(an.PIN, "Nguyễn Văn Ân", "2026-02-01", "rename-1"), http.StatusCreated)

	tests := []struct {
		asOf, wantName, wantETag string
	}{
		{"", "Nguyễn Văn Ân", `"v2"`},
		{"2026-01-31", "Nguyễn Văn An", `"v1"`},
		{"2026-02-01", "Nguyễn Văn Ân", `"v2"`},
		{"1980-04-12", "Nguyễn Văn An", `"v1"`},
	}
	for _, tc := range tests {
		t.Run("as_of="+tc.asOf, func(t *testing.T) {
			path := "/v1/citizens/" + an.PIN
			if tc.asOf != "" {
				path += "?as_of=" + tc.asOf
			}
			r := f.get(path)
			mustStatus(t, r, http.StatusOK)
			var p registry.Person
			r.json(t, &p)
			if p.FullName != tc.wantName || r.header.Get("ETag") != tc.wantETag {
				t.Errorf("got %q %s, want %q %s", p.FullName, r.header.Get("ETag"), tc.wantName, tc.wantETag)
			}
		})
	}

	r := f.get("/v1/citizens/" + an.PIN + "/history")
	mustStatus(t, r, http.StatusOK)
	var h api.CitizenHistory
	r.json(t, &h)
	if len(h.Items) != 2 {
		t.Fatalf("history has %d versions, want 2", len(h.Items))
	}
	type row struct {
		Version             int64
		EventID, EventType  string
		Actor, Reason, From string
		Name                string
	}
	var got []row
	for _, v := range h.Items {
		got = append(got, row{v.Version, v.EventID, v.EventType, v.Actor, v.Reason, v.ValidFrom.String(), v.Record.FullName})
		if v.RecordedAt.IsZero() {
			t.Errorf("version %d has no recorded_at", v.Version)
		}
	}
	want := []row{
		{1, "seed", "bulk_load", "generator", "test fixture", "1980-04-12", "Nguyễn Văn An"},
		{2, "rename-1", "name_change", "admin", "Decision 12/QD-UBND", "2026-02-01", "Nguyễn Văn Ân"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("history\n got %+v\nwant %+v", got, want)
	}
}

func TestRegistryHandler_Search(t *testing.T) {
	f := newFixture(t)
	pins := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, f.people[n].PIN)
		}
		return out
	}
	tests := []struct {
		name  string
		query url.Values
		want  []string // in order
	}{
		{"name without diacritics", url.Values{"name": {"nguyen van"}}, pins("an", "binh")},
		{"name with diacritics", url.Values{"name": {"Nguyễn Văn"}}, pins("an", "binh")},
		{"name decomposed input", url.Values{"name": {"Nguye\u0302\u0303n Va\u0306n An"}}, pins("an")},
		{"đ without diacritics", url.Values{"name": {"tran duc minh"}}, pins("minh")},
		{"đ with diacritics", url.Values{"name": {"Trần Đức"}}, pins("minh")},
		{"old tone placement", url.Values{"name": {"Lê Thị Hòa"}}, pins("hoa")},
		{"wrong diacritics", url.Values{"name": {"Nguyên Văn"}}, nil},
		{"whole words only", url.Values{"name": {"nguyen va"}}, nil},
		{"name and year", url.Values{"name": {"nguyen van"}, "birth_year": {"2010"}}, pins("binh")},
		{"date of birth", url.Values{"dob": {"1982-09-30"}}, pins("hoa")},
		{"partial date of birth", url.Values{"dob": {"1990"}}, pins("lan")},
		{"province", url.Values{"province": {"01"}}, pins("minh")},
		{"commune and sex", url.Values{"commune": {"25747"}, "sex": {"female"}}, pins("hoa")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.get("/v1/citizens?" + tc.query.Encode())
			mustStatus(t, r, http.StatusOK)
			var page api.CitizenPage
			r.json(t, &page)
			var got []string
			for _, it := range page.Items {
				got = append(got, it.PIN)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if page.NextCursor != "" {
				t.Errorf("next_cursor = %q on a short result", page.NextCursor)
			}
		})
	}
}

func TestRegistryHandler_SearchSummary(t *testing.T) {
	f := newFixture(t)
	r := f.get("/v1/citizens?name=le+thi+hoa")
	mustStatus(t, r, http.StatusOK)
	var page api.CitizenPage
	r.json(t, &page)
	hoa := f.people["hoa"]
	want := api.CitizenSummary{
		PIN: hoa.PIN, FullName: hoa.FullName, BirthDate: hoa.BirthDate, Sex: registry.Female,
		Province: "79", Commune: "25747", HouseholdID: f.hh.ID, State: registry.Alive, Version: 1,
	}
	if len(page.Items) != 1 || page.Items[0] != want {
		t.Errorf("got %+v, want [%+v]", page.Items, want)
	}
}

func TestRegistryHandler_SearchErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name     string
		query    string
		location string
	}{
		{"no criteria", "", "query.name"},
		{"only sex", "sex=male", "query.name"},
		{"name without letters", "name=%27%27", "query.name"},
		{"limit zero", "name=an&limit=0", "query.limit"},
		{"limit too big", "name=an&limit=201", "query.limit"},
		{"limit not a number", "name=an&limit=ten", "query.limit"},
		{"bad sex", "name=an&sex=x", "query.sex"},
		{"bad dob", "dob=1985-13", "query.dob"},
		{"bad dob form", "dob=02/03/1985", "query.dob"},
		{"bad birth year", "birth_year=1500", "query.birth_year"},
		{"cursor not base64", "name=an&cursor=***", "query.cursor"},
		{"cursor not json", "name=an&cursor=YWJj", "query.cursor"},
		{"cursor with a bad pin", "name=an&cursor=eyJwIjoiMTIzIn0", "query.cursor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.get("/v1/citizens?" + tc.query)
			mustStatus(t, r, http.StatusBadRequest)
			if got := locations(r.problem(t)); !slices.Contains(got, tc.location) {
				t.Errorf("locations = %q, want %q", got, tc.location)
			}
		})
	}
}

func TestRegistryHandler_SearchPagination(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"by pin", "province=79", []string{"an", "hoa", "binh"}},
		{"by name", "name=nguyen", []string{"an", "binh"}},
		{"by commune", "commune=25747", []string{"an", "hoa", "binh"}},
	}
	for _, tc := range tests {
		for _, limit := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/limit=%d", tc.name, limit), func(t *testing.T) {
				var want []string
				for _, n := range tc.want {
					want = append(want, f.people[n].PIN)
				}
				if !strings.HasPrefix(tc.query, "name=") {
					sort.Strings(want) // without a name, results come in PIN order
				}
				var got []string
				cursor := ""
				for pages := 0; ; pages++ {
					if pages > len(want)+1 {
						t.Fatal("pagination does not end")
					}
					q := fmt.Sprintf("%s&limit=%d", tc.query, limit)
					if cursor != "" {
						q += "&cursor=" + cursor
					}
					r := f.get("/v1/citizens?" + q)
					mustStatus(t, r, http.StatusOK)
					var page api.CitizenPage
					r.json(t, &page)
					if len(page.Items) > limit {
						t.Fatalf("page of %d items with limit %d", len(page.Items), limit)
					}
					for _, it := range page.Items {
						got = append(got, it.PIN)
					}
					if page.NextCursor == "" {
						break
					}
					if strings.ContainsAny(page.NextCursor, "+/=") {
						t.Errorf("cursor %q is not unpadded base64url", page.NextCursor)
					}
					cursor = page.NextCursor
				}
				if !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
	}
}

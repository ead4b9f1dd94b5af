package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

func TestRegistryHandler_SubmitEvent(t *testing.T) {
	f := newFixture(t)
	an, hoa, binh := f.people["an"], f.people["hoa"], f.people["binh"]

	r := f.rename(an.PIN, "Nguyễn Văn Ân", "2026-02-01", "rename-1")
	mustStatus(t, r, http.StatusCreated)
	if got, want := r.header.Get("Location"), "/v1/events/rename-1"; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	var res registry.Result
	r.json(t, &res)
	if res.EventID != "rename-1" || res.Type != "name_change" || res.Seq == 0 {
		t.Errorf("result %+v", res)
	}
	got := map[string]int64{}
	for _, v := range res.People {
		got[v.ID] = v.Version
	}
	want := map[string]int64{an.PIN: 2, hoa.PIN: 2, binh.PIN: 2} // relatives carry the name too
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("versions written %v, want %v", got, want)
	}

	// The same event again: the first result, 200, nothing new written.
	again := f.rename(an.PIN, "Nguyễn Văn Ân", "2026-02-01", "rename-1")
	mustStatus(t, again, http.StatusOK)
	var res2 registry.Result
	again.json(t, &res2)
	if res2.Seq != res.Seq || len(res2.People) != len(res.People) || again.header.Get("Location") != "/v1/events/rename-1" {
		t.Errorf("replay answered %+v (Location %q), want the first result %+v", res2, again.header.Get("Location"), res)
	}
	if r := f.get("/v1/citizens/" + an.PIN); r.header.Get("ETag") != `"v2"` {
		t.Errorf("after replay ETag = %s, want \"v2\"", r.header.Get("ETag"))
	}

	// The same id for another event is a conflict.
	r = f.rename(an.PIN, "Nguyễn Văn Bảo", "2026-02-01", "rename-1")
	mustStatus(t, r, http.StatusConflict)
	if l := locations(r.problem(t)); !slices.Contains(l, "body.id") {
		t.Errorf("locations = %q, want body.id", l)
	}
}

func TestRegistryHandler_IfMatch(t *testing.T) {
	f := newFixture(t)
	an := f.people["an"]
	etag := f.get("/v1/citizens/" + an.PIN).header.Get("ETag")
	mustStatus(t, f.rename(an.PIN, "Nguyễn Văn Ân", "2026-02-01", "rename-1"), http.StatusCreated)
	events := func() int {
		rows, err := f.store.Events(context.Background(), store.EventQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	before := events()

	body := `{"id":"rename-2","type":"name_change","subject":"` + an.PIN +
		`","effective_date":"2026-02-15","reason":"Decision 13/QD-UBND","data":{"full_name":"Nguyễn Văn Bảo"}}`
	r := f.do(req{method: http.MethodPost, path: "/v1/events", body: body, header: map[string]string{"If-Match": etag}})
	mustStatus(t, r, http.StatusPreconditionFailed)
	if l := locations(r.problem(t)); !slices.Contains(l, "header.If-Match") {
		t.Errorf("locations = %q, want header.If-Match", l)
	}
	if got := events(); got != before {
		t.Errorf("a stale If-Match wrote an event: %d events, want %d", got, before)
	}
	cur := f.get("/v1/citizens/" + an.PIN)
	var p registry.Person
	cur.json(t, &p)
	if cur.header.Get("ETag") != `"v2"` || p.FullName != "Nguyễn Văn Ân" {
		t.Errorf("after a stale If-Match: %s %q, want \"v2\" and the name unchanged", cur.header.Get("ETag"), p.FullName)
	}

	r = f.do(req{method: http.MethodPost, path: "/v1/events", body: body, header: map[string]string{"If-Match": "v 2"}})
	mustStatus(t, r, http.StatusBadRequest)
	if l := locations(r.problem(t)); !slices.Contains(l, "header.If-Match") {
		t.Errorf("locations = %q, want header.If-Match", l)
	}

	r = f.do(req{method: http.MethodPost, path: "/v1/events", body: body, header: map[string]string{"If-Match": cur.header.Get("ETag")}})
	mustStatus(t, r, http.StatusCreated)
	if got := f.get("/v1/citizens/" + an.PIN).header.Get("ETag"); got != `"v3"` {
		t.Errorf("ETag after a matching If-Match = %s, want \"v3\"", got)
	}
}

func TestRegistryHandler_SubmitEventErrors(t *testing.T) {
	f := newFixture(t)
	an, minh := f.people["an"], f.people["minh"]
	unknown := strings.Replace(an.PIN, an.PIN[6:], "999999", 1)
	ev := func(fields map[string]any) string {
		m := map[string]any{
			"type": "name_change", "subject": an.PIN, "effective_date": "2026-02-01",
			"reason": "Decision 1", "data": map[string]any{"full_name": "Nguyễn Văn Ân"},
		}
		for k, v := range fields {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	mustStatus(t, f.do(req{method: http.MethodPost, path: "/v1/events", body: ev(map[string]any{
		"type": "death", "subject": minh.PIN, "data": map[string]any{}})}), http.StatusCreated)

	tests := []struct {
		name     string
		body     string
		status   int
		location string
	}{
		{"unknown type", ev(map[string]any{"type": "adoption"}), http.StatusUnprocessableEntity, "body.type"},
		{"no reason", ev(map[string]any{"reason": nil}), http.StatusUnprocessableEntity, "body.reason"},
		{"blank reason", ev(map[string]any{"reason": "   "}), http.StatusUnprocessableEntity, "body.reason"},
		{"malformed date", ev(map[string]any{"effective_date": "2026-2-1"}), http.StatusUnprocessableEntity, "body.effective_date"},
		{"partial date", ev(map[string]any{"effective_date": "2026-02"}), http.StatusUnprocessableEntity, "body.effective_date"},
		{"future date", ev(map[string]any{"effective_date": "2026-03-02"}), http.StatusUnprocessableEntity, "body.effective_date"},
		{"bad id", ev(map[string]any{"id": "a b"}), http.StatusUnprocessableEntity, "body.id"},
		{"malformed subject", ev(map[string]any{"subject": "123"}), http.StatusUnprocessableEntity, "body.subject"},
		{"missing subject", ev(map[string]any{"subject": nil}), http.StatusUnprocessableEntity, "body.subject"},
		{"unknown subject", ev(map[string]any{"subject": unknown}), http.StatusNotFound, "body.subject"},
		{"bad name", ev(map[string]any{"data": map[string]any{"full_name": "X1"}}), http.StatusUnprocessableEntity, "body.data.full_name"},
		{"unknown data field", ev(map[string]any{"data": map[string]any{"full_name": "Nguyễn An", "nickname": "Tí"}}), http.StatusUnprocessableEntity, "body.data.nickname"},
		{"data not an object", ev(map[string]any{"data": "Nguyễn An"}), http.StatusUnprocessableEntity, "body.data"},
		{"unknown field", ev(map[string]any{"actor": "someone"}), http.StatusUnprocessableEntity, "body.actor"},
		{"same name", ev(map[string]any{"data": map[string]any{"full_name": an.FullName}}), http.StatusConflict, "body.data.full_name"},
		{"dead subject", ev(map[string]any{"type": "death", "subject": minh.PIN, "data": map[string]any{}}), http.StatusConflict, "body.subject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(req{method: http.MethodPost, path: "/v1/events", body: tc.body})
			mustStatus(t, r, tc.status)
			p := r.problem(t)
			if got := locations(p); !slices.Contains(got, tc.location) {
				t.Errorf("locations = %q, want %q (%s)", got, tc.location, r.body)
			}
		})
	}

	t.Run("not JSON", func(t *testing.T) {
		r := f.do(req{method: http.MethodPost, path: "/v1/events", body: `{"type":`})
		if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
			t.Fatalf("status = %d, want 400 or 422", r.status)
		}
		r.problem(t)
	})
}

func TestRegistryHandler_BirthRegistration(t *testing.T) {
	f := newFixture(t)
	hoa, an := f.people["hoa"], f.people["an"]
	body := `{"type":"birth_registration","effective_date":"2026-01-20","reason":"Birth certificate 45/2026",
		"data":{"full_name":"Nguyễn Thị Mai","birth_date":"2026-01-10","sex":"female","ethnicity":"01",
		"registration_place":{"province":"79","commune":"25747"},"mother_pin":"` + hoa.PIN + `","father_pin":"` + an.PIN + `"}}`
	r := f.do(req{method: http.MethodPost, path: "/v1/events", body: body})
	mustStatus(t, r, http.StatusCreated)
	var res registry.Result
	r.json(t, &res)
	if res.PIN == "" || !strings.HasPrefix(r.header.Get("Location"), "/v1/events/E") {
		t.Fatalf("birth result %+v, Location %q", res, r.header.Get("Location"))
	}
	mustStatus(t, f.get("/v1/citizens/"+res.PIN), http.StatusOK)

	var hh api.Household
	f.get("/v1/households/"+f.hh.ID).json(t, &hh)
	var names []string
	for _, m := range hh.Members {
		names = append(names, m.FullName+"/"+m.Relationship)
	}
	want := []string{"Nguyễn Văn An/head", "Lê Thị Hoà/spouse", "Nguyễn Văn Bình/child", "Nguyễn Thị Mai/child"}
	if !slices.Equal(names, want) {
		t.Errorf("members %v, want %v", names, want)
	}
}

// TestRegistryHandler_DuplicateRegistration registers a child already on
// record (the same name and birthday without diacritics, the same
// mother): 409 with the candidate, recorded as a read; declared another
// person, the registration goes ahead.
func TestRegistryHandler_DuplicateRegistration(t *testing.T) {
	f := newFixtureWith(t, options{screen: true})
	hoa, an := f.people["hoa"], f.people["an"]
	birth := func(name, extra string) string {
		return `{"type":"birth_registration","effective_date":"2026-01-20","reason":"Birth certificate 45/2026",
		"data":{"full_name":"` + name + `","birth_date":"2026-01-10","sex":"female","ethnicity":"01",
		"registration_place":{"province":"79","commune":"25747"},"mother_pin":"` + hoa.PIN + `","father_pin":"` + an.PIN + `"` + extra + `}}`
	}
	r := f.do(req{method: http.MethodPost, path: "/v1/events", body: birth("Nguyễn Thị Mai", "")})
	mustStatus(t, r, http.StatusCreated)
	var first registry.Result
	r.json(t, &first)
	f.rec.Take()

	r = f.do(req{method: http.MethodPost, path: "/v1/events", body: birth("Nguyen Thi Mai", "")})
	mustStatus(t, r, http.StatusConflict)
	if ct := r.header.Get("Content-Type"); ct != api.ProblemContentType {
		t.Errorf("Content-Type %q", ct)
	}
	var p struct {
		api.Problem
		Candidates []struct {
			PIN         string            `json:"pin"`
			Weight      float64           `json:"weight"`
			Probability float64           `json:"probability"`
			Evidence    []json.RawMessage `json:"evidence"`
		} `json:"candidates"`
	}
	r.json(t, &p)
	if len(p.Candidates) != 1 || p.Candidates[0].PIN != first.PIN || p.Candidates[0].Weight <= 0 || len(p.Candidates[0].Evidence) == 0 {
		t.Fatalf("candidates %+v, want the child registered first", p.Candidates)
	}
	if len(p.Errors) != 1 || p.Errors[0].Location != "body.data.confirm_not_duplicate" {
		t.Errorf("errors %+v", p.Errors)
	}
	if strings.Contains(string(r.body), "Nguy") {
		t.Errorf("the problem carries a name: %s", r.body)
	}
	got := f.rec.Take()
	if len(got) != 1 || got[0].PIN != first.PIN || got[0].Action != "read" {
		t.Errorf("access recorded %+v, want one read of the candidate", got)
	}

	r = f.do(req{method: http.MethodPost, path: "/v1/events", body: birth("Nguyen Thi Mai",
		`,"confirm_not_duplicate":true,"not_duplicate_reason":"Twin sister, birth certificate 46/2026"`)})
	mustStatus(t, r, http.StatusCreated)
}

func TestRegistryHandler_GetHousehold(t *testing.T) {
	f := newFixture(t)
	r := f.get("/v1/households/" + f.hh.ID)
	mustStatus(t, r, http.StatusOK)
	var got api.Household
	r.json(t, &got)
	want := []api.HouseholdMember{
		{PIN: f.people["an"].PIN, FullName: "Nguyễn Văn An", Relationship: "head"},
		{PIN: f.people["hoa"].PIN, FullName: "Lê Thị Hoà", Relationship: "spouse"},
		{PIN: f.people["binh"].PIN, FullName: "Nguyễn Văn Bình", Relationship: "child"},
	}
	if got.ID != f.hh.ID || got.HeadPIN != f.people["an"].PIN || got.Version != 1 || !slices.Equal(got.Members, want) {
		t.Errorf("got %+v, want members %+v", got, want)
	}
	if got.Address.Commune != "25747" || r.header.Get("ETag") != `"v1"` {
		t.Errorf("address %+v, ETag %s", got.Address, r.header.Get("ETag"))
	}

	r = f.get("/v1/households/HNOSUCHHOUSE")
	mustStatus(t, r, http.StatusNotFound)
	if l := locations(r.problem(t)); !slices.Equal(l, []string{"path.id"}) {
		t.Errorf("locations = %q, want [path.id]", l)
	}
}

func TestRegistryHandler_Events(t *testing.T) {
	f := newFixture(t)
	an, minh := f.people["an"], f.people["minh"]
	mustStatus(t, f.rename(an.PIN, "Nguyễn Văn Ân", "2026-02-01", "e1"), http.StatusCreated)
	mustStatus(t, f.rename(minh.PIN, "Trần Minh", "2026-02-02", "e2"), http.StatusCreated)
	mustStatus(t, f.do(req{method: http.MethodPost, path: "/v1/events", body: `{"id":"e3","type":"death","subject":"` + minh.PIN +
		`","effective_date":"2026-02-03","reason":"Death certificate 7"}`}), http.StatusCreated)

	ids := func(q string) ([]string, int64) {
		t.Helper()
		r := f.get("/v1/events" + q)
		mustStatus(t, r, http.StatusOK)
		var page api.EventPage
		r.json(t, &page)
		var out []string
		for _, e := range page.Items {
			out = append(out, e.ID)
		}
		return out, page.NextAfter
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"e1", "e2", "e3"}},
		{"?pin=" + minh.PIN, []string{"e2", "e3"}},
		{"?type=name_change", []string{"e1", "e2"}},
		{"?type=death&pin=" + an.PIN, nil},
	}
	for _, tc := range tests {
		if got, _ := ids(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("GET /v1/events%s = %v, want %v", tc.query, got, tc.want)
		}
	}

	// Paging with next_after.
	var all []string
	after := int64(0)
	for range 10 {
		got, next := ids(fmt.Sprintf("?limit=2&after=%d", after))
		all = append(all, got...)
		if next == 0 {
			break
		}
		after = next
	}
	if want := []string{"e1", "e2", "e3"}; !slices.Equal(all, want) {
		t.Errorf("paged %v, want %v", all, want)
	}

	for _, tc := range []struct{ query, location string }{
		{"?type=adoption", "query.type"},
		{"?pin=12345", "query.pin"},
		{"?pin=999180000101", "query.pin"},
		{"?limit=1001", "query.limit"},
		{"?after=-1", "query.after"},
	} {
		r := f.get("/v1/events" + tc.query)
		mustStatus(t, r, http.StatusBadRequest)
		if l := locations(r.problem(t)); !slices.Contains(l, tc.location) {
			t.Errorf("GET /v1/events%s: locations = %q, want %q", tc.query, l, tc.location)
		}
	}

	r := f.get("/v1/events/e2")
	mustStatus(t, r, http.StatusOK)
	var e api.EventRecord
	r.json(t, &e)
	if e.ID != "e2" || e.Type != "name_change" || e.Subject != minh.PIN || e.Actor != "admin" ||
		e.EffectiveDate.String() != "2026-02-02" || e.Reason != "Decision 12/QD-UBND" ||
		!slices.Equal(e.Subjects, []string{minh.PIN}) || e.Result == nil || e.Result.Seq != e.Seq ||
		!strings.Contains(string(e.Data), "Trần Minh") {
		t.Errorf("event %+v", e)
	}
	r = f.get("/v1/events/nope")
	mustStatus(t, r, http.StatusNotFound)
	if l := locations(r.problem(t)); !slices.Equal(l, []string{"path.id"}) {
		t.Errorf("locations = %q, want [path.id]", l)
	}
}

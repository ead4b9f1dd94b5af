package api_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
)

func pinsOf(as []audit.Access) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.PIN)
	}
	slices.Sort(out)
	return out
}

func TestRegistryHandler_recordsAccesses(t *testing.T) {
	f := newFixture(t)
	an := f.people["an"]
	var members []string
	for _, m := range f.hh.Members {
		members = append(members, m.PIN)
	}
	slices.Sort(members)
	f.rec.Take() // seeding records nothing, but be sure
	for _, tc := range []struct {
		name       string
		req        req
		wantStatus int
		wantPINs   []string
		wantAction string
		wantField  string
	}{
		{"citizen", req{path: "/v1/citizens/" + an.PIN}, http.StatusOK, []string{an.PIN}, "read", "full_name"},
		{"history", req{path: "/v1/citizens/" + an.PIN + "/history"}, http.StatusOK, []string{an.PIN}, "read", "history"},
		{"household", req{path: "/v1/households/" + f.hh.ID}, http.StatusOK, members, "read", "full_name"},
		{"search", req{path: "/v1/citizens?name=" + strings.ReplaceAll(an.FullName, " ", "+")}, http.StatusOK, []string{an.PIN}, "read", "full_name"},
		{"not found records nothing", req{path: "/v1/citizens/079190999999"}, http.StatusNotFound, nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(tc.req)
			mustStatus(t, r, tc.wantStatus)
			got := f.rec.Take()
			if !slices.Equal(pinsOf(got), tc.wantPINs) {
				t.Fatalf("recorded PINs %v, want %v", pinsOf(got), tc.wantPINs)
			}
			for _, a := range got {
				if a.Actor != "admin" || a.ActorKind != "admin" || a.Purpose != "registry.administration" ||
					a.Action != tc.wantAction || a.RequestID != r.header.Get("X-Request-Id") || !slices.Contains(a.Fields, tc.wantField) {
					t.Errorf("recorded %+v; want admin %s with field %s and the request id", a, tc.wantAction, tc.wantField)
				}
			}
		})
	}
}

func TestRegistryHandler_recordFailureAnswers503WithoutData(t *testing.T) {
	f := newFixtureWith(t, options{recordErr: errors.New("disk full")})
	an := f.people["an"]
	for _, path := range []string{
		"/v1/citizens/" + an.PIN,
		"/v1/citizens/" + an.PIN + "/history",
		"/v1/households/" + f.hh.ID,
		"/v1/citizens?name=" + strings.ReplaceAll(an.FullName, " ", "+"),
	} {
		r := f.get(path)
		mustStatus(t, r, http.StatusServiceUnavailable)
		if strings.Contains(string(r.body), an.FullName) || strings.Contains(string(r.body), "disk full") {
			t.Errorf("%s: 503 body %s carries data or the internal error", path, r.body)
		}
	}
}

func TestRegistryHandler_recordsWrites(t *testing.T) {
	f := newFixture(t)
	an, hoa, binh := f.people["an"], f.people["hoa"], f.people["binh"]
	f.rec.Take()
	r := f.rename(an.PIN, "Nguyễn Văn Ân", "2026-02-01", "rename-rec")
	mustStatus(t, r, http.StatusCreated)
	got := f.rec.Take()
	want := []string{an.PIN, hoa.PIN, binh.PIN}
	slices.Sort(want)
	if !slices.Equal(pinsOf(got), want) {
		t.Fatalf("recorded PINs %v, want %v", pinsOf(got), want)
	}
	for _, a := range got {
		if a.Action != "write" || !slices.Contains(a.Fields, "event.name_change") {
			t.Errorf("recorded %+v, want a write of event.name_change", a)
		}
	}
}

// TestRegistryHandler_unrecordedWriteSaysItWasApplied checks that an event
// applied but whose write the access log refused is answered 503 with the
// applied-unrecorded type, not the "nothing was changed" problem, without
// its result; and that the same event submitted again once the log works is
// answered its first result, recorded then.
func TestRegistryHandler_unrecordedWriteSaysItWasApplied(t *testing.T) {
	f := newFixture(t)
	an := f.people["an"]
	f.rec.Fail(errors.New("disk full"))
	r := f.rename(an.PIN, "Nguyễn Văn Ân", "2026-02-01", "rename-unrecorded")
	mustStatus(t, r, http.StatusServiceUnavailable)
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil || p.Type != api.ProblemAppliedUnrecorded {
		t.Fatalf("503 body %s (%v); want type %s", r.body, err, api.ProblemAppliedUnrecorded)
	}
	if strings.Contains(string(r.body), an.PIN) || strings.Contains(string(r.body), "disk full") {
		t.Errorf("503 body %s carries data or the internal error", r.body)
	}
	f.rec.Fail(nil)
	r = f.rename(an.PIN, "Nguyễn Văn Ân", "2026-02-01", "rename-unrecorded")
	mustStatus(t, r, http.StatusOK)
	if got := pinsOf(f.rec.Take()); !slices.Contains(got, an.PIN) {
		t.Errorf("the retry recorded %v, want the subject", got)
	}
}

// TestRegistryHandler_recordsEventReads checks that listing or reading events,
// which name their subjects and carry their data, is recorded for them.
func TestRegistryHandler_recordsEventReads(t *testing.T) {
	f := newFixture(t)
	an := f.people["an"]
	body := `{"id":"blood-1","type":"correction","subject":"` + an.PIN + `","effective_date":"2026-01-02",` +
		`"reason":"test","data":{"field":"blood_type","value":"O+"}}`
	mustStatus(t, f.do(req{method: http.MethodPost, path: "/v1/events", body: body}), http.StatusCreated)
	f.rec.Take()
	r := f.do(req{path: "/v1/events?pin=" + an.PIN})
	mustStatus(t, r, http.StatusOK)
	got := f.rec.Take()
	if !slices.Contains(pinsOf(got), an.PIN) {
		t.Fatalf("listing a person's events recorded %v, want them", pinsOf(got))
	}
	for _, a := range got {
		if a.Action != "read" || !slices.Contains(a.Fields, "event") {
			t.Errorf("recorded %+v", a)
		}
	}
	mustStatus(t, f.do(req{path: "/v1/events/blood-1"}), http.StatusOK)
	if got := pinsOf(f.rec.Take()); !slices.Equal(got, []string{an.PIN}) {
		t.Errorf("reading the event recorded %v, want its subject", got)
	}
}

package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// trackerEnv is a console over a real SQLite store with a real access log,
// two people (one in 01:00004, one in 79:26740) and officers of every role.
type trackerEnv struct {
	mux    *http.ServeMux
	h      *Handler
	log    *audit.Log
	st     store.Store
	auth   *auth.Authenticator
	inside string // lives in 01:00004
	other  string // lives in 79:26740
	// sessions by account name: auditor, registrar (01:00004), far
	// (registrar of 79:26741), stat (statistician).
	cookies map[string]*http.Cookie
	ids     map[string]string
}

func newTrackerEnv(t testing.TB) *trackerEnv {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	return newTrackerEnvOn(t, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
}

// newTrackerEnvOn is newTrackerEnv over st.
func newTrackerEnvOn(t testing.TB, st store.Store, opts audit.Options) *trackerEnv {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { st.Close() })
	a, _, err := auth.Setup(ctx, st, testToken)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e := &trackerEnv{log: l, st: st, auth: a, cookies: map[string]*http.Cookie{}, ids: map[string]string{}}
	reg := registry.New(st, registry.WithClock(func() time.Time { return testNow }))
	for _, p := range []struct {
		pin        *string
		prov, comm string
	}{{&e.inside, "01", "00004"}, {&e.other, "79", "26740"}} {
		raw, _ := json.Marshal(map[string]any{
			"full_name": "Nguyễn Văn An", "birth_date": "1985-03-02", "sex": "male", "ethnicity": "01",
			"registration_place": map[string]any{"province": p.prov},
			"address":            map[string]any{"province": p.prov, "commune": p.comm, "address": "Số 1"},
		})
		res, err := reg.Submit(ctx, registry.Submission{Actor: "admin", Event: registry.Event{
			Type: "initial_registration", EffectiveDate: registry.MustParseDate("2025-08-01"), Reason: "Thu thập", Data: raw}})
		if err != nil {
			t.Fatal(err)
		}
		*p.pin = res.PIN
	}
	svc := staff.New(st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	for name, n := range map[string]staff.NewAccount{
		"auditor":   {Roles: []staff.Role{staff.Auditor}},
		"registrar": {Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{{Province: "01", Commune: "00004"}}},
		"far":       {Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{{Province: "79", Commune: "26741"}}},
		"stat":      {Roles: []staff.Role{staff.Statistician}},
	} {
		n.Username, n.DisplayName = name+"1", "Cán bộ "+name
		acct, cr, err := svc.Create(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ChangePassword(ctx, acct.ID, cr.Password, "a long new password 123"); err != nil {
			t.Fatal(err)
		}
		e.ids[name] = acct.ID
		e.cookies[name] = &http.Cookie{Name: sessionCookie, Value: a.NewSession(auth.Principal{ID: acct.ID, Kind: principalStaff}, time.Hour)}
	}
	e.cookies["admin"] = &http.Cookie{Name: sessionCookie, Value: a.NewSession(auth.Admin, time.Hour)}

	// The person inside has four accesses: an agency's lookup, a sealed
	// police lookup, an officer's view and a write.
	err = l.Record(ctx,
		audit.Access{ActorKind: "client", Actor: "vss-core", Agency: "vss", Purpose: "social-insurance.enrolment", PIN: e.inside, Fields: []string{"full_name", "birth_date"}, Action: "read", RequestID: "r1"},
		audit.Access{ActorKind: "client", Actor: "c06-app", Agency: "c06", Purpose: "police.investigation", CaseRef: "VA-2026-77", SealedUntil: "2999-01-01", PIN: e.inside, Fields: []string{"current_residence"}, Action: "read", RequestID: "r2"},
		audit.Access{ActorKind: principalStaff, Actor: e.ids["registrar"], Purpose: "registry.administration", PIN: e.inside, Fields: []string{"record", "history"}, Action: "read", RequestID: "r3"},
		audit.Access{ActorKind: "client", Actor: "vss-core", Agency: "vss", Purpose: "social-insurance.enrolment", PIN: e.other, Fields: []string{"full_name"}, Action: "read", RequestID: "r4"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	e.h = New(Deps{Registry: reg, Auth: a, Staff: svc, Recorder: l, Tracker: l})
	e.mux = http.NewServeMux()
	e.h.Mount(e.mux)
	return e
}

func (e *trackerEnv) get(t *testing.T, path, who string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if c := e.cookies[who]; c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.String()
}

// entries returns how many accesses the log lists for pin.
func (e *trackerEnv) entries(t *testing.T, pin string) []audit.TrackedAccess {
	t.Helper()
	tr, err := e.log.Accesses(context.Background(), pin, 0, 1000, audit.OfficerView)
	if err != nil {
		t.Fatal(err)
	}
	return tr.Entries
}

func TestHandler_tracker(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testTracker(t, newTrackerEnv(t)) })
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(context.Background(), pgtest.NewDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		testTracker(t, newTrackerEnvOn(t, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1}))
	})
}

func testTracker(t *testing.T, e *trackerEnv) {
	path := "/console/people/" + e.inside + "/accesses"

	for _, who := range []string{"auditor", "registrar", "admin"} {
		t.Run(who, func(t *testing.T) {
			before := len(e.entries(t, e.inside))
			resp, body := e.get(t, path+"?lang=en", who)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			mustContain(t, body, "Data access history", e.inside,
				"Signed checkpoint verified: the log holds 4 entries.",
				"vss-core", "agency vss", "social-insurance.enrolment", "police.investigation",
				"VA-2026-77", "Sealed", "hidden from the person until 2999-01-01",
				"Cán bộ registrar (registrar1)", "officer, units 01:00004", "whole record",
			)
			// The three entries of the person, all proven against the
			// checkpoint of 4; the other person's entry is not listed.
			if n := strings.Count(body, "verified against checkpoint 4"); n != 3 {
				t.Errorf("%d rows verified against checkpoint 4, want 3", n)
			}
			mustNotContain(t, body, e.other, "does NOT match")
			// Newest first: the officer's view (entry 2) before the lookup (entry 0).
			if i, j := strings.Index(body, "Cán bộ registrar"), strings.Index(body, "birth_date"); i < 0 || j >= 0 && i > j {
				t.Errorf("rows are not newest first")
			}
			// Reading the tracker is itself recorded, before the answer.
			after := e.entries(t, e.inside)
			if len(after) != before+1 {
				t.Fatalf("%d entries after viewing, want %d", len(after), before+1)
			}
			got := after[0].Access
			if got.Purpose != purposeAdministration || got.Action != "read" || !strings.Contains(strings.Join(got.Fields, ","), "accesses") {
				t.Errorf("recorded access %+v", got)
			}
		})
	}

	// The entries newer than the checkpoint (the views above) wait for
	// the next one and are said so.
	_, body := e.get(t, path+"?lang=en", "auditor")
	mustContain(t, body, "newer than the checkpoint")

	// Refusals: a registrar of other units, a statistician, nobody; and
	// nothing is recorded for them.
	before := len(e.entries(t, e.inside))
	for who, want := range map[string]int{"far": http.StatusForbidden, "stat": http.StatusForbidden, "": http.StatusSeeOther} {
		resp, body := e.get(t, path, who)
		if resp.StatusCode != want {
			t.Errorf("%q: status %d, want %d", who, resp.StatusCode, want)
		}
		mustNotContain(t, body, "VA-2026-77")
	}
	if n := len(e.entries(t, e.inside)); n != before {
		t.Errorf("refused requests were recorded: %d entries, want %d", n, before)
	}
	// The far registrar may track the person of their own province? No:
	// 79:26740 is not their commune 79:26741.
	if resp, _ := e.get(t, "/console/people/"+e.other+"/accesses", "far"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("registrar of another commune: status %d", resp.StatusCode)
	}

	// Bad input.
	for p, want := range map[string]int{
		"/console/people/123/accesses":          http.StatusBadRequest,
		path + "?before=abc":                    http.StatusBadRequest,
		path + "?before=-3":                     http.StatusBadRequest,
		"/console/people/001085000999/accesses": http.StatusNotFound,
	} {
		if resp, _ := e.get(t, p, "auditor"); resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", p, resp.StatusCode, want)
		}
	}
}

func TestHandler_trackerPersonLink(t *testing.T) {
	e := newTrackerEnv(t)
	link := `href="/console/people/` + e.inside + `/accesses"`
	_, body := e.get(t, "/console/people/"+e.inside, "registrar")
	mustContain(t, body, link)
	_, body = e.get(t, "/console/people/"+e.inside, "admin")
	mustContain(t, body, link)
	// A registrar elsewhere reads the record but gets no link.
	_, body = e.get(t, "/console/people/"+e.inside, "far")
	mustNotContain(t, body, link)
}

func TestHandler_trackerPaging(t *testing.T) {
	e := newTrackerEnv(t)
	ctx := context.Background()
	var more []audit.Access
	for range trackerPageSize + 5 {
		more = append(more, audit.Access{ActorKind: "client", Actor: "bank-app", Agency: "vcb", Purpose: "bank.kyc", PIN: e.other, Fields: []string{"full_name"}, Action: "verify"})
	}
	if err := e.log.Record(ctx, more...); err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	path := "/console/people/" + e.other + "/accesses"
	_, body := e.get(t, path+"?lang=en", "auditor")
	if n := strings.Count(body, "<tr>") - 1; n != trackerPageSize {
		t.Errorf("first page has %d rows, want %d", n, trackerPageSize)
	}
	m := regexp.MustCompile(`href="(/console/people/\d+/accesses\?before=\d+)">Older`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no link to the older page")
	}
	_, body = e.get(t, m[1]+"&lang=en", "auditor")
	// 5 more bank checks and the VSS lookup, plus nothing newer.
	if n := strings.Count(body, "<tr>") - 1; n != 6 {
		t.Errorf("second page has %d rows, want 6", n)
	}
	mustContain(t, body, "vss-core", "Back to the newest")
	mustNotContain(t, body, ">Older<")
}

// badVerifier is a Tracker whose checkpoints never verify: the page must
// say so and prove nothing.
type badVerifier struct{ *audit.Log }

func (badVerifier) Verifier() note.Verifier {
	_, vkey, _ := note.GenerateKey(nil, audit.DefaultOrigin)
	v, _ := note.NewVerifier(vkey)
	return v
}

func TestHandler_trackerBadCheckpoint(t *testing.T) {
	e := newTrackerEnv(t)
	e.h.track = badVerifier{e.log}
	resp, body := e.get(t, "/console/people/"+e.inside+"/accesses?lang=en", "auditor")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	mustContain(t, body, "signature does not verify", "not verified")
	mustNotContain(t, body, "verified against checkpoint")
}

// failingTracker fails every listing.
type failingTracker struct{ *audit.Log }

func (failingTracker) Accesses(context.Context, string, int64, int, audit.View) (audit.Tracking, error) {
	return audit.Tracking{}, errors.New("disk on fire")
}

func TestHandler_trackerErrors(t *testing.T) {
	e := newTrackerEnv(t)
	e.h.track = failingTracker{e.log}
	if resp, _ := e.get(t, "/console/people/"+e.inside+"/accesses", "auditor"); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("failing tracker: status %d, want 500", resp.StatusCode)
	}
	// An access that cannot be recorded is not shown.
	e.h.track = e.log
	e.h.rec = audittest.Failing(errors.New("log down"))
	if resp, body := e.get(t, "/console/people/"+e.inside+"/accesses", "auditor"); resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(body, "VA-2026-77") {
		t.Errorf("unrecorded access: status %d, want 503 and no rows", resp.StatusCode)
	}
	// Without a tracker, there is no page and no link.
	e2 := newTrackerEnv(t)
	e2.h = New(Deps{Registry: e2.h.reg, Auth: e2.auth, Staff: e2.h.staff, Recorder: e2.log})
	e2.mux = http.NewServeMux()
	e2.h.Mount(e2.mux)
	if resp, _ := e2.get(t, "/console/people/"+e2.inside+"/accesses", "admin"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("no tracker: status %d, want 404", resp.StatusCode)
	}
	_, body := e2.get(t, "/console/people/"+e2.inside, "admin")
	mustNotContain(t, body, "/accesses")
}

func TestHandler_trackerPIN(t *testing.T) {
	e := newTrackerEnv(t)
	_, body := e.get(t, "/console/people/"+e.inside+"/accesses", "auditor")
	mustContain(t, body, `href="/console/accesses"`)
	_, body = e.get(t, "/console/accesses", "stat")
	mustNotContain(t, body, `id="tracker-pin"`)
	resp, body := e.get(t, "/console/accesses", "auditor")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	mustContain(t, body, `id="tracker-pin"`)
	resp, _ = e.get(t, "/console/accesses?pin="+e.inside, "auditor")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/people/"+e.inside+"/accesses" {
		t.Errorf("PIN form: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = e.get(t, "/console/accesses?pin=12ab", "auditor")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad PIN: status %d", resp.StatusCode)
	}
	mustContain(t, body, "field-error", `value="12ab"`)
	// The registrar reads it through the person page, and has no nav link.
	_, body = e.get(t, "/console/people/"+e.inside, "registrar")
	mustNotContain(t, body, `href="/console/accesses"`)
	if resp, _ := e.get(t, "/console/accesses", "stat"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("statistician: status %d", resp.StatusCode)
	}
}

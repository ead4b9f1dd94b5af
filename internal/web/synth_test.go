package web

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/synth"
	"github.com/dancu/dancu/internal/vntext"
)

// TestHandler_syntheticPopulation renders the pages of a few hundred
// generated citizens — the dead, the married, old records with partial
// dates, households of every size — and checks that every page renders
// completely and that searching for each name by its accent-free form finds
// the person.
func TestHandler_syntheticPopulation(t *testing.T) {
	if testing.Short() {
		t.Skip("synthetic population skipped in -short mode")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "synth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := synth.Generate(ctx, st, synth.Options{Citizens: 300, Seed: 6, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	a, _, err := auth.Setup(ctx, st, testToken)
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(st, registry.WithClock(func() time.Time { return testNow }))
	logs := &syncBuffer{}
	h := New(Deps{Registry: reg, Auth: a, Logger: slogJSON(logs), Recorder: &audittest.Recorder{}})
	h.now = func() time.Time { return testNow }
	e := &env{h: h, mux: http.NewServeMux(), reg: reg, auth: a, logs: logs}
	h.Mount(e.mux)
	sess := e.session()

	// Everyone, province by province: a search by province lists all the
	// people living there.
	var people []*registry.Person
	for _, p := range provinceCodes(t, e, sess) {
		recs, _, err := reg.Search(ctx, registry.Query{Province: p, Limit: registry.MaxSearchLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			people = append(people, r.Person)
		}
	}
	if len(people) < 100 {
		t.Fatalf("found %d people with a permanent residence, want most of 300", len(people))
	}

	households := map[string]bool{}
	kinds := map[registry.LifeState]int{}
	for i, p := range people {
		kinds[p.Status.State]++
		if p.HouseholdID != "" {
			households[p.HouseholdID] = true
		}
		resp, body := e.get(t, "/console/people/"+p.PIN, sess)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("person page: status %d", resp.StatusCode)
		}
		checkPage(t, body, p.FullName, p.PIN)
		// Searching every name would be slow; every tenth is plenty.
		if i%10 == 0 {
			q := url.Values{"name": {vntext.Key(p.FullName)}, "birth_year": {""}, "sex": {""}, "province": {""}, "commune": {""}}
			if p.BirthDate.Year != 0 {
				q.Set("birth_year", strconv.Itoa(p.BirthDate.Year))
			}
			resp, body := e.get(t, "/console/?"+q.Encode(), sess)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("search by accent-free name: status %d", resp.StatusCode)
			}
			if !strings.Contains(body, `href="/console/people/`+p.PIN+`"`) {
				t.Errorf("search by the accent-free name and birth year did not find person %d", i)
			}
		}
	}
	for id := range households {
		resp, body := e.get(t, "/console/households/"+url.PathEscape(id), sess)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("household page: status %d", resp.StatusCode)
		}
		checkPage(t, body, id)
	}
	t.Logf("rendered %d people (%v) and %d households", len(people), kinds, len(households))

	for _, p := range people {
		if strings.Contains(logs.String(), p.PIN) {
			t.Fatal("the log holds a PIN")
		}
	}
}

// provinceCodes reads the province select of the search form.
func provinceCodes(t *testing.T, e *env, sess *http.Cookie) []string {
	t.Helper()
	_, body := e.get(t, "/console/", sess)
	var out []string
	for _, m := range regexp.MustCompile(`<option value="(\d{2})"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	if len(out) != 34 {
		t.Fatalf("province select lists %d provinces, want 34", len(out))
	}
	return out
}

// checkPage fails when a page lacks what it must show or shows a gap in the
// catalogue.
func checkPage(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, templateEscape(w)) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(body, missingMark) {
		i := strings.Index(body, missingMark)
		t.Errorf("page shows a missing message: %s", body[i:min(len(body), i+60)])
	}
}

// templateEscape escapes s as html/template does in text.
func templateEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

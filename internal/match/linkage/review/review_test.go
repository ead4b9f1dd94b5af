package review_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/match/linkage/review"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/web"
	"github.com/dancu/dancu/internal/web/webtest"
)

const adminToken = "review-test-admin-token-0123456789abcdef"

type env struct {
	t        *testing.T
	ctx      context.Context
	st       store.Store
	reg      *registry.Registry
	rec      *audittest.Recorder
	staffSvc *staff.Service
	srv      *httptest.Server
	an, dup  string // a person and their duplicate, in Hà Nội
	other    string // a person in Thành phố Hồ Chí Minh, and their duplicate
	otherDup string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, ctx: ctx, st: st, reg: registry.New(st), rec: &audittest.Recorder{}}
	register := func(name, province, commune, address string) string {
		data, _ := json.Marshal(map[string]any{
			"full_name": name, "birth_date": "1980-05-01", "sex": "male", "ethnicity": "01",
			"registration_place": map[string]string{"province": province},
			"address":            map[string]string{"province": province, "commune": commune, "address": address},
		})
		res, err := e.reg.Submit(ctx, registry.Submission{Actor: "test", Event: registry.Event{
			Type: "initial_registration", EffectiveDate: registry.MustParseDate("2025-08-01"), Reason: "test", Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		return res.PIN
	}
	e.an = register("Nguyễn Văn An", "01", "00004", "Số 1 phố Đội Cấn")
	e.dup = register("Nguyen Van An", "01", "00004", "Số 1 phố Đội Cấn")
	e.other = register("Trần Văn Bình", "79", "25747", "Số 2 Lê Lợi")
	e.otherDup = register("Tran Van Binh", "79", "25747", "Số 2 Lê Lợi")
	pair := func(a, b string, w float64) store.DuplicateCandidate {
		if b < a {
			a, b = b, a
		}
		return store.DuplicateCandidate{PINA: a, PINB: b, Weight: w, Probability: 0.99, Source: "batch", FoundAt: time.Now(),
			Evidence: []byte(`[{"field":"surname","level":"close","weight":1.5},{"field":"birth_date","level":"exact","weight":4.2}]`)}
	}
	if _, err := st.PutDuplicateCandidates(ctx, []store.DuplicateCandidate{pair(e.an, e.dup, 20), pair(e.other, e.otherDup, 18)}); err != nil {
		t.Fatal(err)
	}

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, _, err := auth.Setup(ctx, st, adminToken)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Deps{Registry: e.reg, Store: st, Auth: a, Logger: logger, Recorder: e.rec})
	e.staffSvc = staff.New(st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	console := web.New(web.Deps{Registry: e.reg, Auth: a, Staff: e.staffSvc, Logger: logger, Recorder: e.rec})
	console.AddSection(review.New(review.Deps{Queue: st, Registry: e.reg, Recorder: e.rec, Console: console, Logger: logger}).Section())
	console.Mount(srv.Mux())
	e.srv = httptest.NewServer(srv)
	t.Cleanup(e.srv.Close)
	return e
}

// officer signs in a new officer with roles and scope and returns its client.
func (e *env) officer(username string, roles []staff.Role, scope ...staff.Unit) *webtest.Client {
	e.t.Helper()
	return webtest.Officer(e.t, e.srv.URL, e.staffSvc, username, roles, scope...)
}

var csrfField = webtest.CSRFField

func ordered(a, b string) (string, string) {
	if b < a {
		return b, a
	}
	return a, b
}

func TestPages_listCompareMerge(t *testing.T) {
	e := newEnv(t)
	hanoi := e.officer("reg-hn", []staff.Role{staff.Registrar}, staff.Unit{Province: "01"})

	// The list shows only the pair in the registrar's units.
	resp, body := hanoi.Get("/console/duplicates/")
	if resp.StatusCode != 200 {
		t.Fatalf("list: %d", resp.StatusCode)
	}
	a, b := ordered(e.an, e.dup)
	oa, ob := ordered(e.other, e.otherDup)
	if !strings.Contains(body, a+" – "+b) || strings.Contains(body, oa) {
		t.Fatalf("list does not hold exactly the pair in scope:\n%s", body)
	}
	// Another province's pair is not found for this registrar.
	if resp, _ := hanoi.Get(fmt.Sprintf("/console/duplicates/%s/%s", oa, ob)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("pair outside scope: %d, want 404", resp.StatusCode)
	}

	// Side by side, with the evidence; the read is in the access log.
	before := len(e.rec.All())
	resp, body = hanoi.Get(fmt.Sprintf("/console/duplicates/%s/%s", a, b))
	if resp.StatusCode != 200 || !strings.Contains(body, "Nguyễn Văn An") || !strings.Contains(body, "Nguyen Van An") || !strings.Contains(body, "4.20") {
		t.Fatalf("compare: %d\n%s", resp.StatusCode, body)
	}
	if got := len(e.rec.All()) - before; got != 2 {
		t.Errorf("compare recorded %d accesses, want 2", got)
	}
	csrf := csrfField.FindStringSubmatch(body)[1]

	// A merge without a reason is refused and changes nothing.
	resp, _ = hanoi.Post(fmt.Sprintf("/console/duplicates/%s/%s/merge", a, b), url.Values{"csrf": {csrf}, "keep": {e.an}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("merge without reason: %d", resp.StatusCode)
	}
	// Without the CSRF token, refused by the console.
	resp, _ = hanoi.Post(fmt.Sprintf("/console/duplicates/%s/%s/merge", a, b), url.Values{"keep": {e.an}, "reason": {"x"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("merge without csrf: %d", resp.StatusCode)
	}
	resp, _ = hanoi.Post(fmt.Sprintf("/console/duplicates/%s/%s/merge", a, b), url.Values{"csrf": {csrf}, "keep": {e.an}, "reason": {"Biên bản xác minh số 12"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("merge: %d", resp.StatusCode)
	}
	retired, err := e.reg.Person(e.ctx, e.dup, registry.Date{})
	if err != nil || retired.Person.MergedInto != e.an {
		t.Fatalf("after merge, the duplicate is merged into %q, %v", retired.Person.MergedInto, err)
	}
	c, _ := e.st.DuplicateCandidate(e.ctx, a, b)
	if c.Status != store.DuplicateMerged || c.DecidedBy == "" {
		t.Errorf("pair after merge: %+v", c)
	}
	// Deciding again is a conflict.
	resp, _ = hanoi.Post(fmt.Sprintf("/console/duplicates/%s/%s/dismiss", a, b), url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("dismiss after merge: %d, want 409", resp.StatusCode)
	}
}

func TestPages_dismissAndRoles(t *testing.T) {
	e := newEnv(t)
	auditor := e.officer("aud", []staff.Role{staff.Auditor})
	if resp, _ := auditor.Get("/console/duplicates/"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("auditor: %d, want 403", resp.StatusCode)
	}
	admin := e.officer("nat", []staff.Role{staff.NationalAdmin})
	oa, ob := ordered(e.other, e.otherDup)
	_, body := admin.Get("/console/duplicates/")
	if !strings.Contains(body, oa+" – "+ob) {
		t.Fatal("national administrator does not see every pair")
	}
	_, body = admin.Get(fmt.Sprintf("/console/duplicates/%s/%s", oa, ob))
	csrf := csrfField.FindStringSubmatch(body)[1]
	resp, _ := admin.Post(fmt.Sprintf("/console/duplicates/%s/%s/dismiss", oa, ob), url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", resp.StatusCode)
	}
	if c, _ := e.st.DuplicateCandidate(e.ctx, oa, ob); c.Status != store.DuplicateDismissed {
		t.Errorf("after dismiss: %s", c.Status)
	}
	for _, path := range []string{"/console/duplicates/x/y", "/console/duplicates/" + ob + "/" + oa} {
		if resp, _ := admin.Get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
}

package jobpages_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/match"
	"github.com/dancu/dancu/internal/match/jobpages"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/web"
	"github.com/dancu/dancu/internal/web/webtest"
)

const adminToken = "jobpages-test-admin-token-0123456789abcdef"

type env struct {
	t        *testing.T
	ctx      context.Context
	st       store.Store
	jobs     *match.Engine
	staffSvc *staff.Service
	srv      *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &audittest.Recorder{}
	jobs, err := match.NewEngine(st, rec, match.EngineOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	a, _, err := auth.Setup(ctx, st, adminToken)
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(st)
	srv := api.New(api.Deps{Registry: reg, Store: st, Auth: a, Logger: logger, Recorder: rec})
	staffSvc := staff.New(st, staff.WithParams(staff.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}))
	console := web.New(web.Deps{Registry: reg, Auth: a, Staff: staffSvc, Logger: logger, Recorder: rec})
	console.AddSection(jobpages.New(jobpages.Deps{Jobs: jobs, Console: console, Logger: logger}).Section())
	console.Mount(srv.Mux())
	e := &env{t: t, ctx: ctx, st: st, jobs: jobs, staffSvc: staffSvc, srv: httptest.NewServer(srv)}
	t.Cleanup(e.srv.Close)
	return e
}

// officer signs in a new officer with roles and scope and returns its client.
func (e *env) officer(username string, roles []staff.Role, scope ...staff.Unit) *webtest.Client {
	e.t.Helper()
	return webtest.Officer(e.t, e.srv.URL, e.staffSvc, username, roles, scope...)
}

var csrfField = webtest.CSRFField

// list is a subscriber list over an empty registry: every line is
// answered without a record.
const list = "phone,pin,full_name,birth_date,sex\n0901234567,079090000123,Nguyễn Văn An,1990-05-17,male\n0901234568,bad,X,1990,male\n"

func TestPages_listDownloadCancel(t *testing.T) {
	e := newEnv(t)
	done, err := e.jobs.Submit(e.ctx, match.JobMeta{Agency: "viettel", Client: "viettel-bss", Purpose: "telecom.subscribers"}, strings.NewReader(list), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.jobs.RunJob(e.ctx, done.ID); err != nil {
		t.Fatal(err)
	}
	queued, err := e.jobs.Submit(e.ctx, match.JobMeta{Agency: "mobifone", Client: "mbf", Purpose: "telecom.subscribers"}, strings.NewReader(list), 1<<20)
	if err != nil {
		t.Fatal(err)
	}

	registrar := e.officer("reg-hn", []staff.Role{staff.Registrar}, staff.Unit{Province: "01"})
	for _, p := range []string{"/console/verify-jobs/", "/console/verify-jobs/" + done.ID + "/result"} {
		if resp, _ := registrar.Get(p); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a registrar on %s: %d, want 403", p, resp.StatusCode)
		}
	}

	boss := e.officer("boss", []staff.Role{staff.NationalAdmin})
	resp, body := boss.Get("/console/verify-jobs/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d", resp.StatusCode)
	}
	for _, want := range []string{done.ID, queued.ID, "viettel", "mobifone", "Hoàn thành", "Đang chờ", "NOT_FOUND 1", "INVALID_PIN 1",
		`href="/console/verify-jobs/` + done.ID + `/result"`, `action="/console/verify-jobs/` + queued.ID + `/cancel"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	if strings.Contains(body, `action="/console/verify-jobs/`+done.ID+`/cancel"`) || strings.Contains(body, queued.ID+`/result"`) {
		t.Error("a done job can be cancelled, or a queued one downloaded")
	}

	resp, csv := boss.Get("/console/verify-jobs/" + done.ID + "/result")
	want := "line,phone,result,fields,reason\n2,0901234567,NOT_FOUND,,\n3,0901234568,INVALID_PIN,,\n"
	if resp.StatusCode != http.StatusOK || csv != want || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("result: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Disposition"), csv)
	}
	if resp, _ := boss.Get("/console/verify-jobs/vj_none/result"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown job: %d, want 404", resp.StatusCode)
	}

	csrf := csrfField.FindStringSubmatch(body)[1]
	if resp, _ := boss.Post("/console/verify-jobs/"+queued.ID+"/cancel", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cancel without CSRF token: %d, want 403", resp.StatusCode)
	}
	resp, _ = boss.Post("/console/verify-jobs/"+queued.ID+"/cancel", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	if j, _ := e.st.VerifyJob(e.ctx, queued.ID); j.State != match.StateCancelled {
		t.Errorf("job %s after cancel", j.State)
	}
	_, body = boss.Get(resp.Header.Get("Location"))
	if !strings.Contains(body, "Đã huỷ tác vụ") || strings.Contains(body, queued.ID+"/cancel") {
		t.Error("the list does not show the cancellation")
	}
	if resp, _ := boss.Post("/console/verify-jobs/"+done.ID+"/cancel", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("cancel a done job: %d, want 409", resp.StatusCode)
	}
}

package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/audit/audittest"
)

func TestHandler_recordsAccesses(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name     string
		path     string
		wantPINs []string
	}{
		{"person", "/console/people/" + e.fam.Husband, []string{e.fam.Husband}},
		{"household", "/console/households/" + e.fam.Household, nil},
		{"search", "/console/?name=nguyen+van+an", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := e.get(t, tc.path, e.session())
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			got := e.rec.ForRequest(res.Header.Get("X-Request-Id"))
			if len(got) == 0 {
				t.Fatal("no access recorded")
			}
			var pins []string
			for _, a := range got {
				pins = append(pins, a.PIN)
				if a.Actor == "" || a.Purpose != purposeAdministration || a.Action != "read" {
					t.Errorf("recorded %+v", a)
				}
			}
			if tc.wantPINs != nil && !slices.Equal(pins, tc.wantPINs) {
				t.Errorf("recorded PINs %v, want %v", pins, tc.wantPINs)
			}
			if tc.name == "household" && !slices.Contains(pins, e.fam.Husband) {
				t.Errorf("household page recorded %v, want the members", pins)
			}
		})
	}
}

func TestHandler_recordFailureShowsNothing(t *testing.T) {
	e := newEnv(t)
	h := New(Deps{Registry: e.reg, Auth: e.auth, Recorder: audittest.Failing(errors.New("disk full"))})
	mux := http.NewServeMux()
	h.Mount(mux)
	for _, path := range []string{"/console/people/" + e.fam.Husband, "/console/households/" + e.fam.Household, "/console/?name=nguyen+van+an"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(e.session())
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503", path, w.Code)
		}
		if body := w.Body.String(); strings.Contains(body, "Nguyễn Văn An") || strings.Contains(body, "disk full") {
			t.Errorf("%s: the 503 page shows data or the internal error", path)
		}
	}
}

package services_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/services"
)

const adminToken = "services-admin-token-0123456789"

func newAPI(t *testing.T) (*env, http.Handler) {
	e := newEnv(t, backends["sqlite"])
	a, _, err := auth.Setup(e.ctx, e.st, adminToken)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Deps{Registry: e.reg, Store: e.st, Auth: a, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Recorder: e.rec})
	e.svc.Mount(srv)
	return e, srv
}

func call(t *testing.T, h http.Handler, method, path, token, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

func TestAPI_Procedures(t *testing.T) {
	e, h := newAPI(t)
	code, body := call(t, h, "GET", "/v1/procedures", "", "")
	if code != 200 {
		t.Fatalf("GET /v1/procedures = %d %s", code, body)
	}
	var list struct{ Procedures []services.Listing }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	want := []string{"permanent_residence_registration", "temporary_residence_registration", "temporary_absence_declaration",
		"birth_registration", "death_registration", "id_card_issue", "id_card_reissue", "residence_confirmation"}
	if len(list.Procedures) != len(want) {
		t.Fatalf("%d procedures", len(list.Procedures))
	}
	for i, p := range list.Procedures {
		if p.Code != want[i] || p.DeadlineDays < 1 || p.Level < 1 || p.Name.VI == "" || !p.Offered {
			t.Errorf("procedure %d = %+v", i, p.Procedure)
		}
	}
	if code, _ := call(t, h, "GET", "/v1/procedures/nope", "", ""); code != 404 {
		t.Errorf("unknown procedure = %d", code)
	}
	settings := `{"deadline_days": 2, "fee": 0}`
	if code, _ := call(t, h, "PUT", "/v1/procedures/temporary_absence_declaration/settings", "", settings); code != 401 {
		t.Errorf("anonymous PUT = %d, want 401", code)
	}
	if code, body := call(t, h, "PUT", "/v1/procedures/temporary_absence_declaration/settings", adminToken, `{"deadline_days": 0}`); code != 422 || !strings.Contains(body, "deadline_days") {
		t.Errorf("bad settings = %d %s", code, body)
	}
	code, body = call(t, h, "PUT", "/v1/procedures/temporary_absence_declaration/settings", adminToken, settings)
	if code != 200 || !strings.Contains(body, `"deadline_days":2`) {
		t.Errorf("PUT settings = %d %s", code, body)
	}
	if _, body := call(t, h, "GET", "/v1/procedures/temporary_absence_declaration", "", ""); !strings.Contains(body, `"deadline_days":2`) {
		t.Errorf("the change is not public: %s", body)
	}
	d := e.submit(e.husband, services.SubmitInput{Procedure: "temporary_absence_declaration", Fields: map[string]string{"destination": "Huế"}})
	if d.DeadlineDays != 2 {
		t.Errorf("a dossier filed after the change has %d days", d.DeadlineDays)
	}
	if code, _ := call(t, h, "GET", "/v1/services/statistics", "", ""); code != 401 {
		t.Errorf("anonymous statistics = %d", code)
	}
	code, body = call(t, h, "GET", "/v1/services/statistics?from=2026-11-01&to=2026-12-01", adminToken, "")
	if code != 200 || !strings.Contains(body, `"procedure":"temporary_absence_declaration","province":"01","submitted":1`) {
		t.Errorf("statistics = %d %s", code, body)
	}
	if code, _ := call(t, h, "GET", "/v1/services/statistics?from=2026-12-01&to=2026-11-01", adminToken, ""); code != 422 {
		t.Errorf("reversed period = %d", code)
	}
}

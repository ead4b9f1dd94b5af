package feed

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// TestAdminREST drives the webhook administration through the API server
// as an administrator: subscribe, list, see a dead letter, redeliver it.
func TestAdminREST(t *testing.T) {
	ctx := context.Background()
	st := openSQLite(t)
	const token = "admin-token-for-tests-0123456789"
	a, _, err := auth.Setup(ctx, st, token)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(ctx, st, newFakeExchange(insurerGrant), &memRecorder{}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Deps{Registry: registry.New(st), Store: st, Auth: a, Logger: log, Recorder: &memRecorder{}})
	svc.Mount(srv)
	ts := httptest.NewServer(srv)
	defer ts.Close()

	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	steps := []struct {
		name, method, path, body string
		status                   int
		check                    func(map[string]any) bool
	}{
		{"subscribe", "POST", "/v1/admin/webhooks",
			`{"id":"s1","agency":"vss","purpose":"insurance","url":"https://vss.example/hook","event_types":["death"]}`,
			http.StatusCreated, func(m map[string]any) bool { return strings.HasPrefix(m["secret"].(string), "whsec_") }},
		{"plain http to another host", "POST", "/v1/admin/webhooks",
			`{"id":"s3","agency":"vss","purpose":"insurance","url":"http://vss.example/hook","event_types":["death"]}`,
			http.StatusUnprocessableEntity, nil},
		{"ungranted type", "POST", "/v1/admin/webhooks",
			`{"id":"s2","agency":"vss","purpose":"insurance","url":"https://vss.example/hook","event_types":["birth_registration"]}`,
			http.StatusUnprocessableEntity, nil},
		{"list hides secrets", "GET", "/v1/admin/webhooks", "", http.StatusOK, func(m map[string]any) bool {
			items := m["items"].([]any)
			_, has := items[0].(map[string]any)["secret"]
			return len(items) == 1 && !has
		}},
		{"no dead letters", "GET", "/v1/admin/webhooks/s1/dead-letters", "", http.StatusOK,
			func(m map[string]any) bool { return len(m["items"].([]any)) == 0 }},
		{"redeliver nothing", "POST", "/v1/admin/webhooks/s1/dead-letters/7/redeliver", "", http.StatusNotFound, nil},
		{"unknown subscription", "GET", "/v1/admin/webhooks/nope/dead-letters", "", http.StatusNotFound, nil},
	}
	for _, s := range steps {
		status, body := call(s.method, s.path, s.body)
		if status != s.status || (s.check != nil && !s.check(body)) {
			t.Fatalf("%s: %d %v, want %d", s.name, status, body, s.status)
		}
	}

	// A dead letter, as the relay leaves one.
	now := time.Now()
	p := store.PendingDelivery{Seq: 7, PIN: "079190000001", Attempts: 80, FirstAt: now, NextAt: now, LastError: "status 500"}
	if err := st.AdvanceDelivery(ctx, "webhook:s1", 7, []store.PendingDelivery{p}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishDelivery(ctx, "webhook:s1", 7, true, now); err != nil {
		t.Fatal(err)
	}
	status, body := call("GET", "/v1/admin/webhooks/s1/dead-letters", "")
	items, _ := body["items"].([]any)
	if status != http.StatusOK || len(items) != 1 {
		t.Fatalf("dead letters: %d %v", status, body)
	}
	raw, _ := json.Marshal(items[0])
	if strings.Contains(string(raw), p.PIN) {
		t.Errorf("the dead-letter view shows the PIN: %s", raw)
	}
	if status, _ := call("POST", "/v1/admin/webhooks/s1/dead-letters/7/redeliver", ""); status != http.StatusAccepted {
		t.Fatalf("redeliver: %d", status)
	}
	if ps, _ := st.PendingDeliveries(ctx, "webhook:s1", 0, 10); len(ps) != 1 || ps[0].Seq != 7 {
		t.Errorf("after redeliver, pending = %+v", ps)
	}
	if status, _ := call("GET", "/v1/feed?purpose=insurance", ""); status != http.StatusForbidden {
		t.Errorf("the administrator read the feed: %d", status)
	}
}

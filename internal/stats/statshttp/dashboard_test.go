package statshttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/stats"
	"github.com/dancu/dancu/internal/stats/duckstore"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/web"
)

func TestConsole_Dashboard(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, _, err := auth.Setup(ctx, st, "test-admin-token-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	an, err := duckstore.Open(ctx, "", duckstore.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer an.Close()
	var b stats.Batch
	for i := range 500 {
		born := time.Date(1940+i%80, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
		b.People = append(b.People, stats.Person{ID: int64(i + 1), Version: 1, Sex: []string{"male", "female"}[i%2],
			BirthYear: born.Year(), BirthMD: int(born.Month())*100 + born.Day(), Born: born, Province: []string{"01", "79"}[i%3%2],
			Commune: "00004", ChipSince: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	b.Events = []stats.Event{{ID: 1, Version: 1, Kind: stats.EventBirth, Day: time.Now().AddDate(0, -1, 0), Sex: "male", Province: "01"}}
	b.Cursor = 1
	if err := an.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	sides := stats.Sides{Agencies: []stats.Agency{{ID: "vss", Kind: "insurer", Active: true, Since: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	for i := range 40 {
		e := stats.EIDAccount{ID: int64(i + 1), Since: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		if i < 10 {
			e.Level2Since = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		}
		sides.EID = append(sides.EID, e)
	}
	if err := an.ReplaceSides(ctx, sides); err != nil {
		t.Fatal(err)
	}
	yesterday := time.Now().AddDate(0, 0, -1).UTC().Truncate(24 * time.Hour)
	if err := an.AddTraffic(ctx, []stats.Traffic{{Agency: "vss", Day: yesterday, Action: "read", N: 1234}}, 1234); err != nil {
		t.Fatal(err)
	}
	wh := web.New(web.Deps{Registry: registry.New(st), Auth: a, Staff: staff.New(st), Recorder: &audittest.Recorder{}})
	wh.AddSection(NewConsole(stats.NewService(an, 10, 0), wh, func() stats.FeedStatus { return stats.FeedStatus{Cursor: 1, Head: 3, Lag: 1500 * time.Millisecond} }).Section())
	mux := http.NewServeMux()
	wh.Mount(mux)

	req := httptest.NewRequest("GET", "/console/stats/", nil)
	req.AddCookie(&http.Cookie{Name: "dancu_console", Value: a.NewSession(auth.Admin, time.Hour)})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, body)
	}
	for _, want := range []string{"Population pyramid", `<svg xmlns="http://www.w3.org/2000/svg"`, "<polyline", "Hà Nội",
		"500", "1.5s", "/v1/stats/population",
		"40 (", "level 1 30, level 2 10", "<td>insurer</td><td>1</td><td>1234</td>", "1 agencies, 1234 uses"} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "http://", "https://"} {
		if i := strings.Index(strings.ReplaceAll(body, `xmlns="http://www.w3.org/2000/svg"`, ""), banned); i >= 0 {
			t.Errorf("the dashboard holds %q (at %d): it must draw without scripts or the internet", banned, i)
		}
	}
	// Signed out: sent to sign in.
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/console/stats/", nil))
	if rec.Code != http.StatusSeeOther {
		t.Errorf("signed out: status %d", rec.Code)
	}
}

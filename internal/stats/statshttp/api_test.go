package statshttp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2/humatest"

	"github.com/dancu/dancu/internal/stats"
	"github.com/dancu/dancu/internal/stats/duckstore"
)

// newTestAPI serves an analytics store with 2,000 people in two communes
// of Hà Nội and a handful in a third.
func newTestAPI(t *testing.T) humatest.TestAPI {
	t.Helper()
	ctx := context.Background()
	an, err := duckstore.Open(ctx, "", duckstore.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { an.Close() })
	var b stats.Batch
	for i := range 2000 {
		born := time.Date(1950+i%70, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
		commune := []string{"00004", "00008"}[i%2]
		if i < 5 {
			commune = "00025"
		}
		b.People = append(b.People, stats.Person{ID: int64(i + 1), Version: 1, Sex: []string{"male", "female"}[i/2%2],
			BirthYear: born.Year(), BirthMD: int(born.Month())*100 + born.Day(), Born: born, Province: "01", Commune: commune})
	}
	b.Cursor = 1
	if err := an.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	svc := stats.NewService(an, 10, 100)
	svc.SetClock(func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) })
	_, api := humatest.New(t)
	New(svc).Mount(api)
	return api
}

func TestHandler_Errors(t *testing.T) {
	api := newTestAPI(t)
	cases := []struct {
		name, url string
		status    int
		want      string
	}{
		{"unknown indicator", "/v1/public/stats/happiness", 422, "unknown indicator"},
		{"unknown dimension", "/v1/public/stats/population?by=religion", 400, "unknown dimension"},
		{"unknown filter value", "/v1/public/stats/population?sex=other", 422, "unknown value"},
		{"unknown province", "/v1/public/stats/population?province=99", 422, "unknown value"},
		{"unknown traffic action", "/v1/public/stats/agency_traffic?action=delete", 422, "unknown value"},
		{"future date", "/v1/public/stats/population?as_of=2027-01-01", 422, "future"},
		{"malformed date", "/v1/public/stats/population?as_of=01/01/2026", 400, "YYYY-MM-DD"},
		{"too few people", "/v1/public/stats/population?commune=00025", 422, "fewer than 100"},
		{"from on a non-series", "/v1/public/stats/population?from=2025-01-01", 400, "only time series"},
		{"admin route without admin", "/v1/stats/population", 403, "administrators"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := api.Get(tc.url)
			if resp.Code != tc.status || !strings.Contains(resp.Body.String(), tc.want) {
				t.Errorf("GET %s = %d %s, want %d with %q", tc.url, resp.Code, resp.Body.String(), tc.status, tc.want)
			}
		})
	}
}

func TestHandler_PublicIsProtected(t *testing.T) {
	api := newTestAPI(t)
	resp := api.Get("/v1/public/stats/population?by=commune,sex")
	if resp.Code != http.StatusOK {
		t.Fatalf("status %d: %s", resp.Code, resp.Body.String())
	}
	var tb Table
	if err := json.Unmarshal(resp.Body.Bytes(), &tb); err != nil {
		t.Fatal(err)
	}
	if !tb.Protected || tb.Threshold != 10 {
		t.Errorf("protected = %v, threshold %d", tb.Protected, tb.Threshold)
	}
	var nulls int
	for _, r := range tb.Rows {
		v := r["people"]
		if v == nil {
			nulls++
			continue
		}
		if n := v.(float64); n < 10 {
			t.Errorf("row %v publishes a count of %v", r, n)
		}
	}
	// Commune 00025 holds 5 people: suppressed, and so is another cell of
	// its line (another commune of the province for the same sex).
	if nulls < 4 {
		t.Errorf("%d suppressed cells, want at least 4 (a hypercube)", nulls)
	}
}

func TestHandler_CSV(t *testing.T) {
	api := newTestAPI(t)
	resp := api.Get("/v1/public/stats/chip_cards?by=sex&format=csv")
	if resp.Code != 200 || !strings.HasPrefix(resp.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("status %d, type %s", resp.Code, resp.Header().Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(resp.Body.String()), "\n")
	if lines[0] != "sex,people_14_plus,with_chip_card,chip_card_rate" || len(lines) != 3 {
		t.Errorf("CSV = %q", lines)
	}
	if !strings.HasPrefix(lines[1], "female,") || !strings.HasSuffix(lines[1], ",0,0.0000") {
		t.Errorf("female line = %q", lines[1])
	}
}

package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// BenchmarkHandler_tracker serves the first page of a person's data
// tracker (50 accesses, each inclusion proof made by the log and checked by
// the console against a checkpoint of the whole log, plus the durable
// access-log entry the view itself makes) on SQLite, with a log of 100,000
// entries about 1,000 people.
func BenchmarkHandler_tracker(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "dancu.db"))
	if err != nil {
		b.Fatal(err)
	}
	// The person index is kept up as in production (every second).
	e := newTrackerEnvOn(b, st, audit.Options{CheckpointEvery: -1})
	ctx := context.Background()
	const total, people = 100_000, 1_000
	pins := append([]string{e.inside}, make([]string, people-1)...)
	for i := 1; i < people; i++ {
		pins[i] = fmt.Sprintf("0790%08d", i)
	}
	for i := 0; i < total; i += 1000 {
		as := make([]audit.Access, 0, 1000)
		for j := i; j < i+1000; j++ {
			as = append(as, audit.Access{ActorKind: "client", Actor: "vss-core", Agency: "vss", Purpose: "social-insurance.enrolment",
				PIN: pins[j%people], Fields: []string{"full_name"}, Action: "read"})
		}
		if err := e.log.Record(ctx, as...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := e.log.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	time.Sleep(3 * time.Second) // the indexer catches up
	path := "/console/people/" + e.inside + "/accesses"
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(e.cookies["auditor"])
		rec := httptest.NewRecorder()
		e.mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

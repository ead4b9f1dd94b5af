package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGetCitizen measures GET /v1/citizens/{pin} through the whole
// handler (middleware, huma, registry, SQLite) without a network, with the
// access log encoded as in production.
func BenchmarkGetCitizen(b *testing.B) {
	f := newFixtureWith(b, options{logTo: io.Discard})
	path := "/v1/citizens/" + f.people["an"].PIN
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.Header.Set("Authorization", "Bearer "+testToken)
			w := httptest.NewRecorder()
			f.srv.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("status %d", w.Code)
				return
			}
		}
	})
}

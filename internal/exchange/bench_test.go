package exchange_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/exchange/exchangetest"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// benchPeople is the population the lookup benchmark loads: 20,000 by
// default so that it runs in seconds; DANCU_BENCH_PEOPLE=1000000 measures
// the target size.
func benchPeople() int {
	if n, err := strconv.Atoi(os.Getenv("DANCU_BENCH_PEOPLE")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// benchPIN is the i-th synthetic PIN: Hồ Chí Minh City, men born 1990.
func benchPIN(i int) string { return fmt.Sprintf("079090%06d", i) }

// loadPeople bulk-loads n people shaped like registry records.
func loadPeople(b *testing.B, st store.Store, n int) {
	b.Helper()
	ctx := context.Background()
	l, err := st.NewLoader(ctx)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 20_000
	at := time.Now().UTC()
	for start := 0; start < n; start += batch {
		var bt store.Batch
		for i := start; i < min(n, start+batch); i++ {
			p := *personAn
			p.PIN = benchPIN(i)
			p.FullName = fmt.Sprintf("Nguyễn Văn An %d", i%1000)
			row, err := registry.PersonRow(&p, 1)
			if err != nil {
				b.Fatal(err)
			}
			bt.Persons = append(bt.Persons, store.PersonVersion{PersonRow: row, Change: store.Change{
				EventID: "load-" + p.PIN, EventType: "initial_registration", Actor: "bench", Reason: "bench",
				ValidFrom: "2020-01-01", RecordedAt: at,
			}})
		}
		if err := l.Load(ctx, bt); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

type nopRecorder struct{}

func (nopRecorder) Record(context.Context, ...audit.Access) error { return nil }

// BenchmarkClientLookup is GET /v1/citizens/{pin} as an agency's client
// makes it, through the whole handler chain in process (no network):
// access-token verification with the client and agency read from the
// store, the grant loaded and evaluated, the person read and filtered, and
// the access recorded — with a no-op recorder, and with the real access
// log group-committing to the same SQLite file.
func BenchmarkClientLookup(b *testing.B) {
	n := benchPeople()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "dancu.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	loadPeople(b, st, n)
	b.Logf("loaded %d people in %v", n, time.Since(start).Round(time.Millisecond))

	for _, rc := range []string{"nop-recorder", "audit-log"} {
		b.Run(rc, func(b *testing.B) {
			ctx := context.Background()
			var rec audit.Recorder = nopRecorder{}
			if rc == "audit-log" {
				l, err := audit.Open(ctx, st, audit.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				rec = l
			}
			stack := exchangetest.New(b, st, rec, issuer, adminToken)
			e := &env{t: b, st: st, svc: stack.Exchange, rec: &audittest.Recorder{}, h: stack.API}
			e.ts = httptest.NewServer(stack.API)
			defer e.ts.Close()
			k := newKey(b, "k1")
			client := "bench-" + rc
			e.setup("vss", client, k, enrolmentGrant)
			tok := e.token(client, k)

			var i atomic.Int64
			var lat latencies
			// Many requests in flight, as on a server with many clients: the
			// access log commits them in groups.
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					pin := benchPIN(int(i.Add(7919)) % n)
					req := httptest.NewRequest("GET", "/v1/citizens/"+pin+"?purpose="+enrolment, nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					w := httptest.NewRecorder()
					t0 := time.Now()
					stack.API.ServeHTTP(w, req)
					lat.add(time.Since(t0))
					if w.Code != http.StatusOK {
						b.Fatalf("lookup: %d %s", w.Code, w.Body)
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64(lat.p99().Microseconds())/1000, "p99-ms")
		})
	}
}

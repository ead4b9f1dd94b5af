package match

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/cputime"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/exchange/exchangetest"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/sqlite"
	"github.com/dancu/dancu/internal/synth"
)

type nopRecorder struct{}

func (nopRecorder) Record(context.Context, ...audit.Access) error { return nil }

// benchStore opens the registry a benchmark runs against: the SQLite file
// named by DANCU_BENCH_DB (made with dancu generate; the benchmark adds its
// jobs to it), or a fresh one with 20,000 synthetic people.
func benchStore(b *testing.B) store.Store {
	b.Helper()
	ctx := context.Background()
	if path := os.Getenv("DANCU_BENCH_DB"); path != "" {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "d.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := synth.Generate(ctx, st, synth.Options{Citizens: 20000, Seed: 3}); err != nil {
		b.Fatal(err)
	}
	return st
}

// benchRows reads every person's verification row. With DANCU_BENCH_DB it
// reads them from the covering index of the file directly (a few hundred
// MB at 10,000,000 people) rather than every record's document, which at
// that size takes longer than the benchmark.
func benchRows(b *testing.B, st store.Store) []store.PersonRow {
	b.Helper()
	if path := os.Getenv("DANCU_BENCH_DB"); path != "" {
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT pin, name_fold, birth_date, sex FROM persons INDEXED BY persons_verify`)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		var out []store.PersonRow
		for rows.Next() {
			var r store.PersonRow
			if err := rows.Scan(&r.PIN, &r.NameFold, &r.BirthDate, &r.Sex); err != nil {
				b.Fatal(err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		return out
	}
	var out []store.PersonRow
	after := ""
	for {
		rows, err := st.SearchPersons(context.Background(), store.PersonQuery{AfterPIN: after, Limit: 20000})
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 {
			return out
		}
		for _, r := range rows {
			r.Data = nil
			out = append(out, r)
		}
		after = rows[len(rows)-1].PIN
	}
}

// writeList writes a subscriber list of n lines drawn at random from the
// registry: 90% as recorded, 5% with another name, 3% with a PIN no one
// holds, 2% with a malformed PIN.
func writeList(b *testing.B, rows []store.PersonRow, n int, path string) int64 {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("phone,pin,full_name,birth_date,sex\n")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		r := &rows[rng.IntN(len(rows))]
		pin, name := r.PIN, r.NameFold
		switch x := rng.IntN(100); {
		case x < 5:
			name = "nguyễn văn khác"
		case x < 8:
			pin = pin[:6] + "999999"
		case x < 10:
			pin = pin[:11]
		}
		date := r.BirthDate
		if date == "" {
			date = "1990"
		}
		fmt.Fprintf(w, "09%08d,%s,%s,%s,%s\n", i%100_000_000, pin, name, date, r.Sex)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	return st.Size()
}

// BenchmarkEngine_bulk is a bulk verification job of DANCU_BENCH_LINES
// lines (default 200,000) against the registry of benchStore: the file read
// and parsed, each batch's PINs looked up in one query, counts for
// OVER_LIMIT read and written, the result file written and synced, the
// checkpoint committed — with a no-op recorder and with the real access log
// (one entry per person looked up). Reported: lines/s.
func BenchmarkEngine_bulk(b *testing.B) {
	st := benchStore(b)
	rows := benchRows(b, st)
	lines := envInt("DANCU_BENCH_LINES", 200_000)
	dir := b.TempDir()
	in := filepath.Join(dir, "list.csv")
	size := writeList(b, rows, lines, in)
	b.Logf("registry of %d people; list of %d lines (%d MB)", len(rows), lines, size>>20)
	for _, rc := range []string{"nop-recorder", "audit-log"} {
		b.Run(rc, func(b *testing.B) {
			ctx := context.Background()
			var rec audit.Recorder = nopRecorder{}
			var log *audit.Log
			if rc == "audit-log" {
				l, err := audit.Open(ctx, st, audit.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				rec, log = l, l
			}
			e, err := NewEngine(st, rec, EngineOptions{Dir: filepath.Join(dir, rc)})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := 0; i < b.N; i++ {
				j, err := e.SubmitFile(ctx, JobMeta{Agency: "bench", Client: "bench", Purpose: "telecom.subscribers"}, in, filepath.Join(dir, fmt.Sprintf("%s-%d.out", rc, i)))
				if err != nil {
					b.Fatal(err)
				}
				if err := e.RunJob(ctx, j.ID); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if log != nil {
				// The CPU counts the work the job's entries caused, wherever it
				// ran: a last checkpoint, and the person index caught up (by
				// Close, and here if Close's time ran out).
				if _, err := log.Checkpoint(ctx); err != nil {
					b.Fatal(err)
				}
				log.Close()
				size, err := st.AccessLogSize(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := st.IndexAccesses(ctx, 1<<30); err != nil || n != size {
					b.Fatalf("person index reaches %d, %v; want %d", n, err, size)
				}
			}
			cpu := cputime.Process() - cpu0
			b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			perLine := float64(cpu.Nanoseconds()) / float64(lines*b.N)
			b.ReportMetric(perLine/1000, "cpu-µs/line")
			// What two otherwise idle cores would do at this CPU cost.
			b.ReportMetric(2e9/perLine, "lines/s@2cores")
		})
	}
}

// BenchmarkDemographic is POST /v1/verify/demographic as an agency's
// client makes it, through the whole handler chain in process (no
// network): token check, grant read, one batched row read, exact
// comparison of name, date of birth and sex, the access recorded — 16
// requests in flight. Reported: req/s and p99.
func BenchmarkDemographic(b *testing.B) {
	st := benchStore(b)
	rows := benchRows(b, st)
	for _, bc := range []struct{ rec, strategy string }{{"nop-recorder", "exact"}, {"nop-recorder", "partial"}, {"audit-log", "exact"}} {
		b.Run(bc.rec+"/"+bc.strategy, func(b *testing.B) {
			ctx := context.Background()
			var rec audit.Recorder = nopRecorder{}
			if bc.rec == "audit-log" {
				l, err := audit.Open(ctx, st, audit.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				rec = l
			}
			stack := exchangetest.New(b, st, rec, testIssuer, adminToken)
			srv, ex := stack.API, stack.Exchange
			svc, err := NewService(ctx, st, ex, rec, Options{Scorer: Comparators{}, PartialDailyLimit: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			NewHandler(svc, nil, ex, 0).Mount(srv)
			s := &server{t: b, st: st, ex: ex, svc: svc}
			s.ts = httptest.NewServer(srv)
			defer s.ts.Close()
			s.key = newServerKey(b)
			agency := fmt.Sprintf("bench%d", time.Now().UnixNano())
			tok := s.agency(agency, exchange.Grant{Purpose: kyc, DemographicCheck: true,
				MatchStrategies: []string{"exact", "partial"}, PartialDailyLimit: 1 << 30})
			bodies := make([]string, 4096)
			rng := rand.New(rand.NewPCG(5, 6))
			for i := range bodies {
				r := rows[rng.IntN(len(rows))]
				m := map[string]any{"pin": r.PIN, "full_name": r.NameFold, "sex": r.Sex, "strategy": bc.strategy}
				if r.BirthDate != "" {
					m["birth_date"] = r.BirthDate
				}
				body, _ := json.Marshal(m)
				bodies[i] = string(body)
			}
			var i atomic.Int64
			var lat latencies
			b.SetParallelism(8) // 16 in flight on 2 cores
			b.ResetTimer()
			cpu0 := cputime.Process()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					body := bodies[int(i.Add(1))%len(bodies)]
					req := httptest.NewRequest("POST", demographicPath+"?purpose="+kyc, strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+tok)
					req.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					t0 := time.Now()
					srv.ServeHTTP(w, req)
					lat.add(time.Since(t0))
					if w.Code != http.StatusOK {
						b.Fatalf("verify: %d %s", w.Code, w.Body)
					}
				}
			})
			b.StopTimer()
			perReq := float64((cputime.Process() - cpu0).Nanoseconds()) / float64(b.N)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(perReq/1000, "cpu-µs/req")
			b.ReportMetric(2e9/perReq, "req/s@2cores")
			b.ReportMetric(float64(lat.p99().Microseconds())/1000, "p99-ms")
		})
	}
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) p99() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	return l.d[len(l.d)*99/100]
}

// BenchmarkAccessLog_jobBatch is the access log's part of a bulk job: one
// Record of a batch's worth of entries (one per person, as answer makes
// them) into the real log on SQLite, with the signer and indexer running.
// Reported: CPU per entry.
func BenchmarkAccessLog_jobBatch(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "d.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	l, err := audit.Open(ctx, st, audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	const batch = 8192
	accessed := []string{"status", "full_name", "birth_date", "sex"}
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		as := make([]audit.Access, batch)
		for k := range as {
			as[k] = audit.Access{ActorKind: "client", Actor: "bench", Agency: "bench", Purpose: "telecom.subscribers",
				CaseRef: "vj_0123456789abcdef01234567", PIN: fmt.Sprintf("0010%08d", i*batch+k), Fields: accessed, Action: "verify"}
		}
		if err := l.Record(ctx, as...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// The CPU counts the work the entries caused, wherever it ran: a last
	// checkpoint over them all, and the person index caught up (by Close,
	// and here if Close's time ran out), so that a faster append that
	// leaves more indexing behind does not look cheaper.
	if cp, err := l.Checkpoint(ctx); err != nil || cp.Size != int64(b.N*batch) {
		b.Fatalf("final checkpoint = %d, %v; want %d", cp.Size, err, b.N*batch)
	}
	l.Close()
	if n, err := st.IndexAccesses(ctx, 1<<30); err != nil || n != int64(b.N*batch) {
		b.Fatalf("person index reaches %d, %v; want %d", n, err, b.N*batch)
	}
	per := float64((cputime.Process() - cpu0).Nanoseconds()) / float64(b.N*batch)
	b.ReportMetric(per/1000, "cpu-µs/entry")
}

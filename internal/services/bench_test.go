package services_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dancu/dancu/internal/audit/audittest"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/services"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/store/postgres"
	"github.com/dancu/dancu/internal/store/postgres/pgtest"
	"github.com/dancu/dancu/internal/store/sqlite"
)

// benchPeople registers n adults in Ba Đình and returns them as citizens.
func benchPeople(b *testing.B, reg *registry.Registry, n int) []services.Citizen {
	b.Helper()
	ctx := context.Background()
	out := make([]services.Citizen, n)
	for i := range n {
		raw, _ := json.Marshal(map[string]any{
			"full_name": "Nguyễn Văn An", "birth_date": "1990-05-01", "sex": "male", "ethnicity": "01",
			"registration_place": map[string]any{"province": "01"},
			"address":            map[string]any{"province": "01", "commune": "00004", "address": fmt.Sprintf("Số %d phố Đội Cấn", i+1)},
		})
		res, err := reg.Submit(ctx, registry.Submission{Event: registry.Event{ID: fmt.Sprintf("bench-%d", i), Type: "initial_registration",
			EffectiveDate: registry.MustParseDate("2021-07-01"), Reason: "bench", Data: raw}, Actor: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = services.Citizen{AccountID: fmt.Sprintf("acct-%d", i), PIN: res.PIN, Level: 2}
	}
	return out
}

// benchStore is a store with what opens it (a file path or a DSN).
type benchStore struct {
	store.Store
	target string
}

func benchStores(b *testing.B) map[string]benchStore {
	out := map[string]benchStore{}
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	out["sqlite"] = benchStore{s, path}
	if testing.Short() {
		return out
	}
	if dsn := pgEnv(b); dsn != "" {
		p, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
		out["postgres"] = benchStore{p, dsn}
	}
	return out
}

func pgEnv(b *testing.B) (dsn string) {
	defer func() {
		if recover() != nil {
			dsn = ""
		}
	}()
	return pgtest.NewDSN(b)
}

// BenchmarkSubmit files temporary residence registrations with a PDF
// attachment from 2,000 citizens in parallel: each one reads the citizen's
// record to prefill and check the form, checks the attachment's content,
// routes the dossier and writes it with its attachment and notification.
// Run with -cpu 2 on the 2-core server; the submissions/s metric is the
// figure BENCHMARKS.md reports.
func BenchmarkSubmit(b *testing.B) {
	people := map[string][]services.Citizen{}
	for name, st := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			reg := registry.New(st)
			if people[name] == nil {
				people[name] = benchPeople(b, reg, 2000)
			}
			people := people[name]
			svc := services.New(services.Deps{Store: st, Registry: reg, Recorder: &audittest.Recorder{},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			var next atomic.Int64
			in := temporary("")
			// A server has many requests in flight, not one per core.
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					c := people[int(i)%len(people)]
					in := in
					in.IdemKey = fmt.Sprintf("k%d", i)
					if _, _, err := svc.Submit(context.Background(), c, in); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submissions/s")
			// The process's CPU per submission (the benchmark's own and the
			// store's; PostgreSQL's server processes are not counted).
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// BenchmarkQueue opens an officer's queue (the first page of 50 by
// deadline, with the open, overdue and paused counts) of a commune with
// 100,000 open dossiers among 150,000.
func BenchmarkQueue(b *testing.B) {
	for name, st := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			fillQueue(b, st, name)
			reg := registry.New(st)
			svc := services.New(services.Deps{Store: st, Registry: reg, Recorder: &audittest.Recorder{},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			officer := &staff.Account{ID: "o", Roles: []staff.Role{staff.Registrar}, Scope: []staff.Unit{{Province: "01", Commune: "00004"}}}
			b.ResetTimer()
			for range b.N {
				q, err := svc.Queue(context.Background(), officer, services.QueueQuery{Unit: services.Unit{Province: "01", Commune: "00004"}, Limit: 50})
				if err != nil {
					b.Fatal(err)
				}
				if q.Counts.Open != 100_000 || len(q.Dossiers) != 50 {
					b.Fatalf("queue of %d with %d shown", q.Counts.Open, len(q.Dossiers))
				}
			}
		})
	}
}

// fillQueue writes 100,000 open dossiers of Ba Đình and 50,000 others (of
// another commune, or closed) in one statement, below the store's API: the
// benchmark measures reading the queue, not filing 150,000 dossiers.
func fillQueue(b *testing.B, st benchStore, backend string) {
	b.Helper()
	ctx := context.Background()
	d := &services.Dossier{Code: "X", Procedure: "temporary_residence_registration", Status: services.Submitted,
		ApplicantPIN: "001090000001", Fields: map[string]string{"full_name": "Nguyễn Văn An", "address": "Số 1 phố Đội Cấn"},
		History: []services.Step{{At: time.Now(), Status: services.Submitted, Actor: "citizen"}}}
	data, _ := json.Marshal(d)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	switch backend {
	case "sqlite":
		db, err := sql.Open("sqlite", "file:"+st.target+"?_pragma=busy_timeout(10000)")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 149999)
			INSERT OR IGNORE INTO dossiers SELECT printf('HS261101-%08d', i), 1, 'temporary_residence_registration', printf('0010900%05d', i % 100000), '',
			'01', CASE WHEN i < 120000 THEN '00004' ELSE '00008' END, 'submitted', '', ?1 + i * 1000000000, ?1 + (i % 5000) * 3600000000000,
			0, CASE WHEN i >= 100000 AND i < 120000 THEN ?1 + 86400000000000 ELSE 0 END, ?1, ?2 FROM n`, base.UnixNano(), data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	case "postgres":
		conn, err := pgx.Connect(ctx, st.target)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `INSERT INTO dossiers SELECT 'HS261101-' || lpad(i::text, 8, '0'), 1, 'temporary_residence_registration',
			'0010900' || lpad((i % 100000)::text, 5, '0'), '', '01', CASE WHEN i < 120000 THEN '00004' ELSE '00008' END, 'submitted', '',
			$1::timestamptz + i * interval '1 second', $1::timestamptz + (i % 5000) * interval '1 hour', false,
			CASE WHEN i >= 100000 AND i < 120000 THEN $1::timestamptz + interval '1 day' END, $1::timestamptz, $2
			FROM generate_series(0, 149999) i ON CONFLICT DO NOTHING`, base, data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE dossiers"); err != nil {
			b.Fatal(err)
		}
	}
}

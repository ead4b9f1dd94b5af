//go:build unix

package crash_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store/postgres/pgtest"
)

// processesLive reads the gauge dancu_processes_live from a process's
// /metrics: how many serve processes it counts on the database.
func processesLive(base string) string {
	res, err := httpClient.Get(base + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "dancu_processes_live "); ok {
			return v
		}
	}
	return fmt.Sprint("status ", res.StatusCode)
}

// flood sends requests without a token from this machine's one address,
// round robin over bases, from several clients flat out for d, and
// returns how many were let through (401: the token is checked after the
// limit) and how many refused (429). Every request counts against the
// address's limit.
func flood(t *testing.T, bases []string, d time.Duration) (allowed, refused int64) {
	t.Helper()
	var ok, no, other atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for c := range 12 {
		wg.Go(func() {
			for n := c; ctx.Err() == nil; n++ {
				req, _ := http.NewRequestWithContext(ctx, "GET", bases[n%len(bases)]+"/v1/citizens/000000000000", nil)
				res, err := httpClient.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						other.Add(1)
					}
					continue
				}
				res.Body.Close()
				switch res.StatusCode {
				case http.StatusUnauthorized:
					ok.Add(1)
				case http.StatusTooManyRequests:
					no.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if other.Load() > 0 {
		t.Errorf("%d answers were neither 401 nor 429", other.Load())
	}
	return ok.Load(), no.Load()
}

// TestCluster_SharedRateLimit runs three dancu processes on one PostgreSQL
// database with a limit of 30 requests a second (burst 30) per address,
// and floods them round robin from one address. The processes count one
// another through their heartbeats and each takes a third of the limit,
// so the address gets the configured rate in all, not three times it.
// When one process stops, the other two take its share up within seconds
// and the total stays the configured rate.
func TestCluster_SharedRateLimit(t *testing.T) {
	if os.Getenv(pgtest.EnvVar) == "" {
		t.Skip(pgtest.EnvVar + " is not set; the cluster test needs PostgreSQL")
	}
	t.Parallel()
	const rate, burst = 30, 30
	dsn := pgtest.NewDSN(t)
	keys := filepath.Join(t.TempDir(), "dancu.keys")
	env := []string{fmt.Sprint("DANCU_RATE_LIMIT_PER_ADDRESS=", rate), fmt.Sprint("DANCU_RATE_LIMIT_ADDRESS_BURST=", burst)}
	var procs []*proc
	var bases []string
	for range 3 {
		p, base := startServeEnv(t, env, "--db", dsn, "--data", t.TempDir(), "--key-file", keys)
		procs, bases = append(procs, p), append(bases, base)
	}
	waitCount := func(bases []string, want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var got []string
			for _, b := range bases {
				got = append(got, processesLive(b))
			}
			if strings.Count(strings.Join(got, " ")+" ", want+" ") == len(bases) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the processes count %v, want %s each", got, want)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	check := func(what string, bases []string, d time.Duration) {
		t.Helper()
		// Let every bucket fill up again after the polling above.
		time.Sleep(2 * time.Second)
		allowed, refused := flood(t, bases, d)
		// At most the burst and the rate for the whole time (and a little
		// for requests the servers saw just after the clients stopped
		// counting); at least most of the rate, so the limit is shared, not
		// starved.
		most := float64(burst) + rate*(d.Seconds()+0.5)
		least := 0.7 * rate * d.Seconds()
		t.Logf("%s: %d allowed, %d refused in %v (limit %d/s, burst %d: at most %.0f)", what, allowed, refused, d, rate, burst, most)
		if float64(allowed) > most {
			t.Errorf("%s: %d requests allowed in %v, more than the limit allows (%.0f)", what, allowed, d, most)
		}
		if float64(allowed) < least || refused == 0 {
			t.Errorf("%s: %d allowed and %d refused in %v; want about %d/s allowed and the rest refused", what, allowed, refused, d, rate)
		}
	}

	waitCount(bases, "3")
	check("three processes", bases, 5*time.Second)

	procs[2].stop() // leaves the group at once
	waitCount(bases[:2], "2")
	check("two processes", bases[:2], 5*time.Second)
}

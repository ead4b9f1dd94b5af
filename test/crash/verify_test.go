//go:build unix

package crash_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// TestVerify_KillMidJob kills dancu verify (SIGKILL) at random points of a
// bulk verification, runs the same command again each time (it resumes at
// its checkpoint), and compares the final result file with the one of an
// uninterrupted run: no line answered twice, none lost, the OVER_LIMIT
// counts carried across the kills.
func TestVerify_KillMidJob(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a bulk verification three times: not with -short")
	}
	t.Parallel()
	rng := newRand(t)
	dir := t.TempDir()
	env := environ("DANCU_VERIFY_BATCH_LINES=500")
	gen := startDancu(t, env, "generate", "--citizens", "3000", "--seed", "5", "--data", dir)
	if st := gen.wait(5 * time.Minute); !st.Success() {
		t.Fatalf("generate: %v\n%s", st, tail(gen.stderr.String(), 20))
	}
	list := subscriberList(t, dir, 60_000)

	ref := filepath.Join(t.TempDir(), "ref.csv")
	p := startDancu(t, env, "verify", "--input", list, "--output", ref, "--data", dir)
	if st := p.wait(5 * time.Minute); !st.Success() {
		t.Fatalf("uninterrupted verify: %v\n%s", st, tail(p.stderr.String(), 20))
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(want, []byte(",OVER_LIMIT,")) || !bytes.Contains(want, []byte(",MATCH,")) {
		t.Fatal("the reference result lacks MATCH or OVER_LIMIT lines")
	}

	out := filepath.Join(t.TempDir(), "out.csv")
	for kill := 1; kill <= 3; kill++ {
		// A point in the result file not yet reached, in the middle.
		at := int64(len(want)) * int64(kill*20+rng.IntN(15)) / 100
		p := startDancu(t, env, "verify", "--input", list, "--output", out, "--data", dir)
		for size(out) < at {
			if p.exited() {
				t.Fatalf("kill %d: dancu verify ended with %v before the kill point; stderr:\n%s", kill, p.state, tail(p.stderr.String(), 20))
			}
			time.Sleep(2 * time.Millisecond)
		}
		p.kill()
		t.Logf("kill %d at %d of %d result bytes", kill, size(out), len(want))
	}
	p = startDancu(t, env, "verify", "--input", list, "--output", out, "--data", dir)
	if st := p.wait(5 * time.Minute); !st.Success() {
		t.Fatalf("resumed verify: %v\n%s", st, tail(p.stderr.String(), 20))
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if !bytes.Equal(gl[i], wl[i]) {
				t.Fatalf("the resumed result differs at line %d: %q, uninterrupted %q", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("the resumed result has %d lines, the uninterrupted %d", len(gl), len(wl))
	}
	if !bytes.Contains([]byte(p.stderr.String()), []byte("Resuming after")) {
		t.Errorf("the last run did not resume:\n%s", tail(p.stderr.String(), 10))
	}
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// subscriberList writes n lines drawn from the people at dir, a few PINs
// on many lines.
func subscriberList(t *testing.T, dir string, n int) string {
	t.Helper()
	ctx := context.Background()
	st, err := openStore(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.SearchPersons(ctx, store.PersonQuery{Limit: 3000})
	if err != nil || len(rows) == 0 {
		t.Fatalf("people: %d, %v", len(rows), err)
	}
	path := filepath.Join(t.TempDir(), "list.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	w.WriteString("phone,pin,full_name,birth_date,sex\n")
	for i := range n {
		r := rows[(i*7919)%len(rows)]
		if i%97 == 0 {
			r = rows[0]
		}
		d := r.BirthDate
		if d == "" {
			d = "1990"
		}
		fmt.Fprintf(w, "09%08d,%s,%s,%s,%s\n", i, r.PIN, r.NameFold, d, r.Sex)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

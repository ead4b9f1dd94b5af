package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

func noEnv(string) (string, bool) { return "", false }

func TestGenerate_ThenReadBack(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"--citizens", "250", "--seed", "7", "--data", dir, "--workers", "2"}
	if err := generate(context.Background(), args, &stdout, &stderr, noEnv); err != nil {
		t.Fatalf("generate: %v\n%s", err, &stderr)
	}
	out := stdout.String()
	for _, want := range []string{"Generating 250 people into SQLite " + filepath.Join(dir, "dancu.db"), "Generated 250 people in ", " households (", "people/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// Not a terminal: plain progress lines, never a carriage return.
	if strings.Contains(out, "\r") || !strings.Contains(out, "250/250 people (100%)") {
		t.Errorf("progress output:\n%q", out)
	}

	ctx := context.Background()
	st, err := openData(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := registry.New(st)
	if n, err := reg.Count(ctx); err != nil || n != 250 {
		t.Fatalf("Count = %d, %v; want 250", n, err)
	}
	events, err := reg.Events(ctx, store.EventQuery{Limit: 1})
	if err != nil || len(events) == 0 || len(events[0].Subjects) == 0 {
		t.Fatalf("Events = %v, %v", events, err)
	}
	rec, err := reg.Person(ctx, events[0].Subjects[0], registry.Date{})
	if err != nil {
		t.Fatalf("Person: %v", err)
	}
	if rec.Person.FullName == "" || rec.Person.PIN != events[0].Subjects[0] {
		t.Errorf("read back %+v", rec.Person)
	}
	st.Close()

	// A second run refuses the populated store and says why.
	err = generate(ctx, args, &stdout, &stderr, noEnv)
	if err == nil || !strings.Contains(err.Error(), "already holds 250 people") {
		t.Errorf("second generate = %v", err)
	}
}

func TestGenerate_DBFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.db")
	var stdout bytes.Buffer
	if err := generate(context.Background(), []string{"--citizens", "20", "--db", "sqlite:" + path}, &stdout, &stdout, noEnv); err != nil {
		t.Fatalf("generate: %v", err)
	}
	if !strings.Contains(stdout.String(), "Generated 20 people") {
		t.Errorf("stdout:\n%s", &stdout)
	}
}

func TestProgress(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tick := func(d time.Duration) { clock = clock.Add(d) }
	tests := []struct {
		name string
		tty  bool
		want string
	}{
		{"terminal", true, "\r[------------------------]   0%  0/1,000 people  0 people/s  ETA ?\x1b[K" +
			"\r[######------------------]  25%  250/1,000 people  250 people/s  ETA 3s\x1b[K" +
			"\r[############------------]  50%  500/1,000 people  83 people/s  ETA 6s\x1b[K" +
			"\r[########################] 100%  1,000/1,000 people  142 people/s  ETA 0s\x1b[K\n"},
		{"plain", false, "500/1,000 people (50%), 83 people/s, ETA 6s\n" +
			"1,000/1,000 people (100%), 142 people/s, ETA 0s\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var out bytes.Buffer
			p := newProgress(&out, tc.tty)
			p.now = func() time.Time { return clock }
			p.start, p.last = clock, clock
			p.update(0, 1000)
			tick(time.Second)
			p.update(250, 1000)
			tick(5 * time.Second)
			p.update(500, 1000)
			tick(time.Second)
			p.update(1000, 1000)
			p.finish()
			if got := out.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {100000, "100,000"}, {1234567, "1,234,567"}, {-45000, "-45,000"},
	}
	for _, tc := range tests {
		if got := thousands(tc.n); got != tc.want {
			t.Errorf("thousands(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

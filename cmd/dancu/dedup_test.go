package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/match/testbed"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/synth"
)

func TestDedup_RegistryIntoQueue(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := openData(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := synth.Generate(ctx, st, synth.Options{Citizens: 10000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	// Register 1% of them a second time.
	people, err := testbed.People(ctx, 10000, 3)
	if err != nil {
		t.Fatal(err)
	}
	dups, truth := testbed.Duplicates(people, 0.01, 3)
	l, err := st.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	for _, d := range dups {
		row, err := registry.PersonRow(d, 1)
		if err != nil {
			t.Fatal(err)
		}
		b.Persons = append(b.Persons, store.PersonVersion{PersonRow: row, Change: store.Change{
			EventID: "dup-" + d.PIN, EventType: "initial_registration", Actor: "test", Reason: "test", ValidFrom: "2022-01-01", RecordedAt: time.Now()}})
	}
	if err := l.Load(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var stdout, stderr bytes.Buffer
	if err := dedup(ctx, []string{"--data", dir, "--dry-run"}, &stdout, &stderr, noEnv); err != nil {
		t.Fatalf("dry run: %v\n%s", err, &stderr)
	}
	if !strings.Contains(stdout.String(), "dry run: nothing written") {
		t.Errorf("dry run output:\n%s", &stdout)
	}
	stdout.Reset()
	if err := dedup(ctx, []string{"--data", dir}, &stdout, &stderr, noEnv); err != nil {
		t.Fatalf("dedup: %v\n%s", err, &stderr)
	}
	out := stdout.String()
	if !strings.Contains(out, "Read 10,") || !strings.Contains(out, "new in the review queue") {
		t.Errorf("output:\n%s", out)
	}

	st, err = openData(ctx, filepath.Join(dir, "dancu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	found := 0
	for _, p := range truth {
		a, b := p.Original, p.Duplicate
		if b < a {
			a, b = b, a
		}
		if _, err := st.DuplicateCandidate(ctx, a, b); err == nil {
			found++
		} else if !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if found < len(truth)*9/10 {
		t.Errorf("%d of %d true pairs in the queue", found, len(truth))
	}
	if _, err := st.Setting(ctx, "linkage.model"); err != nil {
		t.Errorf("model not saved: %v", err)
	}
}

func TestDedup_Evaluate(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := dedup(context.Background(), []string{"--evaluate", "--citizens", "3000", "--rate", "0.02"}, &stdout, &stderr, noEnv); err != nil {
		t.Fatalf("evaluate: %v\n%s", err, &stderr)
	}
	for _, want := range []string{"3,000 synthetic people", "Precision ", "Recall ", "F1 ", "Time: link", "rule year_name"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &stdout)
		}
	}
}

func TestDedup_BadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--min-probability", "1.5"},
		{"--evaluate", "--citizens", "1"},
		{"--evaluate", "--rate", "0"},
		{"--workers", "-1"},
		{"--data", "x", "--db", "sqlite:y"},
	} {
		var stdout, stderr bytes.Buffer
		err := dedup(context.Background(), args, &stdout, &stderr, noEnv)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("dedup %v: err = %v, want a usage error", args, err)
		}
	}
}

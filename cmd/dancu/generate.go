package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/synth"
)

// runGenerate fills an empty store with a synthetic population.
func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return generate(ctx, args, stdout, stderr, os.LookupEnv)
}

func generate(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) (err error) {
	fs := newFlagSet("generate", "dancu generate --citizens N [--seed S] [--data DIR | --db DSN] [--workers W]", stderr)
	citizens := fs.Int("citizens", 0, "generate `N` people (required)")
	seed := fs.Uint64("seed", 1, "`S` selects the population: the same seed and N give the same people")
	workers := fs.Int("workers", 0, "`W` goroutines generating (default: the number of CPUs)")
	fl := config.Bind(fs, "data", "db", "log-level", "log-format")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *citizens < 1 {
		return usageError{msg: "--citizens N is required and must be at least 1"}
	}
	if *workers < 0 {
		return usageError{msg: "--workers must not be negative"}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if given["data"] && given["db"] {
		return usageError{msg: "give --data or --db, not both"}
	}
	return withStore(ctx, fl, lookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		// generate never resumes: a store that already holds people (perhaps from
		// an interrupted run) is refused with what to do about it.
		if n, err := st.CountPersons(ctx); err != nil {
			return fmt.Errorf("count people: %w", err)
		} else if n > 0 {
			return fmt.Errorf("%s already holds %s people: generate only into an empty registry (an interrupted run cannot be resumed); "+
				"give another --data or --db, or move the database away, and run again", desc, thousands(int(n)))
		}
		fmt.Fprintf(stdout, "Generating %s people into %s\n", thousands(*citizens), desc)
		stats, err := generatePopulation(ctx, st, synth.Options{Citizens: *citizens, Seed: *seed, Workers: *workers}, stdout)
		if err != nil {
			return err
		}
		printStats(stdout, stats)
		return nil
	})
}

// generatePopulation runs the generator with a progress display on w.
func generatePopulation(ctx context.Context, st store.Registry, o synth.Options, w io.Writer) (synth.Stats, error) {
	p := newProgress(w, isTerminal(w))
	o.Progress = p.update
	stats, err := synth.Generate(ctx, st, o)
	p.finish()
	if err != nil {
		return stats, fmt.Errorf("generate: %w", err)
	}
	return stats, nil
}

func printStats(w io.Writer, s synth.Stats) {
	rate := 0
	if s.Elapsed > 0 {
		rate = int(float64(s.People) / s.Elapsed.Seconds())
	}
	fmt.Fprintf(w, "Generated %s people in %s households (%s events) in %s: %s people/s\n",
		thousands(s.People), thousands(s.Households), thousands(s.Events),
		s.Elapsed.Round(10*time.Millisecond), thousands(rate))
}

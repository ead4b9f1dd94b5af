package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/match/linkage"
	"github.com/dancu/dancu/internal/match/linkage/evaluate"
	"github.com/dancu/dancu/internal/match/linkage/review"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/web"
)

// runDedup runs duplicate detection: over the registry, writing candidate
// pairs to the review queue, or (--evaluate) over a synthetic test bed
// with injected duplicates, printing precision, recall, F1 and times.
func runDedup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dedup(ctx, args, stdout, stderr, os.LookupEnv)
}

func dedup(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs := newFlagSet("dedup", "dancu dedup [--data DIR | --db DSN] [--min-probability P] [--dry-run]\n"+
		"       dancu dedup --evaluate [--citizens N] [--rate R] [--seed S] [--estimate-m [--model-out FILE]]", stderr)
	eval := fs.Bool("evaluate", false, "measure on a synthetic test bed instead of the registry")
	citizens := fs.Int("citizens", 1000000, "with --evaluate: `N` synthetic people")
	rate := fs.Float64("rate", 0.01, "with --evaluate: share `R` of people registered twice")
	seed := fs.Uint64("seed", 1, "with --evaluate: `S` selects the population and its duplicates")
	workers := fs.Int("workers", 0, "`W` goroutines comparing pairs (default: the number of CPUs)")
	estimateM := fs.Bool("estimate-m", false, "with --evaluate: estimate m on the test bed instead of using the reference model's")
	modelOut := fs.String("model-out", "", "with --evaluate: write the estimated model to `FILE` (JSON)")
	dryRun := fs.Bool("dry-run", false, "find pairs but write nothing to the review queue")
	dedupFlags := config.Bind(fs, "data", "db", "log-level", "log-format")
	minProb := fs.Float64("min-probability", 0.5, "report pairs whose posterior probability of being one person is at least `P`")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *minProb <= 0 || *minProb >= 1 {
		return usageError{msg: "--min-probability must be between 0 and 1"}
	}
	if *workers < 0 {
		return usageError{msg: "--workers must not be negative"}
	}
	lo := linkage.Options{Workers: *workers, MinProbability: *minProb, Seed: *seed}
	if *eval {
		if *citizens < 2 {
			return usageError{msg: "--citizens must be at least 2"}
		}
		if *rate <= 0 || *rate > 1 {
			return usageError{msg: "--rate must be in (0, 1]"}
		}
		return dedupEvaluate(ctx, evaluate.Options{People: *citizens, Rate: *rate, Seed: *seed, Linkage: lo, EstimateM: *estimateM}, *modelOut, stdout)
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if given["data"] && given["db"] {
		return usageError{msg: "give --data or --db, not both"}
	}
	return withStore(ctx, dedupFlags, lookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		return dedupRegistry(ctx, st, desc, lo, *dryRun, stdout)
	})
}

// dedupRegistry runs the batch over the registry in st and writes the pairs
// found to the review queue.
func dedupRegistry(ctx context.Context, st store.Store, desc string, o linkage.Options, dryRun bool, w io.Writer) error {
	fmt.Fprintf(w, "Finding duplicate people in %s\n", desc)
	p := newProgress(w, isTerminal(w))
	o.Progress = stageProgress(w)
	svc := linkage.NewService(st)
	rep, err := svc.Batch(ctx, o, dryRun, func(done, total int64) { p.update(int(done), int(total)) })
	p.finish()
	if err != nil {
		return fmt.Errorf("dedup: %w", err)
	}
	fmt.Fprintf(w, "Read %s records in %s; compared %s pairs; found %s candidate pairs",
		thousands(rep.Records), rep.Read.Round(10*time.Millisecond), thousands(int(rep.Stats.Compared)), thousands(rep.Pairs))
	if dryRun {
		fmt.Fprintf(w, " (dry run: nothing written)\n")
	} else {
		fmt.Fprintf(w, ", %s new in the review queue\n", thousands(rep.Inserted))
	}
	if rep.Known > 0 || rep.KnownSkipped > 0 {
		fmt.Fprintf(w, "m estimated from %s pairs registrars merged (%d unreadable, skipped) and the reference model\n",
			thousands(rep.Known), rep.KnownSkipped)
	} else {
		fmt.Fprintf(w, "m from the reference model (no pair merged in the review queue yet)\n")
	}
	printLinkStats(w, rep.Stats)
	return nil
}

// addDuplicateReview adds the review queue's pages to the console (before
// it is mounted).
func addDuplicateReview(console *web.Handler, st store.Store, reg *registry.Registry, rec audit.Recorder, logger *slog.Logger) {
	console.AddSection(review.New(review.Deps{Queue: st, Registry: reg, Recorder: rec, Console: console, Logger: logger}).Section())
}

// dedupEvaluate measures duplicate detection on the test bed.
func dedupEvaluate(ctx context.Context, o evaluate.Options, modelOut string, w io.Writer) error {
	fmt.Fprintf(w, "Evaluating duplicate detection: %s synthetic people, %.2f%% duplicated, seed %d, %d CPUs\n",
		thousands(o.People), o.Rate*100, o.Seed, runtime.GOMAXPROCS(0))
	p := newProgress(w, isTerminal(w))
	o.Generated = p.update
	o.Linkage.Progress = stageProgress(w)
	rep, err := evaluate.Run(ctx, o)
	if err != nil {
		return fmt.Errorf("dedup: %w", err)
	}
	q := rep.Quality
	fmt.Fprintf(w, "Records: %s (%s duplicates injected)\n", thousands(rep.People+rep.Duplicates), thousands(rep.Duplicates))
	fmt.Fprintf(w, "Pairs compared: %s (%d comparison patterns), EM rounds: %d, lambda %.5f\n",
		thousands(int(rep.Stats.Compared)), rep.Stats.Patterns, rep.Stats.EMRounds, rep.Model.Lambda)
	fmt.Fprintf(w, "Found %s pairs: TP %s, FP %s, FN %s\n", thousands(q.Found), thousands(q.TP), thousands(q.FP), thousands(q.FN))
	fmt.Fprintf(w, "Precision %.4f  Recall %.4f  F1 %.4f\n", q.Precision, q.Recall, q.F1)
	fmt.Fprintf(w, "Time: link %s wall, %s CPU (prepare records %s; generating the population, not counted, %s)\n",
		rep.Link.Round(10*time.Millisecond), rep.LinkCPU.Round(10*time.Millisecond), rep.Prepare.Round(10*time.Millisecond), rep.Generate.Round(10*time.Millisecond))
	printLinkStats(w, rep.Stats)
	if modelOut != "" {
		b, err := json.MarshalIndent(rep.Model, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(modelOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("dedup: write the model: %w", err)
		}
	}
	return nil
}

func printLinkStats(w io.Writer, st linkage.Stats) {
	stages := []string{"keys", "compare", "estimate", "score"}
	for _, s := range stages {
		fmt.Fprintf(w, "  %-9s %s\n", s, st.Elapsed[s].Round(time.Millisecond))
	}
	var rules []string
	for r := range st.Pairs {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		fmt.Fprintf(w, "  rule %-36s blocks %10s  windowed %6s  pairs %12s\n", r,
			thousands(int(st.Blocks[r])), thousands(int(st.Oversized[r])), thousands(int(st.Pairs[r])))
	}
}

// stageProgress returns a linkage progress callback that prints a line
// when a stage ends.
func stageProgress(w io.Writer) func(stage string, done, total int64) {
	last := ""
	return func(stage string, done, total int64) {
		if done >= total && stage != last {
			last = stage
			fmt.Fprintf(w, "  stage %s done\n", stage)
		}
	}
}

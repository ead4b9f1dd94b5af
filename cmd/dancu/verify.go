package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/match"
	"github.com/dancu/dancu/internal/store"
)

// startVerify mounts demographic verification and bulk jobs on srv and
// returns the job engine (for the console's section). The jobs run under
// the lease "verify.jobs", in one of the processes sharing the store (the
// jobs folder, verify.dir, must then be shared by them too).
func startVerify(ctx context.Context, cfg config.Config, st store.Store, exch *exchange.Service, rec audit.Recorder,
	srv *api.Server, single *singleWriters, logger *slog.Logger) (jobs *match.Engine, err error) {
	svc, err := match.NewService(ctx, st, exch, rec, match.Options{
		PartialDailyLimit: cfg.Verify.PartialDailyLimit, Scorer: partialScorer(), Logger: logger})
	if err != nil {
		return nil, err
	}
	jobs, err = match.NewEngine(st, rec, match.EngineOptions{Dir: cfg.VerifyDir(), BatchLines: cfg.Verify.BatchLines,
		SubscriptionLimit: cfg.Verify.SubscriptionLimit, Logger: logger})
	if err != nil {
		return nil, err
	}
	match.NewHandler(svc, jobs, exch, cfg.Verify.MaxUploadBytes).Mount(srv)
	single.Go("verify.jobs", func(ctx context.Context) { _ = jobs.Run(ctx) })
	return jobs, nil
}

// partialScorer is the similarity of the partial strategy: package
// compare's comparators.
func partialScorer() match.Scorer { return match.Comparators{} }

const verifyUsage = `dancu verify --input FILE --output FILE [--format csv|ndjson] [--limit N] [--data DIR | --db DSN]
dancu verify --cancel JOB [--data DIR | --db DSN]

Verifies a subscriber list (CSV with a header naming phone, pin, full_name,
birth_date, sex and optionally address, document_number; or NDJSON with those
keys) against the registry, as the bulk verification API does, and writes one
result line per input line to --output (CSV: line,phone,result,fields,reason)
and a summary to standard output. Every person looked up is recorded in the
access log as verified by the operator. Interrupted, the same command resumes
where it stopped.

With --cancel, it cancels a queued or running job (an agency's, or another
command's): the process running it stops at its next checkpoint, the lines
answered so far stay in the result, and the input and counts are deleted.`

// runVerify runs a bulk verification from the command line.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", verifyUsage, stderr)
	input := fs.String("input", "", "the subscriber list `FILE`")
	output := fs.String("output", "", "the result `FILE`")
	format := fs.String("format", "", "the list's `format`: csv or ndjson (default: from the content)")
	limit := fs.Int("limit", 0, "lines per PIN before OVER_LIMIT (`N`; default: verify.subscription_limit)")
	cancel := fs.String("cancel", "", "cancel the job `JOB` instead")
	fl := config.Bind(fs, "data", "db", "log-level", "log-format")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *cancel != "" {
		if *input != "" || *output != "" {
			return usageError{msg: "--cancel takes no --input or --output"}
		}
		return withStore(ctx, fl, os.LookupEnv, func(cfg config.Config, st store.Store, _ string) error {
			eng, err := match.NewEngine(st, nil, match.EngineOptions{Dir: cfg.VerifyDir(), Logger: newLogger(cfg, stderr)})
			if err != nil {
				return err
			}
			j, err := eng.Cancel(ctx, "", *cancel)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("no job %s", *cancel)
			case errors.Is(err, match.ErrJobFinished):
				return fmt.Errorf("the job %s is %s; only a queued or running job can be cancelled", j.ID, j.State)
			case err != nil:
				return err
			}
			fmt.Fprintf(stdout, "Cancelled %s after %s lines.\n", j.ID, thousands(int(answered(j))))
			return nil
		})
	}
	if *input == "" || *output == "" {
		return usageError{msg: "verify needs --input and --output"}
	}
	var f match.Format
	if *format != "" {
		var ok bool
		if f, ok = match.ParseFormat(*format); !ok {
			return usageError{msg: "--format must be csv or ndjson"}
		}
	}
	return withStore(ctx, fl, os.LookupEnv, func(cfg config.Config, st store.Store, _ string) error {
		logger := newLogger(cfg, stderr)
		log, err := audit.Open(ctx, st, audit.Options{Logger: logger})
		if err != nil {
			return err
		}
		defer log.Close()
		if *limit > 0 {
			cfg.Verify.SubscriptionLimit = *limit
		}
		eng, err := match.NewEngine(st, log, match.EngineOptions{Dir: cfg.VerifyDir(), BatchLines: cfg.Verify.BatchLines,
			SubscriptionLimit: cfg.Verify.SubscriptionLimit, Logger: logger})
		if err != nil {
			return err
		}
		id, err := cliJobID(*input, *output)
		if err != nil {
			return err
		}
		j, err := st.VerifyJob(ctx, id)
		switch {
		case err == nil && (j.State == match.StateQueued || j.State == match.StateRunning):
			fmt.Fprintf(stderr, "Resuming after %s lines.\n", thousands(int(answered(j))))
		case err == nil || errors.Is(err, store.ErrNotFound):
			if err == nil { // done before: run again, under a new id
				id = match.NewJobID()
			}
			j, err = eng.SubmitFile(ctx, match.JobMeta{ID: id, Agency: match.CLIAgency, Client: cliActor(), Purpose: "cli.verify", Format: f},
				*input, *output)
			if errors.Is(err, match.ErrNotJobFile) {
				return errors.New(strings.TrimPrefix(err.Error(), "match: "))
			}
			if err != nil {
				return err
			}
		default:
			return err
		}
		bar := newVerifyProgress(stderr, isTerminal(stderr), j)
		eng.OnProgress(j.ID, bar.update)
		runErr := eng.RunJob(ctx, j.ID)
		bar.finish()
		if runErr != nil {
			if ctx.Err() != nil {
				fmt.Fprintln(stderr, "Interrupted; run the same command again to resume.")
			}
			return runErr
		}
		done, err := st.VerifyJob(ctx, j.ID)
		if err != nil {
			return err
		}
		if done.State != match.StateDone {
			return fmt.Errorf("the job %s: %s", done.State, done.Error)
		}
		v := match.ViewOf(done)
		out, _ := json.MarshalIndent(v.Summary, "", "  ")
		fmt.Fprintln(stdout, string(out))
		return nil
	})
}

// cliJobID names the command-line job of an input and output file, so that
// the same command run again finds the job it resumes.
func cliJobID(input, output string) (string, error) {
	in, err := filepath.Abs(input)
	if err != nil {
		return "", err
	}
	out, err := filepath.Abs(output)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(in)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d\x00%d", in, out, st.Size(), st.ModTime().UnixNano()))
	return "cli_" + hex.EncodeToString(h[:12]), nil
}

// verifyProgress draws the progress of a command-line job: the share of
// the input read, lines answered and the rate.
type verifyProgress struct {
	mu    sync.Mutex
	p     *progress
	total int64
	lines int64
}

func newVerifyProgress(w io.Writer, tty bool, j store.VerifyJob) *verifyProgress {
	return &verifyProgress{p: newProgress(w, tty), total: j.InputBytes, lines: answered(j)}
}

// answered is how many subscriber lines a job has answered (a CSV header
// is an input line but no subscriber).
func answered(j store.VerifyJob) int64 {
	if j.Format == string(match.CSV) && j.Lines > 0 {
		return j.Lines - 1
	}
	return j.Lines
}

func (v *verifyProgress) update(j store.VerifyJob) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p := v.p
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	elapsed := now.Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(answered(j)-v.lines) / elapsed.Seconds()
	}
	pct := 0
	if v.total > 0 {
		pct = int(min(100, j.Offset*100/v.total))
	}
	eta := "?"
	if j.Offset >= v.total {
		eta = "0s"
	} else if j.Offset > 0 && elapsed > 0 {
		bps := float64(j.Offset) / elapsed.Seconds()
		eta = time.Duration(float64(v.total-j.Offset) / bps * float64(time.Second)).Round(time.Second).String()
	}
	if p.tty {
		filled := pct * barWidth / 100
		fmt.Fprintf(p.w, "\r[%s%s] %3d%%  %s lines  %s lines/s  ETA %s\x1b[K",
			strings.Repeat("#", filled), strings.Repeat("-", barWidth-filled), pct,
			thousands(int(answered(j))), thousands(int(rate)), eta)
		p.drawn = true
		return
	}
	if j.State == match.StateRunning && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "%s lines (%d%%), %s lines/s, ETA %s\n", thousands(int(answered(j))), pct, thousands(int(rate)), eta)
}

func (v *verifyProgress) finish() { v.p.finish() }

// cliActor names the operator at the command line in the access log.
func cliActor() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

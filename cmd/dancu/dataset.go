package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/dataset"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
)

const datasetUsage = `dancu dataset <add|list|upload> [flags]

  add     --name N --kind K --agency A   register a linked dataset and its owning agency
  list                                   list datasets with their coverage of the living population
  upload  --name N --file F.ndjson [--agency A]
          stream an NDJSON file of records into the dataset, as its owning
          agency (--agency, if given, must be the owner); prints a summary

KIND is one of social-insurance, vehicle-registration, passport,
health-insurance, vaccination, health-visit, telecom-subscription. Every subcommand takes --data DIR or --db DSN.`

// runDataset manages linked datasets from the command line, through the
// same code paths as the API.
func runDataset(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: "+datasetUsage)
		return usageError{}
	}
	sub := args[0]
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help" || sub == "help":
		fmt.Fprintln(stdout, "Usage: "+datasetUsage)
		return flag.ErrHelp
	case !slices.Contains([]string{"add", "list", "upload"}, sub):
		return usageError{msg: fmt.Sprintf("unknown dataset subcommand %q", sub)}
	}
	fs := newFlagSet("dataset "+sub, datasetUsage, stderr)
	name := fs.String("name", "", "the dataset's `name`")
	kind := fs.String("kind", "", "the dataset's `kind`")
	agency := fs.String("agency", "", "the owning `agency`")
	file := fs.String("file", "", "NDJSON `file` to upload, or - for standard input")
	fl := config.Bind(fs, "data", "db", "log-level", "log-format")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	return withStore(ctx, fl, os.LookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		ex, err := exchange.New(ctx, st, nil, nil, nil, exchange.Config{Issuer: exchangeIssuer(os.LookupEnv, cfg.Addr)})
		if err != nil {
			return err
		}
		svc := dataset.New(st, ex, nil, nil)
		switch sub {
		case "add":
			d, err := svc.Register(ctx, dataset.Dataset{Name: *name, Kind: *kind, Agency: *agency})
			switch {
			case errors.Is(err, dataset.ErrInvalid):
				return usageError{msg: strings.ReplaceAll(err.Error(), "\n", "; ")}
			case errors.Is(err, store.ErrExists):
				return errors.New("the name is taken")
			case err != nil:
				return err
			}
			fmt.Fprintf(stdout, "registered dataset %s (%s), owned by %s\n", d.Name, d.Kind, d.Agency)
			return nil
		case "list":
			items, living, err := svc.Datasets(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tAGENCY\tRECORDS\tLINKED LIVING\tSHARE")
			for _, c := range items {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1f%%\n", c.Name, c.Kind, c.Agency,
					thousands(int(c.Records)), thousands(int(c.LinkedLiving)), 100*c.LivingShare)
			}
			tw.Flush()
			fmt.Fprintf(stdout, "living population: %s\n", thousands(int(living)))
			return nil
		}
		// upload
		if *name == "" || *file == "" {
			return usageError{msg: "upload needs --name and --file"}
		}
		d, err := svc.Dataset(ctx, *name)
		if errors.Is(err, store.ErrNotFound) {
			return errors.New("no such dataset")
		} else if err != nil {
			return err
		}
		if *agency != "" && !dataset.CanWrite(d, *agency) {
			return errors.New("only the agency that owns the dataset may write it")
		}
		// Every write is recorded in the access log like an upload through
		// the API, attributed to the operator acting for the owning agency.
		// A running server may be appending too: the log retries on top of
		// its entries, and the server signs the checkpoints.
		accessLog, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
		if err != nil {
			return err
		}
		defer accessLog.Close()
		svc = dataset.New(st, ex, accessLog, nil)
		ctx := auth.WithPrincipal(ctx, operator(d.Agency))
		in := io.Reader(os.Stdin)
		if *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				return err
			}
			defer f.Close()
			in = f
		}
		start := time.Now()
		last := start
		sum, err := svc.Upload(ctx, d, d.Agency, in, func(lines int) {
			if now := time.Now(); now.Sub(last) >= 2*time.Second {
				last = now
				fmt.Fprintf(stderr, "%s lines, %.0f lines/s\n", thousands(lines), float64(lines)/now.Sub(start).Seconds())
			}
		})
		out, _ := json.MarshalIndent(sum, "", "  ")
		fmt.Fprintln(stdout, string(out))
		fmt.Fprintf(stderr, "%s lines in %s\n", thousands(sum.Lines), time.Since(start).Round(time.Millisecond))
		return err
	})
}

// operator is the principal of a person running a dancu command on the
// server, acting for agency: the access log names them by their system
// account, as the only identity the command line has.
func operator(agency string) auth.Principal {
	name := os.Getenv("USER")
	if name == "" {
		name = "unknown"
	}
	return auth.Principal{ID: "cli:" + name, Kind: "operator", Agency: agency}
}

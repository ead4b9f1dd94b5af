package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

// command is a subcommand: its name, a one-line summary for dancu --help,
// and its Run function.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "serve the REST API, the officers' console, health and metrics", runServe},
	{"generate", "fill an empty store with a synthetic population", runGenerate},
	{"staff", "manage officers' accounts: add, list, disable, enable, reset", runStaff},
	{"audit", "verify the access log: audit verify [--data DIR | --db DSN]", runAudit},
	{"agency", "manage connected agencies: add, list", runAgency},
	{"client", "manage agencies' API clients: add, list, disable, enable, keys", runClient},
	{"grant", "manage agencies' purpose-bound grants: set, list", runGrant},
	{"dataset", "manage linked datasets: add, list, upload", runDataset},
	{"eid", "organisations' electronic identification accounts: handover, close-org (an officer's in-person acts)", runEID},
	{"rp", "manage relying parties of the OpenID Connect provider: add, list, disable, enable, keys, secret", runRP},
	{"bench", "drive a running server with a mix of requests and report latency", runBench},
	{"backup", "write an online, consistent snapshot of the SQLite store", runBackup},
	{"restore", "restore a snapshot into a new data folder and verify it", runRestore},
	{"keys", "encryption keys of the data at rest: keys init, status, rotate [--new-data-key]", runKeys},
	{"card", "chip ID cards: issue, export, verify --dir DIR, pki, rotate", runCard},
	{"verify", "verify a subscriber list against the registry: verify --input FILE --output FILE", runVerify},
	{"dedup", "find duplicate people: review queue, or --evaluate on a test bed", runDedup},
	{"stats", "the analytics store: stats rebuild [--data DIR | --db DSN]", runStats},
	{"export", "write the pseudonymised analytics tables: export --format parquet|csv --dir DIR", runExport},
	{"version", "print the version and build information", runVersion},
}

func main() {
	// The first SIGINT or SIGTERM cancels ctx and starts a graceful
	// shutdown; stop restores the default so a second one kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	os.Exit(Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Main runs the command line args (without the program name) and returns
// the exit status: 0 on success, 1 when the command failed, 2 for a usage
// error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			return Main(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue usageError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			if ue.msg != "" {
				fmt.Fprintf(stderr, "dancu %s: %s\nRun 'dancu %s --help' for usage.\n", name, ue.msg, name)
			}
			return 2
		default:
			fmt.Fprintf(stderr, "dancu %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "dancu: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, "dancu is the national population registry.\n\nUsage:\n\n\tdancu <command> [flags]\n\nCommands:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'dancu <command> --help' for a command's flags.\n")
}

// usageError is a command line that cannot run. An empty msg means the
// flag package has already explained it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// subcommand returns the subcommand that args start with, one of names, for
// a command such as "staff" whose usage line is usage: --help prints the
// usage, and none or an unknown one is a usage error.
func subcommand(command, usage string, args []string, stdout, stderr io.Writer, names ...string) (string, error) {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: "+usage)
		return "", usageError{}
	}
	switch sub := args[0]; {
	case sub == "-h" || sub == "-help" || sub == "--help" || sub == "help":
		fmt.Fprintln(stdout, "Usage: "+usage)
		return "", flag.ErrHelp
	case slices.Contains(names, sub):
		return sub, nil
	default:
		return "", usageError{msg: fmt.Sprintf("unknown %s subcommand %q", command, sub)}
	}
}

// newFlagSet returns a flag set that reports to stderr and prints summary
// above the flags for --help.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, sending --help to stdout. A parse error has
// been printed by the flag package and becomes a usageError.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/store"
)

// runAudit runs the audit subcommands; today only verify.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stdout, "Usage: dancu audit verify [--data DIR | --db DSN]\n\nRecomputes the access log's Merkle tree from its entries and checks every stored hash and signed checkpoint.\n")
			return nil
		}
		return usageError{msg: "want: dancu audit verify [--data DIR | --db DSN]"}
	}
	return auditVerify(ctx, args[1:], stdout, stderr, os.LookupEnv)
}

// auditVerify runs Verify over the configured store and prints what it
// checked, or the first bad index (and fails, so the exit status is 1).
func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) (err error) {
	fs := newFlagSet("audit verify", "dancu audit verify [--data DIR | --db DSN]", stderr)
	fl := config.Bind(fs, "data", "db")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	return withStore(ctx, fl, lookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		rep, err := audit.Verify(ctx, st)
		var bad *audit.BadEntryError
		if errors.As(err, &bad) {
			fmt.Fprintf(stdout, "access log in %s: FAILED at entry %d: %s\n", desc, bad.Index, bad.Reason)
			return fmt.Errorf("access log verification failed at entry %d", bad.Index)
		}
		if err != nil {
			fmt.Fprintf(stdout, "access log in %s: FAILED: %v\n", desc, err)
			return err
		}
		fmt.Fprintf(stdout, "access log in %s: OK\nsize: %d\nroot: %s\ncheckpoints checked: %d\n",
			desc, rep.Size, base64.StdEncoding.EncodeToString(rep.Root[:]), rep.Checkpoints)
		return nil
	})
}

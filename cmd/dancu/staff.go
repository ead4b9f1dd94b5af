package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
)

// staffUsage is the synopsis of dancu staff.
const staffUsage = `dancu staff <add|list|disable|enable|reset> [flags]

  add      --username U --name N --role R[,R...] [--scope UNITS]
           create an account; prints a one-time password and the TOTP enrolment
  list     list the accounts
  disable  --username U   stop an account from signing in
  enable   --username U   let a disabled account sign in again
  reset    --username U   new one-time password and TOTP secret; unlocks the account

Roles: national_admin, registrar, auditor, statistician. UNITS (registrars
only) are province codes (79) or province:commune (01:00004), comma-separated.
Every subcommand takes --data DIR or --db DSN to choose the store.`

// runStaff manages staff accounts from the command line: the way to
// create the first national administrator without the console, and to
// recover when every administrator has lost their authenticator.
func runStaff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return staffCmd(ctx, args, stdout, stderr, os.LookupEnv)
}

func staffCmd(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) (err error) {
	sub, err := subcommand("staff", staffUsage, args, stdout, stderr, "add", "list", "disable", "enable", "reset")
	if err != nil {
		return err
	}
	fs := newFlagSet("staff "+sub, staffUsage, stderr)
	username := fs.String("username", "", "the account's `username`")
	name := fs.String("name", "", "the officer's full `name` (add)")
	roles := fs.String("role", "", "comma-separated `roles` (add)")
	scope := fs.String("scope", "", "comma-separated `units` of a registrar (add)")
	fl := config.Bind(fs, "data", "db", "log-level", "log-format")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if sub != "list" && *username == "" {
		return usageError{msg: "--username is required"}
	}
	if sub != "add" && (*name != "" || *roles != "" || *scope != "") {
		return usageError{msg: "--name, --role and --scope go with add only"}
	}
	var newAcct staff.NewAccount
	if sub == "add" {
		units, err := staff.ParseScope(*scope, time.Now())
		if err != nil {
			return usageError{msg: "--scope: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
		}
		newAcct = staff.NewAccount{Username: *username, DisplayName: *name, Scope: units}
		for r := range strings.SplitSeq(*roles, ",") {
			if r = strings.TrimSpace(r); r != "" {
				newAcct.Roles = append(newAcct.Roles, staff.Role(r))
			}
		}
	}
	return withStore(ctx, fl, lookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		return staffRun(ctx, staff.New(st), sub, *username, newAcct, stdout)
	})
}

// staffRun runs one staff subcommand against svc.
func staffRun(ctx context.Context, svc *staff.Service, sub, username string, n staff.NewAccount, stdout io.Writer) error {
	var ie *staff.InputError
	switch sub {
	case "add":
		a, cr, err := svc.Create(ctx, n)
		switch {
		case errors.As(err, &ie):
			return usageError{msg: ie.Reason}
		case errors.Is(err, staff.ErrExists):
			return fmt.Errorf("the username %s is taken", strings.ToLower(n.Username))
		case err != nil:
			return err
		}
		return printCredentials(stdout, a, cr)
	case "list":
		all, err := svc.Accounts(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLES\tSCOPE\tSTATUS\tLAST SIGN-IN")
		now := time.Now()
		for _, a := range all {
			status := "active"
			switch {
			case a.Disabled:
				status = "disabled"
			case a.Locked(now):
				status = "locked"
			case a.MustChangePassword:
				status = "new password pending"
			}
			roles := make([]string, len(a.Roles))
			for i, r := range a.Roles {
				roles[i] = string(r)
			}
			units := make([]string, len(a.Scope))
			for i, u := range a.Scope {
				units[i] = u.String()
			}
			last := "-"
			if !a.LastSignIn.IsZero() {
				last = a.LastSignIn.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, strings.Join(roles, ","), strings.Join(units, ","), status, last)
		}
		return tw.Flush()
	case "disable", "enable":
		a, err := svc.SetDisabled(ctx, username, sub == "disable")
		if err != nil {
			return notFoundHint(err, username)
		}
		fmt.Fprintf(stdout, "Account %s %sd.\n", a.ID, sub)
	case "reset":
		a, cr, err := svc.Reset(ctx, username)
		if err != nil {
			return notFoundHint(err, username)
		}
		return printCredentials(stdout, a, cr)
	}
	return nil
}

func notFoundHint(err error, username string) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, staff.ErrNotFound) {
		return fmt.Errorf("no account %s", strings.ToLower(username))
	}
	return err
}

// printCredentials shows new credentials, once, on stdout (never the log):
// the one-time password, and the authenticator's enrolment as a key, a URI
// and a QR code the officer scans with the authenticator app.
func printCredentials(w io.Writer, a *staff.Account, cr staff.Credentials) error {
	qr, err := terminalQR(cr.Enrolment.URI, isTerminal(w))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Account %s: hand these to the officer in person; they are shown only this once.\n", a.ID)
	fmt.Fprintf(w, "  One-time password (to change at first sign-in): %s\n", cr.Password)
	fmt.Fprintf(w, "  Authenticator key (time-based, 6 digits, 30 s): %s\n", cr.Enrolment.Secret)
	fmt.Fprintf(w, "  Enrolment URI: %s\n", cr.Enrolment.URI)
	fmt.Fprintf(w, "  Or scan this with the authenticator app:\n\n%s\n", qr)
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// publicURLEnv names the public base URL of the API, the issuer of access
// tokens and the base of the token endpoint that client assertions name as
// their audience. Behind a proxy it must be the URL agencies call.
const publicURLEnv = "DANCU_PUBLIC_URL"

// exchangeIssuer returns the issuer URL: DANCU_PUBLIC_URL, or the listen
// address as reached from this machine.
func exchangeIssuer(lookupEnv func(string) (string, bool), addr string) string {
	if v, ok := lookupEnv(publicURLEnv); ok && v != "" {
		return strings.TrimRight(v, "/")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// newExchange builds the exchange for serve and plugs its access tokens
// into authn. The caller passes it as api.Deps.Clients and mounts it.
func newExchange(ctx context.Context, st store.Store, reg *registry.Registry, rec audit.Recorder, authn *auth.Authenticator, issuer string, log *slog.Logger) (*exchange.Service, error) {
	svc, err := exchange.New(ctx, st, reg, rec, log, exchange.Config{Issuer: issuer})
	if err != nil {
		return nil, err
	}
	authn.AddVerifier(svc)
	return svc, nil
}

const agencyUsage = `dancu agency <add|list> [flags]

  add   --id ID --name NAME --kind KIND   register a connected agency
  list                                    list the agencies

KIND is one of ministry, province, police, bank, carrier, hospital, insurer,
court, other. Every subcommand takes --data DIR or --db DSN.`

const clientUsage = `dancu client <add|list|disable|enable|keys> [flags]

  add      --id ID --agency A --name N --jwks FILE   register an API client
  list     [--agency A]                             list clients
  disable  --id ID        refuse the client's tokens from the next request on
  enable   --id ID        accept them again
  keys     --id ID --jwks FILE   replace the client's public keys

FILE holds a JWK Set ({"keys":[...]}) or one public JWK; "-" reads standard
input. To roll keys over, publish old and new together, switch the client,
then publish the new key alone. Every subcommand takes --data DIR or --db DSN.`

const grantUsage = `dancu grant <set|list> [flags]

  set   --agency A --purpose P --legal-basis TEXT --fields F1,F2
        [--events T1,T2] [--datasets D1,D2] [--check] [--disabled]
        [--match exact,partial] [--partial-daily-limit N] [--bulk-verify]
        create or replace the agency's grant for the purpose
  list  --agency A

Every subcommand takes --data DIR or --db DSN.`

// runAgency, runClient and runGrant manage the exchange's directory from
// the command line, as the admin API does over HTTP.
func runAgency(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return exchangeCmd(ctx, "agency", agencyUsage, []string{"add", "list"}, args, stdout, stderr, os.LookupEnv)
}

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return exchangeCmd(ctx, "client", clientUsage, []string{"add", "list", "disable", "enable", "keys"}, args, stdout, stderr, os.LookupEnv)
}

func runGrant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return exchangeCmd(ctx, "grant", grantUsage, []string{"set", "list"}, args, stdout, stderr, os.LookupEnv)
}

// exchangeFlags are the flags of every agency, client and grant subcommand.
type exchangeFlags struct {
	id, name, kind, agency, jwks        *string
	purpose, legalBasis, fields, events *string
	datasets, match                     *string
	check, disabled, bulkVerify         *bool
	partialLimit                        *int
}

func exchangeCmd(ctx context.Context, cmd, usage string, subs, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) (err error) {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: "+usage)
		return usageError{}
	}
	sub := args[0]
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help" || sub == "help":
		fmt.Fprintln(stdout, "Usage: "+usage)
		return flag.ErrHelp
	case !slices.Contains(subs, sub):
		return usageError{msg: fmt.Sprintf("unknown %s subcommand %q", cmd, sub)}
	}
	fs := newFlagSet(cmd+" "+sub, usage, stderr)
	f := exchangeFlags{
		id:           fs.String("id", "", "the `id` of the agency or client"),
		name:         fs.String("name", "", "a display `name`"),
		kind:         fs.String("kind", "", "the agency's `kind`"),
		agency:       fs.String("agency", "", "the `agency` id"),
		jwks:         fs.String("jwks", "", "`file` with the client's public JWK Set, or - for standard input"),
		purpose:      fs.String("purpose", "", "the `purpose` code, such as social-insurance.enrolment"),
		legalBasis:   fs.String("legal-basis", "", "the legal `text` that allows the use"),
		fields:       fs.String("fields", "", "comma-separated registry `fields` released"),
		events:       fs.String("events", "", "comma-separated life-event `types` the agency may receive"),
		datasets:     fs.String("datasets", "", "comma-separated `datasets` of other agencies it may read"),
		check:        fs.Bool("check", false, "allow yes/no attribute checks"),
		disabled:     fs.Bool("disabled", false, "store the grant disabled"),
		match:        fs.String("match", "", "comma-separated demographic verification `strategies` allowed: exact, partial"),
		bulkVerify:   fs.Bool("bulk-verify", false, "allow bulk verification jobs (subscriber lists)"),
		partialLimit: fs.Int("partial-daily-limit", 0, "partial-match verifications allowed per day (`N`; 0: the server's default)"),
	}
	fl := config.Bind(fs, "data", "db", "log-level", "log-format")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	var keys exchange.JSONWebKeySet
	if *f.jwks != "" {
		var b []byte
		if *f.jwks == "-" {
			b, err = io.ReadAll(os.Stdin)
		} else {
			b, err = os.ReadFile(*f.jwks)
		}
		if err != nil {
			return fmt.Errorf("read --jwks: %w", err)
		}
		if keys, err = exchange.ParseJWKS(b); err != nil {
			return usageError{msg: "--jwks: " + strings.TrimPrefix(err.Error(), exchange.ErrInvalid.Error()+": ")}
		}
	}
	return withStore(ctx, fl, lookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		// The directory commands issue no tokens, so the issuer is only a
		// placeholder the Service requires.
		svc, err := exchange.New(ctx, st, nil, nil, nil, exchange.Config{Issuer: exchangeIssuer(lookupEnv, cfg.Addr)})
		if err != nil {
			return err
		}
		err = exchangeRun(ctx, svc, cmd+" "+sub, f, keys, stdout)
		switch {
		case errors.Is(err, exchange.ErrInvalid):
			return usageError{msg: strings.ReplaceAll(err.Error(), "\n", "; ")}
		case errors.Is(err, store.ErrExists):
			return errors.New("the id is taken")
		case errors.Is(err, store.ErrNotFound):
			return errors.New("no such record")
		}
		return err
	})
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// exchangeRun runs one subcommand against svc.
func exchangeRun(ctx context.Context, svc *exchange.Service, cmd string, f exchangeFlags, keys exchange.JSONWebKeySet, stdout io.Writer) error {
	need := func(names ...string) error {
		vals := map[string]string{"id": *f.id, "name": *f.name, "kind": *f.kind, "agency": *f.agency,
			"jwks": *f.jwks, "purpose": *f.purpose, "legal-basis": *f.legalBasis}
		for _, n := range names {
			if vals[n] == "" {
				return usageError{msg: "--" + n + " is required"}
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	switch cmd {
	case "agency add":
		if err := need("id", "name", "kind"); err != nil {
			return err
		}
		a, err := svc.AddAgency(ctx, exchange.Agency{ID: *f.id, Name: *f.name, Kind: *f.kind})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "agency %s registered\n", a.ID)
	case "agency list":
		as, err := svc.Agencies(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tNAME")
		for _, a := range as {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.ID, a.Kind, a.Status, a.Name)
		}
	case "client add":
		if err := need("id", "agency", "name", "jwks"); err != nil {
			return err
		}
		c, err := svc.AddClient(ctx, exchange.Client{ID: *f.id, Agency: *f.agency, Name: *f.name, JWKS: keys})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "client %s of agency %s registered with %d key(s)\ntoken endpoint: %s\n", c.ID, c.Agency, len(c.JWKS.Keys), svc.TokenEndpoint())
	case "client list":
		cs, err := svc.Clients(ctx, *f.agency)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "CLIENT_ID\tAGENCY\tSTATUS\tKEYS\tNAME")
		for _, c := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", c.ID, c.Agency, c.Status, len(c.JWKS.Keys), c.Name)
		}
	case "client disable", "client enable":
		if err := need("id"); err != nil {
			return err
		}
		st := exchange.Disabled
		if cmd == "client enable" {
			st = exchange.Active
		}
		c, err := svc.SetClientStatus(ctx, *f.id, st)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "client %s is %s\n", c.ID, c.Status)
	case "client keys":
		if err := need("id", "jwks"); err != nil {
			return err
		}
		c, err := svc.SetClientKeys(ctx, *f.id, keys)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "client %s now has %d key(s)\n", c.ID, len(c.JWKS.Keys))
	case "grant set":
		if err := need("agency", "purpose", "legal-basis"); err != nil {
			return err
		}
		g := exchange.Grant{Agency: *f.agency, Purpose: *f.purpose, LegalBasis: *f.legalBasis,
			Fields: splitList(*f.fields), EventTypes: splitList(*f.events), Datasets: splitList(*f.datasets),
			DemographicCheck: *f.check, MatchStrategies: splitList(*f.match), BulkVerification: *f.bulkVerify,
			PartialDailyLimit: *f.partialLimit}
		if *f.disabled {
			g.Status = exchange.Disabled
		}
		g2, err := svc.SetGrant(ctx, g)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "grant %s for %s set (version %d): %d field(s)\n", g2.Purpose, g2.Agency, g2.Version, len(g2.Fields))
	case "grant list":
		if err := need("agency"); err != nil {
			return err
		}
		gs, err := svc.Grants(ctx, *f.agency)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "PURPOSE\tSTATUS\tCHECK\tFIELDS\tEVENTS\tDATASETS")
		for _, g := range gs {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\n", g.Purpose, g.Status, g.DemographicCheck,
				strings.Join(g.Fields, ","), strings.Join(g.EventTypes, ","), strings.Join(g.Datasets, ","))
		}
	}
	return nil
}

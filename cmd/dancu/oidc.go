package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// newOIDC builds the OpenID Connect provider for serve and mounts it on
// mux. Its issuer is oidc.issuer, or else the exchange's public URL.
func newOIDC(ctx context.Context, cfg config.Config, st store.Store, reg *registry.Registry, rec audit.Recorder,
	sessions oidc.Sessions, orgs oidc.Organisations, layout oidc.Layout, fallbackIssuer string, mux *http.ServeMux, log *slog.Logger) (*oidc.Provider, error) {
	issuer := cfg.OIDC.Issuer
	if issuer == "" {
		issuer = fallbackIssuer
	}
	p, err := oidc.New(ctx, oidc.Deps{Store: st, Registry: reg, Datasets: st, Sessions: sessions, Organisations: orgs, Layout: layout, Recorder: rec, Logger: log},
		oidc.Options{
			Issuer: issuer, SigningAlgorithm: cfg.OIDC.SigningAlgorithm, KeyRotation: cfg.OIDC.KeyRotation,
			AccessTokenTTL: cfg.OIDC.AccessTokenTTL, IDTokenTTL: cfg.OIDC.IDTokenTTL,
			RefreshTokenTTL: cfg.OIDC.RefreshTokenTTL, AuthRequestTTL: cfg.OIDC.AuthRequestTTL,
		})
	if err != nil {
		return nil, err
	}
	p.Mount(mux)
	return p, nil
}

const rpUsage = `dancu rp <add|list|disable|enable|keys|secret> [flags]

  add      --id ID --name NAME --purpose TEXT --redirect-uris URL[,URL]
           --auth private_key_jwt|client_secret_basic [--jwks FILE]
           --scopes openid,profile,... [--level 1|2] [--subject pairwise|public]
           [--sector HOST] [--post-logout-uris URL[,URL]]
           register a relying party; a client_secret_basic party's secret
           is printed once (only its hash is kept)
  list     list the relying parties
  disable  --id ID   refuse the party and revoke every token it holds
  enable   --id ID   accept it again
  keys     --id ID --jwks FILE   replace a private_key_jwt party's public keys
  secret   --id ID   give a client_secret_basic party a new secret (printed once)

Scopes: openid, profile, birthdate, gender, address, phone, national_id (the
PIN), household, offline_access (refresh tokens), dataset:NAME (a linked
dataset). FILE holds a JWK Set or one public JWK; "-" reads standard input.
Every subcommand takes --data DIR or --db DSN.`

// runRP manages relying parties of the OpenID Connect provider.
func runRP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return rpCmd(ctx, args, stdout, stderr, os.LookupEnv)
}

func rpCmd(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: "+rpUsage)
		return usageError{}
	}
	sub := args[0]
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help" || sub == "help":
		fmt.Fprintln(stdout, "Usage: "+rpUsage)
		return flag.ErrHelp
	case !slices.Contains([]string{"add", "list", "disable", "enable", "keys", "secret"}, sub):
		return usageError{msg: fmt.Sprintf("unknown rp subcommand %q", sub)}
	}
	fs := newFlagSet("rp "+sub, rpUsage, stderr)
	var (
		id         = fs.String("id", "", "the relying party's client `id`")
		name       = fs.String("name", "", "the display `name` citizens see")
		purpose    = fs.String("purpose", "", "the stated `purpose` citizens see")
		redirects  = fs.String("redirect-uris", "", "comma-separated exact redirect `URLs`")
		postLogout = fs.String("post-logout-uris", "", "comma-separated `URLs` allowed after logout")
		authMethod = fs.String("auth", "", "client authentication: private_key_jwt or client_secret_basic")
		jwksFile   = fs.String("jwks", "", "`file` with the public JWK Set, or - for standard input")
		scopes     = fs.String("scopes", "", "comma-separated allowed `scopes`")
		level      = fs.Int("level", 1, "the required account `level`, 1 or 2")
		subject    = fs.String("subject", "", "subject type: pairwise (default) or public")
		sector     = fs.String("sector", "", "the pairwise sector `host` (default: the first redirect URI's host)")
	)
	fl := config.Bind(fs, "data", "db", "log-level", "log-format")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	var jwks []byte
	if *jwksFile != "" {
		var err error
		if *jwksFile == "-" {
			jwks, err = io.ReadAll(os.Stdin)
		} else {
			jwks, err = os.ReadFile(*jwksFile)
		}
		if err != nil {
			return fmt.Errorf("read --jwks: %w", err)
		}
	}
	// need names the first missing flag of name, value pairs.
	need := func(pairs ...string) error {
		for i := 0; i+1 < len(pairs); i += 2 {
			if pairs[i+1] == "" {
				return usageError{msg: "--" + pairs[i] + " is required"}
			}
		}
		return nil
	}
	return withStore(ctx, fl, lookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		reg := oidc.NewRegistrar(st)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		defer tw.Flush()
		var err error
		switch sub {
		case "add":
			if err := need("id", *id, "name", *name, "purpose", *purpose,
				"redirect-uris", *redirects, "auth", *authMethod, "scopes", *scopes); err != nil {
				return err
			}
			var rp *oidc.RP
			var secret string
			rp, secret, err = reg.AddRP(ctx, oidc.RPInput{ID: *id, Name: *name, Purpose: *purpose,
				RedirectURIs: splitList(*redirects), PostLogoutRedirectURIs: splitList(*postLogout),
				AuthMethod: *authMethod, JWKS: jwks, Scopes: splitList(*scopes), RequiredLevel: *level,
				SubjectType: *subject, Sector: *sector})
			if err == nil {
				fmt.Fprintf(stdout, "relying party %s registered (%s, level %d, %s subjects, sector %s)\n",
					rp.ID, rp.AuthMethod, rp.RequiredLevel, rp.SubjectType, rp.Sector)
				if secret != "" {
					fmt.Fprintf(stdout, "client secret (shown only this once; only its hash is stored):\n  %s\n", secret)
				}
			}
		case "list":
			var rps []*oidc.RP
			if rps, err = reg.RPs(ctx); err == nil {
				fmt.Fprintln(tw, "CLIENT_ID\tSTATUS\tAUTH\tLEVEL\tSCOPES\tNAME")
				for _, rp := range rps {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", rp.ID, rp.Status, rp.AuthMethod,
						strconv.Itoa(rp.RequiredLevel), strings.Join(rp.Scopes, ","), rp.Name)
				}
			}
		case "disable", "enable":
			if err := need("id", *id); err != nil {
				return err
			}
			status := oidc.StatusDisabled
			if sub == "enable" {
				status = oidc.StatusActive
			}
			var rp *oidc.RP
			if rp, err = reg.SetRPStatus(ctx, *id, status); err == nil {
				fmt.Fprintf(stdout, "relying party %s is %s\n", rp.ID, rp.Status)
			}
		case "keys":
			if err := need("id", *id, "jwks", *jwksFile); err != nil {
				return err
			}
			var rp *oidc.RP
			if rp, err = reg.SetRPKeys(ctx, *id, jwks); err == nil {
				fmt.Fprintf(stdout, "relying party %s now has %d key(s)\n", rp.ID, len(rp.JWKS))
			}
		case "secret":
			if err := need("id", *id); err != nil {
				return err
			}
			var secret string
			if secret, err = reg.RotateRPSecret(ctx, *id); err == nil {
				fmt.Fprintf(stdout, "new client secret for %s (shown only this once):\n  %s\n", *id, secret)
			}
		}
		switch {
		case errors.Is(err, oidc.ErrInvalid):
			return usageError{msg: strings.ReplaceAll(err.Error(), "\n", "; ")}
		case errors.Is(err, store.ErrNotFound):
			return errors.New("no such relying party")
		}
		return err
	})
}

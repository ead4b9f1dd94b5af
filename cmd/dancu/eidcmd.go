package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/eid/eidweb"
	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/staff"
	"github.com/dancu/dancu/internal/store"
)

// eidUsage is the synopsis of dancu eid.
const eidUsage = `dancu eid <handover|close-org> [flags]

  handover   --tax-code TC --pin PIN --card CARD --document DOC --officer USERNAME
             [--station S] --face-checked
             make the citizen checked in person (chip card read, face compared)
             the legal representative of an organisation, on the document of
             the change; the former representative loses it at once
  close-org  --tax-code TC --document DOC --officer USERNAME [--station S]
             close an organisation's account on a document (dissolution, the
             representative's written request); cannot be undone

The officer is a staff account allowed to verify identities (dancu staff);
their units decide whom they may act on, as in the console. Each read of a
person's record is in the access log under the officer's name, and the
change is an event of the accounts concerned. Every consent and token
relying parties hold for the organisation is revoked; a running server
stops accepting its tokens within 2 seconds.
Every subcommand takes --data DIR or --db DSN to choose the store.`

// runEID does from the command line what an officer does in the console's
// electronic identification section for organisations, with the same
// checks and records: for a police station's back office, or when the
// console is not reachable.
func runEID(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return eidCmd(ctx, args, stdout, stderr, os.LookupEnv)
}

func eidCmd(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	sub, err := subcommand("eid", eidUsage, args, stdout, stderr, "handover", "close-org")
	if err != nil {
		return err
	}
	fs := newFlagSet("eid "+sub, eidUsage, stderr)
	taxCode := fs.String("tax-code", "", "the organisation's `tax code`")
	doc := fs.String("document", "", "the `document` the change rests on (number, date)")
	officer := fs.String("officer", "", "the `username` of the officer's staff account")
	station := fs.String("station", "", "the officer's police `unit`")
	pin := fs.String("pin", "", "the new representative's personal identification `number` (handover)")
	card := fs.String("card", "", "the `number` of the new representative's chip card, as read (handover)")
	face := fs.Bool("face-checked", false, "the officer compared the person's face with the chip's photo (handover)")
	fl := config.Bind(fs, "data", "db", "log-level", "log-format")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	var missing []string
	for name, v := range map[string]string{"--tax-code": *taxCode, "--document": *doc, "--officer": *officer} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if sub == "handover" {
		if strings.TrimSpace(*pin) == "" {
			missing = append(missing, "--pin")
		}
		if strings.TrimSpace(*card) == "" {
			missing = append(missing, "--card")
		}
		if !*face {
			return usageError{msg: "--face-checked is required: compare the person's face with the chip's photo first"}
		}
	} else if *pin != "" || *card != "" || *face {
		return usageError{msg: "--pin, --card and --face-checked go with handover only"}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return usageError{msg: strings.Join(missing, ", ") + " required"}
	}
	return withStore(ctx, fl, lookupEnv, func(cfg config.Config, st store.Store, desc string) error {
		o, err := staff.New(st).Account(ctx, strings.ToLower(strings.TrimSpace(*officer)))
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, staff.ErrNotFound) {
			return fmt.Errorf("no staff account %s", strings.ToLower(*officer))
		}
		if err != nil {
			return err
		}
		if !staff.Allowed(o, staff.VerifyIdentity) {
			return fmt.Errorf("the staff account %s may not verify identities (disabled, or no such role)", o.ID)
		}
		accessLog, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
		if err != nil {
			return err
		}
		defer accessLog.Close()
		logger := newLogger(cfg, stderr)
		svc := newEID(cfg, st, registry.New(st), accessLog, nil, storeGrants{st}, logger)
		authorize := func(p *registry.Person) error {
			return staff.Authorize(o, staff.VerifyIdentity, eidweb.ResidenceUnits(p))
		}
		requestID := "cli-" + rand.Text()[:16]
		switch sub {
		case "handover":
			org, err := svc.HandOver(ctx, eid.Handover{TaxCode: *taxCode, Document: *doc, Check: eid.Check{
				Officer: o.ID, Station: strings.TrimSpace(*station), PIN: strings.TrimSpace(*pin), Card: strings.TrimSpace(*card),
				RequestID: requestID, Authorize: authorize}})
			if err != nil {
				return eidError(err, "no organisation with this tax code, or the new representative has no electronic identification account")
			}
			fmt.Fprintf(stdout, "Organisation %s handed to the new representative. The former one no longer acts for it; its consents and tokens at relying parties are revoked.\n", org.Organisation.TaxCode)
		case "close-org":
			org, err := svc.CloseOrganisationByOfficer(ctx, eid.OfficerClosure{Officer: o.ID, Station: strings.TrimSpace(*station),
				RequestID: requestID, TaxCode: *taxCode, Document: *doc, Authorize: authorize})
			if errors.Is(err, eid.ErrClosed) {
				return fmt.Errorf("the organisation's account was already closed (its consents and tokens at relying parties were revoked again)")
			}
			if err != nil {
				return eidError(err, "no organisation with this tax code")
			}
			fmt.Fprintf(stdout, "Organisation %s closed. Its consents and tokens at relying parties are revoked; no one can sign in for it any more.\n", org.Organisation.TaxCode)
		}
		return nil
	})
}

// eidError turns an eid error into what the officer can act on; notFound
// says what was not found.
func eidError(err error, notFound string) error {
	var ie *eid.InputError
	switch {
	case errors.As(err, &ie):
		return usageError{msg: "--" + strings.ReplaceAll(ie.Field, "_", "-") + ": " + ie.Reason}
	case errors.Is(err, eid.ErrNotFound):
		return errors.New(notFound)
	case errors.Is(err, eid.ErrCheck):
		return errors.New("the card number does not match a valid chip card of this person, or the person is not alive")
	case errors.Is(err, eid.ErrLevel):
		return errors.New("the new representative needs a level-2 electronic identification account")
	case errors.Is(err, eid.ErrClosed):
		return errors.New("the organisation's account is closed")
	case errors.Is(err, staff.ErrForbidden):
		return errors.New("the person does not reside in the officer's units")
	}
	return err
}

// storeGrants revokes in the store what relying parties hold for an
// account, for the command line where no provider runs.
type storeGrants struct{ st store.Store }

func (g storeGrants) RevokeAccount(ctx context.Context, accountID string) error {
	return oidc.RevokeAccountGrants(ctx, g.st, accountID)
}

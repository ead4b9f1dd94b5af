package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dancu/dancu/internal/api"
	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/card"
	"github.com/dancu/dancu/internal/card/lds"
	"github.com/dancu/dancu/internal/card/verify"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

const cardUsage = `dancu card <issue|export|verify|pki|rotate> [flags]

  issue                      turn the id_card_issued events not yet issued into cards
                             (chip data signed by the current document signer); prints the rate
  export --pin PIN --dir DIR write the person's latest chip card as DER files: DG1.der,
                             DG2.der, DG13.der, SOD.der, and the CSCA certificate CSCA.der
                             with its revocation list CRL.der
  verify --dir DIR           passive authentication of the files in DIR (as export writes
                             them; DG2 and DG13 optional) against CSCA.der and CRL.der
                             found there or given with --csca and --crl; needs no store
  pki                        list the CSCA and document-signer certificates
  rotate                     start a new document signer now

Every subcommand but verify takes --data DIR or --db DSN.`

// The files export writes and verify reads.
const (
	fileDG1  = "DG1.der"
	fileDG2  = "DG2.der"
	fileDG13 = "DG13.der"
	fileSOD  = "SOD.der"
	fileCSCA = "CSCA.der"
	fileCRL  = "CRL.der"
)

// runCard is the card subcommand.
func runCard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: "+cardUsage)
		return usageError{}
	}
	sub := args[0]
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help" || sub == "help":
		fmt.Fprintln(stdout, "Usage: "+cardUsage)
		return flag.ErrHelp
	case !slices.Contains([]string{"issue", "export", "verify", "pki", "rotate"}, sub):
		return usageError{msg: fmt.Sprintf("unknown card subcommand %q", sub)}
	}
	fs := newFlagSet("card "+sub, cardUsage, stderr)
	pin := fs.String("pin", "", "the card holder's `PIN`")
	dir := fs.String("dir", "", "`DIR` of the chip files")
	cscaFile := fs.String("csca", "", "trusted CSCA certificate `FILE` (DER or PEM); default DIR/CSCA.der")
	crlFile := fs.String("crl", "", "CSCA revocation list `FILE` (DER); default DIR/CRL.der if present")
	fl := config.Bind(fs, "data", "db", "log-level", "log-format")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if sub == "verify" {
		if *dir == "" {
			return usageError{msg: "card verify needs --dir"}
		}
		return cardVerify(*dir, *cscaFile, *crlFile, stdout)
	}
	if sub == "export" && (*pin == "" || *dir == "") {
		return usageError{msg: "card export needs --pin and --dir"}
	}
	return withStore(ctx, fl, os.LookupEnv, func(cfg config.Config, st store.Store, _ string) error {
		svc, err := newCardService(cfg, st, registry.New(st), nil, nil, newLogger(cfg, stderr))
		if err != nil {
			return err
		}
		if err := svc.PKI().EnsureKeys(ctx); err != nil {
			return err
		}
		switch sub {
		case "issue":
			start := time.Now()
			n, err := svc.IssuePending(ctx)
			el := time.Since(start)
			fmt.Fprintf(stdout, "issued %s cards in %s (%s cards/s)\n", thousands(n), el.Round(time.Millisecond), thousands(int(float64(n)/max(el.Seconds(), 1e-9))))
			return err
		case "export":
			// The export reads a person's card: recorded in the access log
			// like a read through the API, attributed to the operator.
			accessLog, err := audit.Open(ctx, st, audit.Options{CheckpointEvery: -1, IndexEvery: -1})
			if err != nil {
				return err
			}
			defer accessLog.Close()
			svc, err := newCardService(cfg, st, registry.New(st), nil, accessLog, newLogger(cfg, stderr))
			if err != nil {
				return err
			}
			return cardExport(ctx, svc, *pin, *dir, stdout)
		case "pki":
			cscas, dss, err := svc.PKI().Certificates(ctx)
			if err != nil {
				return err
			}
			for _, c := range append(cscas, dss...) {
				state := "in use"
				now := time.Now()
				switch {
				case !c.RevokedAt.IsZero():
					state = "revoked " + c.RevokedAt.Format(time.DateOnly)
				case now.After(c.UsageTo):
					state = "retired"
				}
				fmt.Fprintf(stdout, "%-4s %-32s serial %s  usage %s..%s  valid to %s  %s\n", c.Role, c.ID, c.Serial,
					c.UsageFrom.Format(time.DateOnly), c.UsageTo.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly), state)
			}
			return nil
		case "rotate":
			if err := svc.PKI().Rotate(ctx); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "a new document signer is in use")
			return nil
		}
		return nil
	})
}

// newCardService builds the card service of a process over its store.
func newCardService(cfg config.Config, st store.Store, reg *registry.Registry, ex card.Exchange, rec audit.Recorder, log *slog.Logger) (*card.Service, error) {
	ks, err := card.NewFileKeyStore(cfg.CardKeysDir())
	if err != nil {
		return nil, err
	}
	pki := card.NewPKI(st, ks, card.PKIConfig{CSCAUsage: cfg.Card.CSCAUsage, DSUsage: cfg.Card.DSUsage, CardValidity: cfg.Card.CardValidity}, nil)
	return card.New(card.Deps{Store: st, Registry: reg, PKI: pki, Exchange: ex, Recorder: rec, Logger: log}), nil
}

func cardExport(ctx context.Context, svc *card.Service, pin, dir string, stdout io.Writer) error {
	fs, err := svc.ChipFiles(ctx, pin)
	if errors.Is(err, card.ErrNoCard) {
		return errors.New("the person holds no chip card")
	}
	if err != nil {
		return err
	}
	sod, err := lds.ParseSOD(fs.SOD)
	if err != nil {
		return err
	}
	// The CSCA that issued this card's document signer.
	cscas, err := svc.PKI().CSCACertificates(ctx)
	if err != nil {
		return err
	}
	var csca *x509.Certificate
	for _, c := range cscas {
		if len(sod.Certificates) > 0 && sod.Certificates[0].CheckSignatureFrom(c) == nil {
			csca = c
		}
	}
	if csca == nil {
		return errors.New("the card's CSCA is not in the PKI")
	}
	crl, err := svc.PKI().CRL(ctx, cscaIDOf(ctx, svc, csca))
	if err != nil {
		return err
	}
	if err := svc.Record(ctx, operator(""), card.PurposeAdministration, "", "", pin, "read",
		card.FieldDocuments, "full_name", "birth_date", "sex", "permanent_residence"); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, b := range map[string][]byte{fileDG1: fs.DG1, fileDG2: fs.DG2, fileDG13: fs.DG13, fileSOD: fs.SOD, fileCSCA: csca.Raw, fileCRL: crl} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote card %d (issued %s, status %s) to %s\n", fs.Card.Seq, fs.Card.IssueDate, fs.Card.Status, dir)
	return nil
}

func cscaIDOf(ctx context.Context, svc *card.Service, c *x509.Certificate) string {
	cscas, _, err := svc.PKI().Certificates(ctx)
	if err != nil {
		return ""
	}
	for _, x := range cscas {
		if string(x.DER) == string(c.Raw) {
			return x.ID
		}
	}
	return ""
}

// readCert reads a certificate, DER or PEM.
func readCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		b = blk.Bytes
	}
	return x509.ParseCertificate(b)
}

func cardVerify(dir, cscaFile, crlFile string, stdout io.Writer) error {
	read := func(name string, required bool) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) && !required {
			return nil, nil
		}
		return b, err
	}
	var c verify.Card
	var err error
	if c.DG1, err = read(fileDG1, true); err != nil {
		return err
	}
	if c.SOD, err = read(fileSOD, true); err != nil {
		return err
	}
	if c.DG2, err = read(fileDG2, false); err != nil {
		return err
	}
	if c.DG13, err = read(fileDG13, false); err != nil {
		return err
	}
	if cscaFile == "" {
		cscaFile = filepath.Join(dir, fileCSCA)
	}
	csca, err := readCert(cscaFile)
	if err != nil {
		return fmt.Errorf("trusted CSCA: %w", err)
	}
	v, err := verify.New([]*x509.Certificate{csca})
	if err != nil {
		return err
	}
	if crlFile == "" {
		if _, err := os.Stat(filepath.Join(dir, fileCRL)); err == nil {
			crlFile = filepath.Join(dir, fileCRL)
		}
	}
	if crlFile != "" {
		b, err := os.ReadFile(crlFile)
		if err != nil {
			return err
		}
		crl, err := x509.ParseRevocationList(b)
		if err != nil {
			return fmt.Errorf("revocation list: %w", err)
		}
		if err := v.AddCRL(crl); err != nil {
			return err
		}
	}
	res, err := v.Verify(c)
	if err != nil {
		return err
	}
	a := card.AttributesOf(res)
	fmt.Fprintf(stdout, "valid: passive authentication passed (data groups %v, document signer %s, %s)\n",
		res.DataGroups, res.DocumentSigner.SerialNumber.Text(16), res.CSCA.Subject.CommonName)
	fmt.Fprintf(stdout, "  pin %s\n  mrz name %s\n", a.PIN, a.MRZName)
	if a.FullName != "" {
		fmt.Fprintf(stdout, "  full name %s\n  birth date %s\n  expiry %s\n", a.FullName, a.BirthDate, a.Expiry)
	}
	return nil
}

// startCards sets up the card PKI, mounts the card API on srv and issues
// cards in the background under the card.issue lease, so that one process
// at a time signs (another takes over when it dies).
func startCards(ctx context.Context, cfg config.Config, st store.Store, reg *registry.Registry, ex card.Exchange,
	rec audit.Recorder, srv *api.Server, single *singleWriters, log *slog.Logger) (*card.Service, error) {
	svc, err := newCardService(cfg, st, reg, ex, rec, log)
	if err != nil {
		return nil, err
	}
	if err := svc.PKI().EnsureKeys(ctx); err != nil {
		return nil, fmt.Errorf("card keys: %w", err)
	}
	svc.Mount(srv)
	single.Go("card.issue", func(ctx context.Context) { svc.Run(ctx, cfg.Card.IssueInterval) })
	return svc, nil
}

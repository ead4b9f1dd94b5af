package card

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/card/verify"
)

func TestFileKeyStore(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "keys")
	ks, err := NewFileKeyStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ks.Generate(ctx, "ds-1", elliptic.P256())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Generate(ctx, "ds-1", elliptic.P256()); !errors.Is(err, ErrKeyExists) {
		t.Errorf("Generate of a taken id = %v, want ErrKeyExists", err)
	}
	got, err := ks.Signer(ctx, "ds-1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
		t.Error("Signer returned another key")
	}
	if _, err := ks.Signer(ctx, "ds-2"); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("Signer of a missing key = %v", err)
	}
	if _, err := ks.Signer(ctx, "../etc/passwd"); err == nil {
		t.Error("a path as key id was accepted")
	}
	fi, err := os.Stat(filepath.Join(dir, "ds-1.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
		t.Errorf("key folder mode %v, want 0700", di.Mode().Perm())
	}
}

// TestPKI_rotation moves the clock through the key schedule: a new DS
// after its usage period, a new CSCA after its own; cards signed earlier
// keep verifying; a revoked DS's cards fail with ds_revoked.
func TestPKI_rotation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, backends(t)["sqlite"], 80)
	f.now = time.Now()
	if _, err := f.svc.IssuePending(ctx); err != nil {
		t.Fatal(err)
	}
	pin := f.chipHolder(t)
	old, _ := f.svc.ChipFiles(ctx, pin)
	card := verify.Card{DG1: old.DG1, DG2: old.DG2, DG13: old.DG13, SOD: old.SOD}
	pki := f.svc.PKI()
	cscas, dss, _ := pki.Certificates(ctx)
	if len(cscas) != 1 || len(dss) != 1 || dss[0].Issuer != cscas[0].ID {
		t.Fatalf("after set-up: %d CSCAs, %d DSs", len(cscas), len(dss))
	}

	// 100 days on: the DS's 90 days are over.
	f.now = f.now.Add(100 * 24 * time.Hour)
	if err := pki.EnsureKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pki.EnsureKeys(ctx); err != nil { // nothing more to do
		t.Fatal(err)
	}
	_, dss, _ = pki.Certificates(ctx)
	if len(dss) != 2 {
		t.Fatalf("after 100 days: %d DSs, want 2", len(dss))
	}
	_, cert, err := pki.DocumentSigner(ctx)
	if err != nil || cert.SerialNumber.Text(16) != dss[1].Serial {
		t.Fatalf("the DS in use is not the new one: %v", err)
	}
	f.svc.Invalidate()
	if _, err := f.verifier(t).Verify(card); err != nil {
		t.Errorf("a card signed by the retired DS: %v", err)
	}

	// Four years on: a new CSCA, and a DS under it; the old CSCA is still
	// published and trusted for the cards signed under it.
	f.now = f.now.Add(4 * 365 * 24 * time.Hour)
	if err := pki.EnsureKeys(ctx); err != nil {
		t.Fatal(err)
	}
	cscas, dss, _ = pki.Certificates(ctx)
	if len(cscas) != 2 || dss[len(dss)-1].Issuer != cscas[1].ID {
		t.Fatalf("after 4 years: %d CSCAs, last DS issued by %s", len(cscas), dss[len(dss)-1].Issuer)
	}
	f.svc.Invalidate()
	if _, err := f.verifier(t).Verify(card); err != nil {
		t.Errorf("an old card after the CSCA rotation: %v", err)
	}

	// Revoking the first DS fails its cards.
	if err := pki.RevokeDS(ctx, dss[0].Serial, "key compromise"); err != nil {
		t.Fatal(err)
	}
	if err := pki.RevokeDS(ctx, "abcdef", "x"); !errors.Is(err, ErrNoSuchCertificate) {
		t.Errorf("revoking an unknown serial: %v", err)
	}
	f.svc.Invalidate()
	_, err = f.verifier(t).Verify(card)
	var ve *verify.Error
	if !errors.As(err, &ve) || ve.Reason != verify.ReasonDSRevoked {
		t.Errorf("a card of a revoked DS: %v, want ds_revoked", err)
	}

	// An early rotation starts a new DS at once.
	before := len(dss)
	if err := pki.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	_, dss, _ = pki.Certificates(ctx)
	if len(dss) != before+1 {
		t.Errorf("Rotate: %d DSs, want %d", len(dss), before+1)
	}
}

func TestPKI_DSOutlivesItsUseButNotItsCSCA(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, backends(t)["sqlite"], 0)
	cscas, dss, _ := f.svc.PKI().Certificates(ctx)
	if !dss[0].NotAfter.After(dss[0].UsageTo.Add(DefaultCardValidity - time.Hour)) {
		t.Errorf("DS valid to %v, usage to %v: it must cover the cards' validity", dss[0].NotAfter, dss[0].UsageTo)
	}
	if dss[0].NotAfter.After(cscas[0].NotAfter) {
		t.Error("the DS outlives its CSCA")
	}
}

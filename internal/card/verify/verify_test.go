package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/card/lds"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

type testPKI struct {
	cscaKey *ecdsa.PrivateKey
	csca    *x509.Certificate
	dsKey   *ecdsa.PrivateKey
	ds      *x509.Certificate
}

func newCert(t testing.TB, tmpl, parent *x509.Certificate, pub any, key crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPKI(t testing.TB, name string, dsFrom, dsTo time.Time) *testPKI {
	p := &testPKI{}
	p.cscaKey, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p.dsKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Country: []string{"VN"}, CommonName: name},
		NotBefore: now.AddDate(-5, 0, 0), NotAfter: now.AddDate(20, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	p.csca = newCert(t, ca, ca, &p.cscaKey.PublicKey, p.cscaKey)
	ds := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{Country: []string{"VN"}, CommonName: "DS"},
		NotBefore: dsFrom, NotAfter: dsTo, KeyUsage: x509.KeyUsageDigitalSignature}
	p.ds = newCert(t, ds, p.csca, &p.dsKey.PublicKey, p.cscaKey)
	return p
}

func testCard(t testing.TB, p *testPKI, hash crypto.Hash) Card {
	t.Helper()
	m := &lds.TD1{DocumentCode: "ID", IssuingState: "VNM", DocumentNumber: "085012345", Optional1: "001085012345",
		BirthDate: "850302", Sex: "F", ExpiryDate: "350302", Nationality: "VNM", Primary: "NGUYEN", Secondary: "THI<THUY"}
	dg1, err := lds.EncodeDG1(m)
	if err != nil {
		t.Fatal(err)
	}
	dg13, _ := lds.EncodeDG13(&lds.DG13{PIN: "001085012345", FullName: "Nguyễn Thị Thuỷ", BirthDate: "02/03/1985"})
	dg2, _ := lds.EncodeDG2("portrait/1")
	sod, err := lds.BuildSODHash(hash, map[int][]byte{1: dg1, 2: dg2, 13: dg13}, p.dsKey, p.ds, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return Card{DG1: dg1, DG2: dg2, DG13: dg13, SOD: sod}
}

func reason(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func TestVerifier_Verify(t *testing.T) {
	good := newPKI(t, "CSCA", now.AddDate(0, -1, 0), now.AddDate(10, 0, 0))
	expired := newPKI(t, "CSCA old", now.AddDate(-12, 0, 0), now.AddDate(0, 0, -1))
	stranger := newPKI(t, "CSCA", now.AddDate(0, -1, 0), now.AddDate(10, 0, 0)) // same name, other key
	v, err := New([]*x509.Certificate{good.csca, expired.csca}, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	card := testCard(t, good, crypto.SHA256)
	mrzBad := testCard(t, good, crypto.SHA256)
	{ // a DG1 whose check digit is wrong, correctly hashed and signed
		b := []byte(string(mrzBad.DG1))
		b[5+6] ^= 0x01 // a digit of the document number (after the 5 TLV header bytes)
		mrzBad.DG1 = b
		sod, _ := lds.BuildSOD(map[int][]byte{1: mrzBad.DG1, 13: mrzBad.DG13, 2: mrzBad.DG2}, good.dsKey, good.ds, now.Add(-time.Hour))
		mrzBad.SOD = sod
	}
	tampered := card
	tampered.DG13 = append([]byte(nil), card.DG13...)
	tampered.DG13[len(tampered.DG13)-1] ^= 0x20
	tests := []struct {
		name string
		card Card
		want Reason
	}{
		{"good", card, ""},
		{"without DG2 and DG13", Card{DG1: card.DG1, SOD: card.SOD}, ""},
		{"tampered DG13", tampered, ReasonDataGroupTampered},
		{"DG swapped", Card{DG1: card.DG13, SOD: card.SOD}, ReasonDataGroupTampered},
		{"no SOD", Card{DG1: card.DG1}, ReasonDataGroupMissing},
		{"no DG1", Card{SOD: card.SOD}, ReasonDataGroupMissing},
		{"truncated SOD", Card{DG1: card.DG1, SOD: card.SOD[:len(card.SOD)-7]}, ReasonMalformed},
		{"SHA-1", testCard(t, good, crypto.SHA1), ReasonHashAlgorithm},
		{"expired DS", testCard(t, expired, crypto.SHA256), ReasonDSExpired},
		{"unknown CSCA", testCard(t, stranger, crypto.SHA256), ReasonUnknownCSCA},
		{"MRZ check digit", mrzBad, ReasonMRZCheckDigit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.Verify(tt.card)
			if got := reason(err); got != tt.want || (err != nil && got == "") {
				t.Fatalf("Verify = %v (reason %q), want reason %q", err, got, tt.want)
			}
			if err == nil && (res.MRZ.Optional1 != "001085012345" || res.CSCA != good.csca) {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestVerifier_AddCRL(t *testing.T) {
	p := newPKI(t, "CSCA", now.AddDate(0, -1, 0), now.AddDate(10, 0, 0))
	other := newPKI(t, "CSCA", now.AddDate(0, -1, 0), now.AddDate(10, 0, 0))
	v, _ := New([]*x509.Certificate{p.csca}, WithClock(func() time.Time { return now }))
	card := testCard(t, p, crypto.SHA256)
	crlFor := func(ca *testPKI) *x509.RevocationList {
		der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now, NextUpdate: now.Add(time.Hour),
			RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(42), RevocationTime: now}}}, ca.csca, ca.cscaKey)
		if err != nil {
			t.Fatal(err)
		}
		crl, _ := x509.ParseRevocationList(der)
		return crl
	}
	if err := v.AddCRL(crlFor(other)); err == nil {
		t.Fatal("AddCRL accepted a list signed by an untrusted key")
	}
	if _, err := v.Verify(card); err != nil {
		t.Fatalf("before revocation: %v", err)
	}
	if err := v.AddCRL(crlFor(p)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(card); reason(err) != ReasonDSRevoked {
		t.Fatalf("after revocation: %v, want ds_revoked", err)
	}
}

func TestNew_refusesNonCA(t *testing.T) {
	p := newPKI(t, "CSCA", now, now.AddDate(1, 0, 0))
	if _, err := New([]*x509.Certificate{p.ds}); err == nil {
		t.Error("New trusted a DS certificate as a CSCA")
	}
	if _, err := New(nil); err == nil {
		t.Error("New with no CSCA")
	}
}

func FuzzVerify(f *testing.F) {
	p := newPKI(f, "CSCA", now.AddDate(0, -1, 0), now.AddDate(10, 0, 0))
	v, _ := New([]*x509.Certificate{p.csca}, WithClock(func() time.Time { return now }))
	c := testCard(f, p, crypto.SHA256)
	f.Add(c.DG1, c.DG13, c.SOD)
	f.Fuzz(func(t *testing.T, dg1, dg13, sod []byte) {
		res, err := v.Verify(Card{DG1: dg1, DG13: dg13, SOD: sod})
		if err == nil && res.MRZ == nil {
			t.Fatal("a verified card without its MRZ")
		}
		if err != nil && reason(err) == "" {
			t.Fatalf("an error without a reason: %v", err)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	p := newPKI(b, "CSCA", now.AddDate(0, -1, 0), now.AddDate(10, 0, 0))
	v, _ := New([]*x509.Certificate{p.csca}, WithClock(func() time.Time { return now }))
	c := testCard(b, p, crypto.SHA256)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestVerifier_concurrent verifies from several goroutines while CRLs are
// added, for the race detector.
func TestVerifier_concurrent(t *testing.T) {
	p := newPKI(t, "CSCA", now.AddDate(0, -1, 0), now.AddDate(10, 0, 0))
	v, _ := New([]*x509.Certificate{p.csca}, WithClock(func() time.Time { return now }))
	c := testCard(t, p, crypto.SHA256)
	done := make(chan error, 4)
	for range 4 {
		go func() {
			var err error
			for range 20 {
				if _, e := v.Verify(c); e != nil && reason(e) != ReasonDSRevoked {
					err = e
				}
			}
			done <- err
		}()
	}
	der, _ := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now, NextUpdate: now.Add(time.Hour)}, p.csca, p.cscaKey)
	crl, _ := x509.ParseRevocationList(der)
	if err := v.AddCRL(crl); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

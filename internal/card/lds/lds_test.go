package lds

import (
	"bytes"
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
)

func TestParseTLV(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"primitive", []byte{0x02, 0x01, 0x05}, true},
		{"constructed", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, true},
		{"two-byte tag", []byte{0x5F, 0x1F, 0x01, 'A'}, true},
		{"long form", append([]byte{0x04, 0x81, 0x80}, make([]byte, 0x80)...), true},
		{"empty", nil, false},
		{"truncated value", []byte{0x02, 0x05, 0x01}, false},
		{"truncated tag", []byte{0x5F}, false},
		{"indefinite", []byte{0x30, 0x80, 0, 0}, false},
		{"non-minimal length", []byte{0x02, 0x81, 0x01, 0x05}, false},
		{"trailing", []byte{0x02, 0x01, 0x05, 0x00}, false},
		{"child overruns", []byte{0x30, 0x02, 0x02, 0x05}, false},
		{"huge length", []byte{0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTLV(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseTLV error = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

func TestParseTLV_deepNesting(t *testing.T) {
	b := []byte{0x04, 0x00}
	for range 40 {
		b = AppendTLV(nil, 0x30, b)
	}
	if _, err := ParseTLV(b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ParseTLV of 40 levels = %v, want ErrMalformed", err)
	}
}

func testDG13() *DG13 {
	return &DG13{
		PIN: "001085012345", FullName: "Nguyễn Thị Thuỷ", BirthDate: "02/03/1985", Sex: "Nữ",
		Nationality: "Việt Nam", Ethnicity: "Kinh", Hometown: "Xã Phú Xuân, Thành phố Huế",
		PermanentResidence: "12 Hàng Bài, Phường Hoàn Kiếm, Thành phố Hà Nội", IssueDate: "10/05/2024",
		ExpiryDate: "02/03/2025", Father: "Nguyễn Văn An", Mother: "Trần Thị Bình", OldIDNumber: "012345678",
	}
}

func TestDG13_roundTrip(t *testing.T) {
	in := testDG13()
	b, err := EncodeDG13(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDG13(b)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *in {
		t.Errorf("ParseDG13 = %+v, want %+v", got, in)
	}
}

func TestParseDG13_errors(t *testing.T) {
	item := func(n byte, v string) []byte {
		return AppendTLV(nil, 0x30, AppendTLV(AppendTLV(nil, 0x02, []byte{n}), 0x0C, []byte(v)))
	}
	wrap := func(items ...[]byte) []byte {
		return AppendTLV(nil, TagDG13, AppendTLV(nil, 0x30, bytes.Join(items, nil)))
	}
	tests := map[string][]byte{
		"no PIN":      wrap(item(2, "An")),
		"repeated":    wrap(item(1, "001085012345"), item(1, "001085012346")),
		"zero field":  wrap(item(0, "x")),
		"not UTF-8":   wrap(item(1, "\xff")),
		"wrong tag":   AppendTLV(nil, TagDG1, nil),
		"bad item":    wrap(AppendTLV(nil, 0x30, AppendTLV(nil, 0x02, []byte{1}))),
		"negative no": wrap(item(0x81, "x")),
	}
	for name, b := range tests {
		if _, err := ParseDG13(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ParseDG13 = %v, want ErrMalformed", name, err)
		}
	}
}

func TestDG1_DG2_roundTrip(t *testing.T) {
	m := &TD1{DocumentCode: "ID", IssuingState: "VNM", DocumentNumber: "085012345", Optional1: "001085012345",
		BirthDate: "850302", Sex: "F", ExpiryDate: "250302", Nationality: "VNM", Primary: "NGUYEN", Secondary: "THI<THUY"}
	b, err := EncodeDG1(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDG1(b)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *m {
		t.Errorf("ParseDG1 = %+v, want %+v", got, m)
	}
	d2, err := EncodeDG2("sha256:abcd")
	if err != nil {
		t.Fatal(err)
	}
	if ref, err := ParseDG2(d2); err != nil || ref != "sha256:abcd" {
		t.Errorf("ParseDG2 = %q, %v", ref, err)
	}
}

// testSigner returns a self-signed ECDSA certificate and its key.
func testSigner(t testing.TB) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "DS test", Country: []string{"VN"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return k, c
}

func TestBuildSOD_parse(t *testing.T) {
	k, cert := testSigner(t)
	dgs := map[int][]byte{1: []byte("dg1"), 13: []byte("dg13")}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	b, err := BuildSOD(dgs, k, cert, at)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSOD(b)
	if err != nil {
		t.Fatal(err)
	}
	if s.HashAlgorithm != crypto.SHA256 || len(s.Hashes) != 2 || !s.SigningTime.Equal(at) {
		t.Errorf("ParseSOD = hash %v, %d hashes, time %v", s.HashAlgorithm, len(s.Hashes), s.SigningTime)
	}
	h := crypto.SHA256.New()
	h.Write(dgs[13])
	if !bytes.Equal(s.Hashes[13], h.Sum(nil)) {
		t.Error("DG13 hash differs")
	}
	if len(s.Certificates) != 1 || !s.Certificates[0].Equal(cert) || s.SignerSerial.Cmp(cert.SerialNumber) != 0 {
		t.Error("signer certificate not carried")
	}
	md := crypto.SHA256.New()
	md.Write(s.SignedAttrs)
	if !ecdsa.VerifyASN1(&k.PublicKey, md.Sum(nil), s.Signature) {
		t.Error("signature does not verify over the signed attributes")
	}
	for i := range len(b) {
		if _, err := ParseSOD(b[:i]); err == nil {
			t.Fatalf("ParseSOD accepted the first %d bytes", i)
		}
	}
}

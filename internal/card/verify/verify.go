package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/card/lds"
)

// Reason is a stable code for why a card failed verification.
type Reason string

// The reasons. Clients compare them; Error's message adds detail.
const (
	ReasonMalformed          Reason = "malformed"              // a data group or EF.SOD does not parse (truncated, bad ASN.1)
	ReasonHashAlgorithm      Reason = "hash_algorithm"         // EF.SOD uses a hash dancu does not accept (SHA-1, unknown)
	ReasonSignatureAlgorithm Reason = "signature_algorithm"    // the SOD's signature algorithm is not accepted or does not fit the key
	ReasonDataGroupMissing   Reason = "data_group_missing"     // DG1 or EF.SOD was not given
	ReasonDataGroupNotInSOD  Reason = "data_group_not_in_sod"  // a data group was given that EF.SOD does not list
	ReasonDataGroupTampered  Reason = "data_group_tampered"    // a data group's hash differs from EF.SOD's
	ReasonContentDigest      Reason = "sod_content_digest"     // the messageDigest attribute does not match the LDSSecurityObject
	ReasonSignature          Reason = "sod_signature"          // the SOD's signature does not verify with the DS key
	ReasonSignerMissing      Reason = "ds_certificate_missing" // EF.SOD does not carry its signer's certificate
	ReasonUnknownCSCA        Reason = "unknown_csca"           // the DS certificate chains to no trusted CSCA
	ReasonDSExpired          Reason = "ds_expired"             // the DS certificate has expired
	ReasonDSNotYetValid      Reason = "ds_not_yet_valid"       // the DS certificate is not valid yet, or signed before it was
	ReasonDSRevoked          Reason = "ds_revoked"             // the DS certificate is on its CSCA's revocation list
	ReasonDSKeyUsage         Reason = "ds_key_usage"           // the DS certificate may not sign documents
	ReasonCSCAExpired        Reason = "csca_expired"           // the CSCA certificate has expired
	ReasonMRZCheckDigit      Reason = "mrz_check_digit"        // an MRZ check digit is wrong
	ReasonMRZMalformed       Reason = "mrz_malformed"          // the MRZ is not a TD1 zone
	ReasonInconsistent       Reason = "inconsistent"           // DG1 and DG13 disagree on the document number
)

// Error is a verification failure. Its message names the data group or
// field at fault and never repeats personal data.
type Error struct {
	Reason    Reason
	DataGroup int    // the data group concerned, 0 for EF.SOD or none
	Field     string // the MRZ field, for MRZ failures
	Detail    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("card verification failed: ")
	b.WriteString(string(e.Reason))
	if e.DataGroup != 0 {
		fmt.Fprintf(&b, " (DG%d)", e.DataGroup)
	}
	if e.Field != "" {
		b.WriteString(" (" + e.Field + ")")
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

func fail(r Reason, dg int, format string, args ...any) *Error {
	return &Error{Reason: r, DataGroup: dg, Detail: fmt.Sprintf(format, args...)}
}

// Card is what a reader took from the chip: the data-group files and EF.SOD
// as stored on it. DG2 and DG13 are optional; DG1 and SOD are required.
type Card struct {
	DG1, DG2, DG13, SOD []byte
}

// Result is a card that passed passive authentication.
type Result struct {
	MRZ  *lds.TD1
	DG13 *lds.DG13 // nil if DG13 was not given
	// PortraitRef is DG2's portrait reference, "" if DG2 was not given.
	PortraitRef    string
	DocumentSigner *x509.Certificate
	CSCA           *x509.Certificate
	SigningTime    time.Time
	// DataGroups are the data groups verified, ascending.
	DataGroups []int
}

// Verifier checks cards against a set of trusted CSCA certificates and
// their revocation lists.
type Verifier struct {
	cscas []*x509.Certificate
	now   func() time.Time

	mu      sync.RWMutex
	revoked map[string]bool // CSCA subject DER + "|" + DS serial
	chains  map[[32]byte]int
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock makes the verifier read the time from now (tests; or a bank
// that checks a card as of a past date).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// New returns a verifier that trusts the CSCA certificates given. A
// certificate that is not a CA is refused.
func New(cscas []*x509.Certificate, opts ...Option) (*Verifier, error) {
	v := &Verifier{now: time.Now, revoked: map[string]bool{}, chains: map[[32]byte]int{}}
	for _, c := range cscas {
		if !c.IsCA || !c.BasicConstraintsValid {
			return nil, errors.New("verify: a trusted CSCA certificate is not a CA certificate")
		}
		v.cscas = append(v.cscas, c)
	}
	if len(v.cscas) == 0 {
		return nil, errors.New("verify: no trusted CSCA certificate")
	}
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// AddCRL takes a CSCA's list of revoked document signers. The list must be
// signed by a trusted CSCA; its entries then apply to that CSCA's DS
// certificates. A newer list from the same CSCA adds to the older one
// (revocation is never undone).
func (v *Verifier) AddCRL(crl *x509.RevocationList) error {
	for _, c := range v.cscas {
		if !bytes.Equal(crl.RawIssuer, c.RawSubject) {
			continue
		}
		if err := crl.CheckSignatureFrom(c); err != nil {
			continue
		}
		v.mu.Lock()
		for _, e := range crl.RevokedCertificateEntries {
			v.revoked[string(c.RawSubject)+"|"+e.SerialNumber.String()] = true
		}
		v.mu.Unlock()
		return nil
	}
	return errors.New("verify: the revocation list is not signed by a trusted CSCA")
}

// Verify runs passive authentication of a card.
func (v *Verifier) Verify(c Card) (*Result, error) {
	if len(c.SOD) == 0 {
		return nil, fail(ReasonDataGroupMissing, 0, "EF.SOD is required")
	}
	if len(c.DG1) == 0 {
		return nil, fail(ReasonDataGroupMissing, 1, "DG1 is required")
	}
	sod, err := lds.ParseSOD(c.SOD)
	if err != nil {
		return nil, &Error{Reason: ReasonMalformed, Detail: "EF.SOD: " + strings.TrimPrefix(err.Error(), "lds: malformed: ")}
	}
	if sod.HashAlgorithm == 0 {
		return nil, fail(ReasonHashAlgorithm, 0, "data-group hash algorithm %s is not SHA-256, SHA-384 or SHA-512", sod.HashOID)
	}
	if sod.DigestAlgorithm == 0 {
		return nil, fail(ReasonHashAlgorithm, 0, "signer digest algorithm %s is not SHA-256, SHA-384 or SHA-512", sod.DigestOID)
	}

	// The data groups first: cheap, and the likeliest tampering.
	res := &Result{SigningTime: sod.SigningTime}
	for _, dg := range []struct {
		n int
		b []byte
	}{{1, c.DG1}, {2, c.DG2}, {13, c.DG13}} {
		if len(dg.b) == 0 {
			continue
		}
		want, ok := sod.Hashes[dg.n]
		if !ok {
			return nil, fail(ReasonDataGroupNotInSOD, dg.n, "EF.SOD lists no hash for it")
		}
		h := sod.HashAlgorithm.New()
		h.Write(dg.b)
		if !bytes.Equal(h.Sum(nil), want) {
			return nil, fail(ReasonDataGroupTampered, dg.n, "its hash differs from the one in EF.SOD")
		}
		res.DataGroups = append(res.DataGroups, dg.n)
	}

	md := sod.DigestAlgorithm.New()
	md.Write(sod.Content)
	if !bytes.Equal(md.Sum(nil), sod.MessageDigest) {
		return nil, fail(ReasonContentDigest, 0, "the signed digest does not match the data-group hashes")
	}
	ds := signerCert(sod)
	if ds == nil {
		return nil, fail(ReasonSignerMissing, 0, "no certificate matches the signer's issuer and serial number")
	}
	if err := checkSignature(ds, sod); err != nil {
		return nil, err
	}
	csca, err := v.chain(ds)
	if err != nil {
		return nil, err
	}
	now := v.now()
	switch {
	case now.After(ds.NotAfter):
		return nil, fail(ReasonDSExpired, 0, "the document signer certificate expired on %s", ds.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(ds.NotBefore):
		return nil, fail(ReasonDSNotYetValid, 0, "the document signer certificate is not valid yet")
	case !sod.SigningTime.IsZero() && (sod.SigningTime.Before(ds.NotBefore) || sod.SigningTime.After(ds.NotAfter)):
		return nil, fail(ReasonDSNotYetValid, 0, "EF.SOD was signed outside the document signer certificate's validity")
	case now.After(csca.NotAfter):
		return nil, fail(ReasonCSCAExpired, 0, "the CSCA certificate expired on %s", csca.NotAfter.UTC().Format(time.DateOnly))
	}
	v.mu.RLock()
	revoked := v.revoked[string(csca.RawSubject)+"|"+ds.SerialNumber.String()]
	v.mu.RUnlock()
	if revoked {
		return nil, fail(ReasonDSRevoked, 0, "the document signer certificate is revoked")
	}
	res.DocumentSigner, res.CSCA = ds, csca

	if res.MRZ, err = lds.ParseDG1(c.DG1); err != nil {
		var me *lds.MRZError
		if errors.As(err, &me) {
			r := ReasonMRZMalformed
			if errors.Is(err, lds.ErrCheckDigit) {
				r = ReasonMRZCheckDigit
			}
			return nil, &Error{Reason: r, DataGroup: 1, Field: me.Field, Detail: me.Reason}
		}
		return nil, &Error{Reason: ReasonMalformed, DataGroup: 1, Detail: "not a DG1 file"}
	}
	if len(c.DG13) > 0 {
		if res.DG13, err = lds.ParseDG13(c.DG13); err != nil {
			return nil, &Error{Reason: ReasonMalformed, DataGroup: 13, Detail: "not a DG13 file"}
		}
		if !consistent(res.MRZ, res.DG13) {
			return nil, fail(ReasonInconsistent, 13, "DG1 and DG13 name different document numbers")
		}
	}
	if len(c.DG2) > 0 {
		if res.PortraitRef, err = lds.ParseDG2(c.DG2); err != nil {
			return nil, &Error{Reason: ReasonMalformed, DataGroup: 2, Detail: "not a DG2 file"}
		}
	}
	return res, nil
}

// consistent checks that DG13's PIN is the document number of DG1: on the
// Vietnamese card the MRZ's document number is the PIN's last 9 digits and
// its optional data the whole PIN.
func consistent(m *lds.TD1, d *lds.DG13) bool {
	if m.Optional1 != "" {
		return m.Optional1 == d.PIN
	}
	return strings.HasSuffix(d.PIN, m.DocumentNumber)
}

// signerCert returns the certificate EF.SOD names as its signer.
func signerCert(sod *lds.SOD) *x509.Certificate {
	for _, c := range sod.Certificates {
		if bytes.Equal(c.RawIssuer, sod.SignerIssuer) && c.SerialNumber.Cmp(sod.SignerSerial) == 0 {
			return c
		}
	}
	return nil
}

// checkSignature verifies the SOD's signature over its signed attributes.
func checkSignature(ds *x509.Certificate, sod *lds.SOD) error {
	if ds.KeyUsage != 0 && ds.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fail(ReasonDSKeyUsage, 0, "the document signer certificate does not allow digital signatures")
	}
	var hash crypto.Hash
	var isECDSA bool
	switch {
	case sod.SignatureOID.Equal(lds.OIDECDSAWithSHA256):
		hash, isECDSA = crypto.SHA256, true
	case sod.SignatureOID.Equal(lds.OIDECDSAWithSHA384):
		hash, isECDSA = crypto.SHA384, true
	case sod.SignatureOID.Equal(lds.OIDECDSAWithSHA512):
		hash, isECDSA = crypto.SHA512, true
	case sod.SignatureOID.Equal(lds.OIDSHA256WithRSA):
		hash = crypto.SHA256
	default:
		return fail(ReasonSignatureAlgorithm, 0, "signature algorithm %s is not accepted", sod.SignatureOID)
	}
	h := hash.New()
	h.Write(sod.SignedAttrs)
	sum := h.Sum(nil)
	switch k := ds.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if !isECDSA {
			return fail(ReasonSignatureAlgorithm, 0, "an RSA signature algorithm with an ECDSA key")
		}
		if !ecdsa.VerifyASN1(k, sum, sod.Signature) {
			return fail(ReasonSignature, 0, "the signature does not verify with the document signer's key")
		}
	case *rsa.PublicKey:
		if isECDSA {
			return fail(ReasonSignatureAlgorithm, 0, "an ECDSA signature algorithm with an RSA key")
		}
		if rsa.VerifyPKCS1v15(k, hash, sum, sod.Signature) != nil {
			return fail(ReasonSignature, 0, "the signature does not verify with the document signer's key")
		}
	default:
		return fail(ReasonSignatureAlgorithm, 0, "the document signer's key is neither ECDSA nor RSA")
	}
	return nil
}

// chain finds the trusted CSCA that issued ds, remembering the answer.
func (v *Verifier) chain(ds *x509.Certificate) (*x509.Certificate, error) {
	key := sha256.Sum256(ds.Raw)
	v.mu.RLock()
	i, ok := v.chains[key]
	v.mu.RUnlock()
	if ok {
		return v.cscas[i], nil
	}
	for i, c := range v.cscas {
		if !bytes.Equal(ds.RawIssuer, c.RawSubject) {
			continue
		}
		if ds.CheckSignatureFrom(c) != nil {
			continue
		}
		v.mu.Lock()
		if len(v.chains) > 4096 { // a bounded memory, for hostile input
			clear(v.chains)
		}
		v.chains[key] = i
		v.mu.Unlock()
		return c, nil
	}
	return nil, fail(ReasonUnknownCSCA, 0, "the document signer certificate was not issued by a trusted CSCA")
}

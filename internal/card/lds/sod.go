package lds

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // legacy objects, for tests of verifiers
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// Object identifiers of EF.SOD (RFC 5652, RFC 5754, RFC 5758, Doc 9303
// part 10).
var (
	OIDSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDLDSSecurityObject = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	OIDContentType       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDMessageDigest     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDSigningTime       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	OIDSHA1              = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	OIDSHA256            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	OIDSHA384            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	OIDSHA512            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	OIDECDSAWithSHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	OIDECDSAWithSHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	OIDECDSAWithSHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	OIDSHA256WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
)

// ErrHashAlgorithm wraps the error of an EF.SOD whose hash algorithm is not
// one dancu accepts (SHA-256, SHA-384, SHA-512).
var ErrHashAlgorithm = errors.New("lds: hash algorithm not accepted")

// HashFor returns the hash function of a digest algorithm OID that dancu
// accepts. SHA-1, allowed by old Doc 9303 editions, is refused.
func HashFor(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	switch {
	case oid.Equal(OIDSHA256):
		return crypto.SHA256, true
	case oid.Equal(OIDSHA384):
		return crypto.SHA384, true
	case oid.Equal(OIDSHA512):
		return crypto.SHA512, true
	}
	return 0, false
}

type algorithm struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type dataGroupHash struct {
	Number int
	Hash   []byte
}

type ldsSecurityObject struct {
	Version       int
	HashAlgorithm algorithm
	Hashes        []dataGroupHash
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     []byte `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []algorithm `asn1:"set"`
	EncapContent     encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version            int
	SID                issuerAndSerial
	DigestAlgorithm    algorithm
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm algorithm
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// SOD is a parsed EF.SOD. It says what the object claims; package verify
// decides whether to believe it.
type SOD struct {
	// HashAlgorithm is the LDSSecurityObject's hash of the data groups; 0
	// when the OID is not one HashFor accepts (HashOID tells which).
	HashAlgorithm crypto.Hash
	HashOID       asn1.ObjectIdentifier
	// Hashes are the data-group hashes by data-group number.
	Hashes map[int][]byte
	// Certificates are those the SignedData carries (the document signer).
	Certificates []*x509.Certificate
	// SignerIssuer and SignerSerial identify the signer's certificate.
	SignerIssuer []byte
	SignerSerial *big.Int
	// DigestAlgorithm hashes the encapsulated content for the messageDigest
	// attribute; 0 if not accepted (DigestOID tells which).
	DigestAlgorithm crypto.Hash
	DigestOID       asn1.ObjectIdentifier
	// SignatureOID is the signature algorithm.
	SignatureOID asn1.ObjectIdentifier
	// Signature is the signature value over SignedAttrs.
	Signature []byte
	// SignedAttrs is the DER of the signed attributes as a SET (tag 31),
	// which is what the signature covers.
	SignedAttrs []byte
	// Content is the encapsulated LDSSecurityObject's DER.
	Content []byte
	// MessageDigest and SigningTime are the signed attributes' values.
	MessageDigest []byte
	SigningTime   time.Time
}

// BuildSOD returns an EF.SOD (tag 77 around the ContentInfo) listing the
// SHA-256 hashes of the data groups given by number, signed by signer whose
// certificate cert is embedded. signer must hold cert's private key; ECDSA
// keys sign with the hash matching their curve size, RSA keys with SHA-256.
func BuildSOD(dgs map[int][]byte, signer crypto.Signer, cert *x509.Certificate, signingTime time.Time) ([]byte, error) {
	return BuildSODHash(crypto.SHA256, dgs, signer, cert, signingTime)
}

// BuildSODHash is BuildSOD with another hash of the data groups: SHA-384
// or SHA-512, or SHA-1 to produce the legacy objects verifiers must refuse.
func BuildSODHash(dgHash crypto.Hash, dgs map[int][]byte, signer crypto.Signer, cert *x509.Certificate, signingTime time.Time) ([]byte, error) {
	hashOID := map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA1: OIDSHA1, crypto.SHA256: OIDSHA256, crypto.SHA384: OIDSHA384, crypto.SHA512: OIDSHA512}[dgHash]
	if hashOID == nil || !dgHash.Available() {
		return nil, fmt.Errorf("lds: hash %v not supported", dgHash)
	}
	nums := make([]int, 0, len(dgs))
	for n := range dgs {
		if n < 1 || n > 16 {
			return nil, fmt.Errorf("lds: data group %d out of range", n)
		}
		nums = append(nums, n)
	}
	slices.Sort(nums)
	lso := ldsSecurityObject{HashAlgorithm: algorithm{Algorithm: hashOID}}
	for _, n := range nums {
		h := dgHash.New()
		h.Write(dgs[n])
		lso.Hashes = append(lso.Hashes, dataGroupHash{Number: n, Hash: h.Sum(nil)})
	}
	content, err := asn1.Marshal(lso)
	if err != nil {
		return nil, err
	}

	digestHash, sigOID := crypto.SHA256, OIDSHA256WithRSA
	switch k := signer.Public().(type) {
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
		case 384:
			digestHash, sigOID = crypto.SHA384, OIDECDSAWithSHA384
		case 521:
			digestHash, sigOID = crypto.SHA512, OIDECDSAWithSHA512
		default:
			sigOID = OIDECDSAWithSHA256
		}
	case *rsa.PublicKey:
	default:
		return nil, errors.New("lds: the document signer's key must be ECDSA or RSA")
	}
	digestOID := map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA256: OIDSHA256, crypto.SHA384: OIDSHA384, crypto.SHA512: OIDSHA512}[digestHash]
	md := digestHash.New()
	md.Write(content)

	signedAttrs, err := marshalAttrs(
		attr(OIDContentType, OIDLDSSecurityObject),
		attr(OIDSigningTime, signingTime.UTC().Truncate(time.Second)),
		attr(OIDMessageDigest, md.Sum(nil)),
	)
	if err != nil {
		return nil, err
	}
	h := digestHash.New()
	h.Write(signedAttrs)
	var opts crypto.SignerOpts = digestHash
	sig, err := signer.Sign(rand.Reader, h.Sum(nil), opts)
	if err != nil {
		return nil, fmt.Errorf("lds: sign: %w", err)
	}
	si := signerInfo{
		Version:            1,
		SID:                issuerAndSerial{Issuer: asn1.RawValue{FullBytes: cert.RawIssuer}, Serial: cert.SerialNumber},
		DigestAlgorithm:    algorithm{Algorithm: digestOID},
		SignedAttrs:        asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: signedAttrs[headerLen(signedAttrs):]},
		SignatureAlgorithm: algorithm{Algorithm: sigOID},
		Signature:          sig,
	}
	sd := signedData{
		Version:          3,
		DigestAlgorithms: []algorithm{{Algorithm: digestOID}},
		EncapContent:     encapContentInfo{EContentType: OIDLDSSecurityObject, EContent: content},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: cert.Raw},
		SignerInfos:      []signerInfo{si},
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	oid, err := asn1.Marshal(OIDSignedData)
	if err != nil {
		return nil, err
	}
	ci := AppendTLV(nil, 0x30, append(oid, AppendTLV(nil, 0xA0, sdDER)...))
	return AppendTLV(nil, TagSOD, ci), nil
}

func attr(oid asn1.ObjectIdentifier, v any) attribute {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err) // only fixed types are passed
	}
	return attribute{Type: oid, Values: []asn1.RawValue{{FullBytes: b}}}
}

// marshalAttrs encodes attributes as a DER SET OF, its elements sorted by
// their encodings as DER requires.
func marshalAttrs(as ...attribute) ([]byte, error) {
	enc := make([][]byte, len(as))
	for i, a := range as {
		b, err := asn1.Marshal(a)
		if err != nil {
			return nil, err
		}
		enc[i] = b
	}
	slices.SortFunc(enc, bytes.Compare)
	return AppendTLV(nil, 0x31, bytes.Join(enc, nil)), nil
}

// headerLen returns the length of the tag and length bytes of a DER object
// whose tag is one byte.
func headerLen(b []byte) int {
	if b[1] < 0x80 {
		return 2
	}
	return 2 + int(b[1]&0x7F)
}

// ContentInfo returns the CMS ContentInfo inside an EF.SOD file, without
// the tag 77 wrapper: what openssl cms and other CMS tools read.
func ContentInfo(sod []byte) ([]byte, error) {
	t, err := ParseTLV(sod)
	if err != nil {
		return nil, fmt.Errorf("EF.SOD: %w", err)
	}
	if t.Tag != TagSOD {
		return nil, malformed("EF.SOD: tag %X, want 77", t.Tag)
	}
	return t.Value, nil
}

// unmarshalAll is asn1.Unmarshal that refuses trailing bytes.
func unmarshalAll(b []byte, v any, what string) error {
	rest, err := asn1.Unmarshal(b, v)
	if err != nil {
		return malformed("%s: %v", what, err)
	}
	if len(rest) != 0 {
		return malformed("%s: %d bytes after the object", what, len(rest))
	}
	return nil
}

// ParseSOD parses an EF.SOD file strictly: DER throughout, one signer with
// signed attributes, an encapsulated LDSSecurityObject of version 0 or 1,
// and no trailing bytes anywhere. It checks form, not trust.
func ParseSOD(sod []byte) (*SOD, error) {
	raw, err := ContentInfo(sod)
	if err != nil {
		return nil, err
	}
	var ci contentInfo
	if err := unmarshalAll(raw, &ci, "ContentInfo"); err != nil {
		return nil, err
	}
	if !ci.ContentType.Equal(OIDSignedData) || !ci.Content.IsCompound {
		return nil, malformed("ContentInfo: content type is not SignedData")
	}
	var sd signedData
	if err := unmarshalAll(ci.Content.Bytes, &sd, "SignedData"); err != nil {
		return nil, err
	}
	if sd.Version != 3 {
		return nil, malformed("SignedData: version %d, want 3", sd.Version)
	}
	if !sd.EncapContent.EContentType.Equal(OIDLDSSecurityObject) {
		return nil, malformed("SignedData: the content is not an LDSSecurityObject")
	}
	if len(sd.SignerInfos) != 1 {
		return nil, malformed("SignedData: %d signers, want 1", len(sd.SignerInfos))
	}
	if len(sd.CRLs.FullBytes) != 0 {
		return nil, malformed("SignedData: unexpected revocation information")
	}
	s := &SOD{Content: sd.EncapContent.EContent, Hashes: map[int][]byte{}}

	var lso ldsSecurityObject
	if err := unmarshalAll(s.Content, &lso, "LDSSecurityObject"); err != nil {
		return nil, err
	}
	if lso.Version != 0 && lso.Version != 1 {
		return nil, malformed("LDSSecurityObject: version %d", lso.Version)
	}
	if len(lso.HashAlgorithm.Parameters.FullBytes) != 0 && !bytes.Equal(lso.HashAlgorithm.Parameters.FullBytes, asn1.NullBytes) {
		return nil, malformed("LDSSecurityObject: hash algorithm parameters")
	}
	s.HashOID = lso.HashAlgorithm.Algorithm
	s.HashAlgorithm, _ = HashFor(s.HashOID)
	for _, h := range lso.Hashes {
		if h.Number < 1 || h.Number > 16 {
			return nil, malformed("LDSSecurityObject: data group %d out of range", h.Number)
		}
		if _, dup := s.Hashes[h.Number]; dup {
			return nil, malformed("LDSSecurityObject: data group %d listed twice", h.Number)
		}
		s.Hashes[h.Number] = h.Hash
	}
	if len(s.Hashes) == 0 {
		return nil, malformed("LDSSecurityObject: no data-group hash")
	}

	if len(sd.Certificates.Bytes) != 0 {
		if sd.Certificates.Tag != 0 || sd.Certificates.Class != asn1.ClassContextSpecific || !sd.Certificates.IsCompound {
			return nil, malformed("SignedData: certificates")
		}
		certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
		if err != nil {
			return nil, malformed("SignedData: certificates: %v", err)
		}
		s.Certificates = certs
	}

	si := sd.SignerInfos[0]
	if si.Version != 1 {
		return nil, malformed("SignerInfo: version %d, want 1 (issuer and serial number)", si.Version)
	}
	if len(si.UnsignedAttrs.FullBytes) != 0 {
		return nil, malformed("SignerInfo: unexpected unsigned attributes")
	}
	s.SignerIssuer, s.SignerSerial = si.SID.Issuer.FullBytes, si.SID.Serial
	if s.SignerSerial == nil || len(s.SignerIssuer) == 0 || s.SignerIssuer[0] != 0x30 {
		return nil, malformed("SignerInfo: signer identifier")
	}
	s.DigestOID = si.DigestAlgorithm.Algorithm
	s.DigestAlgorithm, _ = HashFor(s.DigestOID)
	if !slices.ContainsFunc(sd.DigestAlgorithms, func(a algorithm) bool { return a.Algorithm.Equal(s.DigestOID) }) {
		return nil, malformed("SignedData: the signer's digest algorithm is not among digestAlgorithms")
	}
	if len(si.SignatureAlgorithm.Parameters.FullBytes) != 0 {
		return nil, malformed("SignerInfo: signature algorithm parameters")
	}
	s.SignatureOID, s.Signature = si.SignatureAlgorithm.Algorithm, si.Signature
	if si.SignedAttrs.Tag != 0 || si.SignedAttrs.Class != asn1.ClassContextSpecific || !si.SignedAttrs.IsCompound || len(si.SignedAttrs.Bytes) == 0 {
		return nil, malformed("SignerInfo: no signed attributes")
	}
	// The signature covers the attributes with their SET tag, not [0].
	s.SignedAttrs = AppendTLV(nil, 0x31, si.SignedAttrs.Bytes)
	var attrs []attribute
	rest, err := asn1.UnmarshalWithParams(s.SignedAttrs, &attrs, "set")
	if err != nil || len(rest) != 0 {
		return nil, malformed("signed attributes: not a DER SET OF Attribute")
	}
	var gotType bool
	seen := map[string]bool{}
	for _, a := range attrs {
		key := a.Type.String()
		if seen[key] {
			return nil, malformed("signed attributes: %s repeated", key)
		}
		seen[key] = true
		if len(a.Values) != 1 {
			return nil, malformed("signed attributes: %s must have one value", key)
		}
		v := a.Values[0].FullBytes
		switch {
		case a.Type.Equal(OIDContentType):
			var oid asn1.ObjectIdentifier
			if err := unmarshalAll(v, &oid, "contentType attribute"); err != nil {
				return nil, err
			}
			if !oid.Equal(OIDLDSSecurityObject) {
				return nil, malformed("signed attributes: contentType is not LDSSecurityObject")
			}
			gotType = true
		case a.Type.Equal(OIDMessageDigest):
			if err := unmarshalAll(v, &s.MessageDigest, "messageDigest attribute"); err != nil {
				return nil, err
			}
		case a.Type.Equal(OIDSigningTime):
			if err := unmarshalAll(v, &s.SigningTime, "signingTime attribute"); err != nil {
				return nil, err
			}
		}
	}
	if !gotType || s.MessageDigest == nil {
		return nil, malformed("signed attributes: contentType and messageDigest are required")
	}
	return s, nil
}

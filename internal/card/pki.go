package card

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/store"
)

// Directory kind and id of the PKI document: every CSCA and DS certificate
// with its key id, usage period and revocation. Certificates live in the
// store so that every process sees the same current signer; private keys
// live in the KeyStore.
const (
	kindPKI = "card-pki"
	idPKI   = "keyset"
)

// PKIConfig says how the signing PKI rotates. Zero fields take the
// defaults.
type PKIConfig struct {
	// CSCAUsage is how long a CSCA key signs DS certificates before a new
	// CSCA takes over (Doc 9303 part 12: 3 to 5 years).
	CSCAUsage time.Duration
	// DSUsage is how long a DS key signs cards (Doc 9303 part 12: up to 3
	// months).
	DSUsage time.Duration
	// CardValidity is how long after its last use a DS certificate stays
	// valid: the longest a card signed with it must verify.
	CardValidity time.Duration
	// Organization names the issuing state's authority in certificates.
	Organization string
}

// Default rotation periods.
const (
	DefaultCSCAUsage    = 3 * 365 * 24 * time.Hour
	DefaultDSUsage      = 90 * 24 * time.Hour
	DefaultCardValidity = 30 * 365 * 24 * time.Hour
)

func (c *PKIConfig) defaults() {
	if c.CSCAUsage <= 0 {
		c.CSCAUsage = DefaultCSCAUsage
	}
	if c.DSUsage <= 0 {
		c.DSUsage = DefaultDSUsage
	}
	if c.CardValidity <= 0 {
		c.CardValidity = DefaultCardValidity
	}
	if c.Organization == "" {
		c.Organization = "Bo Cong an"
	}
}

// Cert is one CSCA or DS certificate as the PKI keeps it.
type Cert struct {
	ID        string    `json:"id" doc:"The certificate's id, also its key's id in the key store."`
	Role      string    `json:"role" enum:"csca,ds"`
	Serial    string    `json:"serial" doc:"Serial number, hex."`
	Issuer    string    `json:"issuer,omitempty" doc:"For a DS, the id of its CSCA."`
	UsageFrom time.Time `json:"usage_from" doc:"Start of the private key's usage period."`
	UsageTo   time.Time `json:"usage_to" doc:"End of the private key's usage period."`
	NotAfter  time.Time `json:"not_after" doc:"End of the certificate's validity."`
	DER       []byte    `json:"der" doc:"The certificate, DER, base64."`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Reason    string    `json:"revocation_reason,omitempty"`
}

// keyset is the PKI document.
type keyset struct {
	CSCAs     []Cert `json:"cscas"` // oldest first
	DSs       []Cert `json:"dss"`   // oldest first
	CRLNumber int64  `json:"crl_number"`
}

func (k *keyset) current(list []Cert, now time.Time) *Cert {
	for i := len(list) - 1; i >= 0; i-- {
		c := &list[i]
		if c.RevokedAt.IsZero() && !now.Before(c.UsageFrom) && now.Before(c.UsageTo) {
			return c
		}
	}
	return nil
}

// currentDS is the DS in use at now, issued by the current CSCA.
func (k *keyset) currentDS(now time.Time) *Cert {
	csca := k.current(k.CSCAs, now)
	if csca == nil {
		return nil
	}
	ds := k.current(k.DSs, now)
	if ds == nil || ds.Issuer != csca.ID {
		return nil
	}
	return ds
}

// PKI is the country's signing PKI: the CSCA and document signers.
type PKI struct {
	st  store.Directory
	ks  KeyStore
	cfg PKIConfig
	now func() time.Time

	mu      sync.Mutex
	signers map[string]crypto.Signer
	certs   map[string]*x509.Certificate
	// crls caches each CSCA's list for the hour it was signed in, keyed by
	// what it says, so that the public endpoint does not sign per request.
	crls map[string][]byte
}

// NewPKI returns the PKI over the store's directory and a key store. It
// creates nothing until EnsureKeys.
func NewPKI(st store.Directory, ks KeyStore, cfg PKIConfig, now func() time.Time) *PKI {
	cfg.defaults()
	if now == nil {
		now = time.Now
	}
	return &PKI{st: st, ks: ks, cfg: cfg, now: now, signers: map[string]crypto.Signer{}, certs: map[string]*x509.Certificate{}, crls: map[string][]byte{}}
}

func (p *PKI) load(ctx context.Context) (*keyset, int64, error) {
	r, err := p.st.DirRecord(ctx, kindPKI, idPKI)
	if errors.Is(err, store.ErrNotFound) {
		return &keyset{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var k keyset
	if err := json.Unmarshal(r.Data, &k); err != nil {
		return nil, 0, fmt.Errorf("card: stored PKI document: %w", err)
	}
	return &k, r.Version, nil
}

func (p *PKI) save(ctx context.Context, k *keyset, version int64) error {
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	return p.st.PutDirRecord(ctx, store.DirRecord{Kind: kindPKI, ID: idPKI, Version: version + 1, Data: b})
}

// update applies fn to the PKI document and saves it, again from a fresh
// read when another process saved first.
func (p *PKI) update(ctx context.Context, fn func(k *keyset) (changed bool, err error)) error {
	for range 5 {
		k, v, err := p.load(ctx)
		if err != nil {
			return err
		}
		changed, err := fn(k)
		if err != nil || !changed {
			return err
		}
		err = p.save(ctx, k, v)
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) {
			continue
		}
		return err
	}
	return errors.New("card: the PKI document keeps changing; try again")
}

// EnsureKeys creates the CSCA and a DS where there is none in its usage
// period (at set-up, and when the schedule says to rotate). Several
// processes may call it at once: one's keys win, and the others' new keys
// stay unused in the key store.
func (p *PKI) EnsureKeys(ctx context.Context) error {
	return p.update(ctx, func(k *keyset) (bool, error) {
		now := p.now().UTC().Truncate(time.Second)
		changed := false
		csca := k.current(k.CSCAs, now)
		if csca == nil {
			c, err := p.newCSCA(ctx, now)
			if err != nil {
				return false, err
			}
			k.CSCAs = append(k.CSCAs, *c)
			csca = &k.CSCAs[len(k.CSCAs)-1]
			changed = true
		}
		if k.currentDS(now) == nil {
			c, err := p.newDS(ctx, csca, now)
			if err != nil {
				return false, err
			}
			k.DSs = append(k.DSs, *c)
			changed = true
		}
		return changed, nil
	})
}

// Rotate starts a new DS now, ahead of the schedule (after a suspected
// compromise, with RevokeDS).
func (p *PKI) Rotate(ctx context.Context) error {
	if err := p.EnsureKeys(ctx); err != nil {
		return err
	}
	return p.update(ctx, func(k *keyset) (bool, error) {
		now := p.now().UTC().Truncate(time.Second)
		csca := k.current(k.CSCAs, now)
		if csca == nil {
			return false, errors.New("card: no CSCA in use")
		}
		if ds := k.currentDS(now); ds != nil {
			ds.UsageTo = now
		}
		c, err := p.newDS(ctx, csca, now)
		if err != nil {
			return false, err
		}
		k.DSs = append(k.DSs, *c)
		return true, nil
	})
}

func newID(role string, now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return role + "-" + now.Format("20060102t150405") + "-" + hex.EncodeToString(b[:])
}

func serial() *big.Int {
	b := make([]byte, 16)
	rand.Read(b)
	b[0] &= 0x7F
	b[0] |= 0x40 // 16 bytes, positive, no leading zero
	return new(big.Int).SetBytes(b)
}

// Extensions of Doc 9303 part 12: the private key usage period (RFC 5280,
// 4.2.1.4 of its predecessor) on CSCA and DS certificates, and the document
// type list on DS certificates.
var (
	oidPrivateKeyUsagePeriod = asn1.ObjectIdentifier{2, 5, 29, 16}
	oidDocumentTypeList      = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 6, 2}
)

func usagePeriodExt(from, to time.Time) pkix.Extension {
	gt := func(tag byte, t time.Time) []byte {
		s := t.UTC().Format("20060102150405Z")
		return append([]byte{tag, byte(len(s))}, s...)
	}
	v := append(gt(0x80, from), gt(0x81, to)...)
	return pkix.Extension{Id: oidPrivateKeyUsagePeriod, Value: append([]byte{0x30, byte(len(v))}, v...)}
}

func docTypeExt() pkix.Extension {
	type docTypeList struct {
		Version int
		Types   []string `asn1:"set,printable"`
	}
	v, _ := asn1.Marshal(docTypeList{Types: []string{"ID"}})
	return pkix.Extension{Id: oidDocumentTypeList, Value: v}
}

func (p *PKI) newCSCA(ctx context.Context, now time.Time) (*Cert, error) {
	id := newID("csca", now)
	key, err := p.ks.Generate(ctx, id, elliptic.P384())
	if err != nil {
		return nil, err
	}
	usageTo := now.Add(p.cfg.CSCAUsage)
	notAfter := usageTo.Add(p.cfg.DSUsage + p.cfg.CardValidity)
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{Country: []string{"VN"}, Organization: []string{p.cfg.Organization},
			CommonName: "CSCA Viet Nam " + now.Format("2006-01-02")},
		NotBefore: now, NotAfter: notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true, IsCA: true, MaxPathLen: 0, MaxPathLenZero: true,
		ExtraExtensions: []pkix.Extension{usagePeriodExt(now, usageTo)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return &Cert{ID: id, Role: "csca", Serial: tmpl.SerialNumber.Text(16), UsageFrom: now, UsageTo: usageTo, NotAfter: notAfter, DER: der}, nil
}

func (p *PKI) newDS(ctx context.Context, csca *Cert, now time.Time) (*Cert, error) {
	caCert, err := p.cert(csca)
	if err != nil {
		return nil, err
	}
	caKey, err := p.signer(ctx, csca.ID)
	if err != nil {
		return nil, err
	}
	id := newID("ds", now)
	key, err := p.ks.Generate(ctx, id, elliptic.P256())
	if err != nil {
		return nil, err
	}
	usageTo := now.Add(p.cfg.DSUsage)
	if usageTo.After(csca.UsageTo) {
		usageTo = csca.UsageTo // a DS never outlives its CSCA's usage
	}
	notAfter := usageTo.Add(p.cfg.CardValidity)
	if notAfter.After(caCert.NotAfter) {
		notAfter = caCert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{Country: []string{"VN"}, Organization: []string{p.cfg.Organization},
			CommonName: "Document Signer " + now.Format("2006-01-02 15:04")},
		NotBefore: now, NotAfter: notAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{usagePeriodExt(now, usageTo), docTypeExt()},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return nil, err
	}
	return &Cert{ID: id, Role: "ds", Serial: tmpl.SerialNumber.Text(16), Issuer: csca.ID, UsageFrom: now, UsageTo: usageTo, NotAfter: notAfter, DER: der}, nil
}

func (p *PKI) cert(c *Cert) (*x509.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if x, ok := p.certs[c.ID]; ok {
		return x, nil
	}
	x, err := x509.ParseCertificate(c.DER)
	if err != nil {
		return nil, fmt.Errorf("card: certificate %s: %w", c.ID, err)
	}
	p.certs[c.ID] = x
	return x, nil
}

func (p *PKI) signer(ctx context.Context, id string) (crypto.Signer, error) {
	p.mu.Lock()
	s, ok := p.signers[id]
	p.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := p.ks.Signer(ctx, id)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.signers[id] = s
	p.mu.Unlock()
	return s, nil
}

// DocumentSigner returns the DS in use now: its signer and certificate.
// It calls EnsureKeys when none is in use.
func (p *PKI) DocumentSigner(ctx context.Context) (crypto.Signer, *x509.Certificate, error) {
	k, _, err := p.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	ds := k.currentDS(p.now())
	if ds == nil {
		if err := p.EnsureKeys(ctx); err != nil {
			return nil, nil, err
		}
		if k, _, err = p.load(ctx); err != nil {
			return nil, nil, err
		}
		if ds = k.currentDS(p.now()); ds == nil {
			return nil, nil, errors.New("card: no document signer in use")
		}
	}
	c, err := p.cert(ds)
	if err != nil {
		return nil, nil, err
	}
	s, err := p.signer(ctx, ds.ID)
	if err != nil {
		return nil, nil, err
	}
	return s, c, nil
}

// Certificates returns every CSCA and DS certificate, oldest first.
func (p *PKI) Certificates(ctx context.Context) (cscas, dss []Cert, err error) {
	k, _, err := p.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	return k.CSCAs, k.DSs, nil
}

// CSCACertificates returns the CSCA certificates, parsed: what a verifier
// trusts.
func (p *PKI) CSCACertificates(ctx context.Context) ([]*x509.Certificate, error) {
	k, _, err := p.load(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*x509.Certificate, 0, len(k.CSCAs))
	for i := range k.CSCAs {
		c, err := p.cert(&k.CSCAs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// ErrNoSuchCertificate is returned for an unknown certificate id or serial.
var ErrNoSuchCertificate = errors.New("card: no such certificate")

// RevokeDS revokes a document signer by serial number (hex): every card it
// signed then fails verification with the reason ds_revoked. A revoked DS
// that was in use is replaced at once.
func (p *PKI) RevokeDS(ctx context.Context, serialHex, reason string) error {
	serialHex = strings.ToLower(strings.TrimLeft(serialHex, "0"))
	err := p.update(ctx, func(k *keyset) (bool, error) {
		i := slices.IndexFunc(k.DSs, func(c Cert) bool { return c.Serial == serialHex })
		if i < 0 {
			return false, ErrNoSuchCertificate
		}
		if !k.DSs[i].RevokedAt.IsZero() {
			return false, nil
		}
		k.DSs[i].RevokedAt, k.DSs[i].Reason = p.now().UTC().Truncate(time.Second), reason
		k.CRLNumber++
		return true, nil
	})
	if err != nil {
		return err
	}
	return p.EnsureKeys(ctx)
}

// CRL returns the certificate revocation list of a CSCA (by id; "" for the
// one in use), DER, signed by that CSCA: its revoked document signers.
// It is valid for a day.
func (p *PKI) CRL(ctx context.Context, cscaID string) ([]byte, error) {
	k, _, err := p.load(ctx)
	if err != nil {
		return nil, err
	}
	var csca *Cert
	if cscaID == "" {
		csca = k.current(k.CSCAs, p.now())
	} else if i := slices.IndexFunc(k.CSCAs, func(c Cert) bool { return c.ID == cscaID }); i >= 0 {
		csca = &k.CSCAs[i]
	}
	if csca == nil {
		return nil, ErrNoSuchCertificate
	}
	caCert, err := p.cert(csca)
	if err != nil {
		return nil, err
	}
	key, err := p.signer(ctx, csca.ID)
	if err != nil {
		return nil, err
	}
	now := p.now().UTC().Truncate(time.Hour)
	// The number counts hours, so that it grows with every list issued.
	tmpl := &x509.RevocationList{Number: big.NewInt(now.Unix() / 3600), ThisUpdate: now, NextUpdate: now.Add(25 * time.Hour)}
	for _, ds := range k.DSs {
		if ds.Issuer != csca.ID || ds.RevokedAt.IsZero() {
			continue
		}
		sn, _ := new(big.Int).SetString(ds.Serial, 16)
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: sn, RevocationTime: ds.RevokedAt})
	}
	cacheKey := fmt.Sprintf("%s|%d|%d", csca.ID, now.Unix(), len(tmpl.RevokedCertificateEntries))
	p.mu.Lock()
	der, ok := p.crls[cacheKey]
	p.mu.Unlock()
	if ok {
		return der, nil
	}
	der, err = x509.CreateRevocationList(rand.Reader, tmpl, caCert, key)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if len(p.crls) > 64 {
		clear(p.crls)
	}
	p.crls[cacheKey] = der
	p.mu.Unlock()
	return der, nil
}

package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

// Paths under which the provider serves. The issuer is the site's origin;
// discovery is at its /.well-known/openid-configuration.
const (
	BasePath      = "/oidc"
	LoginPath     = BasePath + "/login"
	LoggedOutPath = BasePath + "/logged-out"
	staticPath    = BasePath + "/static/"
)

// User is the signed-in citizen as the provider needs them: the portal's
// session (package eid) is adapted to it in cmd/dancu.
type User struct {
	AccountID string
	PIN       string
	Level     int // 1 or 2 (Decree 69/2024)
	SessionID string
	AuthTime  time.Time
	AMR       []string
}

// Sessions tells who is signed in to the citizens' portal, and ends a
// browser's portal session when the citizen logs out at a relying party.
type Sessions interface {
	Current(r *http.Request) (User, bool)
	// SignOut ends the portal session u (the one Current returned for r)
	// and clears its cookie on w.
	SignOut(w http.ResponseWriter, r *http.Request, u User) error
}

// Layout draws the provider's pages (consent, refusals, logged out) in the
// citizens' portal's layout: its header with the language switch and the
// session, its navigation, styles and security headers. *portal.Handler
// implements it. Without one (the provider served alone, as in some tests)
// the pages have a plain frame of their own.
type Layout interface {
	// PageLang returns the page's language, "vi" or "en": the citizen's
	// choice, else the first of hints (language tags) the portal speaks.
	PageLang(w http.ResponseWriter, r *http.Request, hints ...string) string
	// RenderPage writes body, titled, in the layout; formAction lists
	// origins besides the site's that the page's forms may lead to.
	RenderPage(w http.ResponseWriter, r *http.Request, status int, lang, title string, body template.HTML, formAction ...string)
}

// Registry reads a person's current record.
type Registry interface {
	Person(ctx context.Context, pin string, asOf registry.Date) (*registry.Record, error)
}

// Datasets reads a person's records in a linked dataset.
type Datasets interface {
	DatasetRecordsByPIN(ctx context.Context, dataset, pin string) ([]store.DatasetRecord, error)
}

// Store is what the provider keeps: its own state, the registrations (in
// the directory) and two instance-wide secrets (in settings).
type Store interface {
	store.OIDC
	store.Directory
	store.Settings
	Ping(ctx context.Context) error
}

// Deps are the provider's collaborators.
type Deps struct {
	Store    Store
	Registry Registry
	Datasets Datasets // optional: without it dataset scopes release nothing
	Sessions Sessions
	Layout   Layout // optional: the portal's layout for the pages
	// Organisations, optional, allows signing in as an organisation
	// (ScopeOrganisation); without it no one represents any.
	Organisations Organisations
	Recorder      audit.Recorder
	Logger        *slog.Logger
}

// Options configure the provider (config section oidc).
type Options struct {
	Issuer           string // https://id.example.vn, no path
	SigningAlgorithm string // ES256 or RS256
	KeyRotation      time.Duration
	AccessTokenTTL   time.Duration
	IDTokenTTL       time.Duration
	RefreshTokenTTL  time.Duration
	AuthRequestTTL   time.Duration
	// SignInURL is where a browser without a session goes, with
	// ?next=<the login URL>; default /portal/signin. A browser whose
	// session is too old for the request (prompt=login, max_age) goes
	// there with &prompt=login as well: the portal then asks for the
	// password and second factor again although a session exists.
	SignInURL string
	// Now is the clock, for tests; default time.Now.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.SigningAlgorithm == "" {
		o.SigningAlgorithm = "ES256"
	}
	if o.KeyRotation == 0 {
		o.KeyRotation = 30 * 24 * time.Hour
	}
	if o.AccessTokenTTL == 0 {
		o.AccessTokenTTL = 10 * time.Minute
	}
	if o.IDTokenTTL == 0 {
		o.IDTokenTTL = 10 * time.Minute
	}
	if o.RefreshTokenTTL == 0 {
		o.RefreshTokenTTL = 30 * 24 * time.Hour
	}
	if o.AuthRequestTTL == 0 {
		o.AuthRequestTTL = 15 * time.Minute
	}
	if o.SignInURL == "" {
		o.SignInURL = "/portal/signin"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Provider is the OpenID Connect provider.
type Provider struct {
	st       Store
	reg      Registry
	datasets Datasets
	sessions Sessions
	layout   Layout
	orgs     Organisations
	rec      audit.Recorder
	log      *slog.Logger
	opts     Options
	now      func() time.Time

	rpMu    sync.Mutex
	rpCache map[string]cachedRP
	tokens  tokenCache

	op         *op.Provider
	keys       *keyRing
	subjectKey []byte // HMAC key of pairwise subjects
	csrfKey    []byte // HMAC key of the consent form's token
	pages      *pages
}

// Setting names of the instance-wide secrets, agreed on by every process
// through SetSettingIfAbsent.
const (
	settingSecrets = "oidc.secrets"
)

// New builds the provider, creating its secrets and first signing key in
// the store if this is the first process to start.
func New(ctx context.Context, d Deps, o Options) (*Provider, error) {
	o.defaults()
	if d.Store == nil || d.Registry == nil || d.Sessions == nil || d.Recorder == nil {
		return nil, errors.New("oidc: store, registry, sessions and recorder are required")
	}
	if u, err := url.Parse(o.Issuer); err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("oidc: the issuer must be an absolute URL without a path")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Provider{st: d.Store, reg: d.Registry, datasets: d.Datasets, sessions: d.Sessions, layout: d.Layout, orgs: d.Organisations, rec: d.Recorder,
		log: d.Logger, opts: o, now: o.Now}

	// One random value, stored once, from which every secret is derived.
	fresh := make([]byte, 32)
	rand.Read(fresh)
	stored, err := d.Store.SetSettingIfAbsent(ctx, settingSecrets, hex.EncodeToString(fresh))
	if err != nil {
		return nil, fmt.Errorf("oidc: secrets: %w", err)
	}
	master, err := hex.DecodeString(stored)
	if err != nil || len(master) != 32 {
		return nil, errors.New("oidc: the stored secrets are malformed")
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, master)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	p.subjectKey = derive("pairwise subject")
	p.csrfKey = derive("consent csrf")
	var cryptoKey [32]byte
	copy(cryptoKey[:], derive("access token"))

	maxSigned := o.IDTokenTTL + 5*time.Minute
	p.keys = &keyRing{st: d.Store, alg: o.SigningAlgorithm, rotation: o.KeyRotation, keepAfter: maxSigned, now: o.Now}
	if _, err := p.keys.current(ctx); err != nil {
		return nil, err
	}
	if p.pages, err = newPages(); err != nil {
		return nil, err
	}

	cfg := &op.Config{
		CryptoKey:                cryptoKey,
		CryptoKeyId:              "dancu-1",
		DefaultLogoutRedirectURI: LoggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           false,
		AuthMethodPrivateKeyJWT:  true,
		GrantTypeRefreshToken:    true,
		RequestObjectSupported:   false,
		SupportedUILocales:       []language.Tag{language.Vietnamese, language.English},
		SupportedScopes:          ScopeNames(),
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "azp", "sid",
			"at_hash", "c_hash", "name", "family_name", "middle_name", "given_name", "birthdate", "gender",
			"address", "phone_number", "pin", "household", "datasets", "organisation", "act"},
	}
	opOpts := []op.Option{
		op.WithCustomEndpoints(
			op.NewEndpoint(BasePath+"/authorize"), op.NewEndpoint(BasePath+"/token"),
			op.NewEndpoint(BasePath+"/userinfo"), op.NewEndpoint(BasePath+"/revoke"),
			op.NewEndpoint(BasePath+"/end_session"), op.NewEndpoint(BasePath+"/keys")),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint(BasePath + "/introspect")),
		op.WithCustomDeviceAuthorizationEndpoint(op.NewEndpoint(BasePath + "/device_authorization")),
		// AES-256-GCM only: the library's default also accepts its old
		// unauthenticated AES-CFB format, which dancu never issued.
		op.WithCrypto(&decryptCache{inner: op.NewAES256GCMCrypto(cryptoKey, cfg.CryptoKeyId), ttl: o.AccessTokenTTL, now: o.Now}),
	}
	if u, _ := url.Parse(o.Issuer); u.Scheme == "http" {
		opOpts = append(opOpts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(cfg, unavailableStorage{&storage{p: p}}, op.StaticIssuer(trimSlash(o.Issuer)), opOpts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	return p, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string { return trimSlash(p.opts.Issuer) }

// Mount adds the provider's routes to mux: discovery, the protocol's
// endpoints under /oidc/, the sign-in and consent page.
func (p *Provider) Mount(mux *http.ServeMux) {
	proto := secure(p.guard(p.op))
	mux.Handle("GET /.well-known/openid-configuration", secure(http.HandlerFunc(p.discovery)))
	mux.Handle(BasePath+"/", proto)
	mux.Handle("GET "+LoginPath, secure(http.HandlerFunc(p.loginPage)))
	mux.Handle("POST "+LoginPath, secure(http.HandlerFunc(p.consentSubmit)))
	mux.Handle("GET "+LoggedOutPath, secure(http.HandlerFunc(p.loggedOut)))
	mux.Handle("GET "+staticPath, secure(http.StripPrefix(staticPath, http.FileServerFS(staticFS))))
}

// secure sets the security headers every response of the provider carries:
// no framing, no inline script, no sniffing, no referrer to relying parties.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp("'self'"))
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// csp is the pages' Content-Security-Policy; formAction lists where forms
// may be sent, redirects after a submission included.
func csp(formAction string) string {
	return "default-src 'none'; style-src 'self'; img-src 'self'; form-action " + formAction +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// pairwiseSubject is the subject a relying party sees: an HMAC of the PIN
// and its sector, so that two parties cannot join their records on it and
// no party can recover the PIN from it.
func (p *Provider) subjectFor(rp *RP, u User) string {
	if rp.SubjectType == SubjectPublic {
		return u.AccountID
	}
	return p.pairwise(rp, u.PIN)
}

// pairwise is the HMAC of a key (a PIN, an organisation's) in the relying
// party's sector.
func (p *Provider) pairwise(rp *RP, key string) string {
	m := hmac.New(sha256.New, p.subjectKey)
	m.Write([]byte(rp.Sector))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ACR values for the levels.
const (
	ACRLevel1 = "urn:dancu:loa:1"
	ACRLevel2 = "urn:dancu:loa:2"
)

func acrOf(level int) string {
	if level >= 2 {
		return ACRLevel2
	}
	return ACRLevel1
}

// levelOfACR returns the level an acr value names, or 0.
func levelOfACR(v string) int {
	switch v {
	case ACRLevel1:
		return 1
	case ACRLevel2:
		return 2
	}
	return 0
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/config"
	"github.com/dancu/dancu/internal/credential"
	"github.com/dancu/dancu/internal/eid"
	"github.com/dancu/dancu/internal/health"
	"github.com/dancu/dancu/internal/oidc"
	"github.com/dancu/dancu/internal/portal"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/services"
	"github.com/dancu/dancu/internal/sms"
	"github.com/dancu/dancu/internal/store"
)

// newSMS returns the configured SMS sender, or nil when none is. serve
// --demo with no provider configured writes messages to a file in the data
// folder, and says so.
func newSMS(cfg config.Config) (sms.Sender, string) {
	switch cfg.SMS.Provider {
	case config.SMSHTTP:
		return &sms.HTTPSender{URL: cfg.SMS.URL, Token: cfg.SMS.Token.Reveal(), From: cfg.SMS.Sender,
			Client: &http.Client{Timeout: cfg.SMS.Timeout}}, ""
	case config.SMSFile:
		return &sms.FileSender{Path: cfg.SMS.File}, cfg.SMS.File
	}
	if cfg.Demo.Enabled {
		path := filepath.Join(cfg.Data, "sms-outbox.jsonl")
		return &sms.FileSender{Path: path}, path
	}
	return nil, ""
}

// newEID builds the citizens' electronic identification service; grants
// (optional) revokes what relying parties hold for an organisation handed
// to a new representative.
func newEID(cfg config.Config, st store.Store, reg *registry.Registry, rec audit.Recorder, sender sms.Sender, grants eid.Grants, logger *slog.Logger) *eid.Service {
	ec := eid.Config{
		Params: credential.Params{
			Memory: cfg.EID.PasswordMemoryKiB, Time: cfg.EID.PasswordTime, Threads: cfg.EID.PasswordThreads,
			KeyLen: credential.DefaultParams.KeyLen, SaltLen: credential.DefaultParams.SaltLen,
		},
		SessionIdle: cfg.EID.SessionIdle, SessionMax: cfg.EID.SessionMax, Issuer: cfg.EID.Issuer,
		// Behind a proxy that ends TLS the request itself is plain HTTP:
		// an https public URL says the browser's side is TLS.
		SecureCookies: strings.HasPrefix(cfg.OIDC.Issuer, "https://"),
	}
	return eid.New(eid.Deps{Store: st, Nonces: st, People: reg, SMS: sender, Recorder: rec, Grants: grants, Logger: logger}, ec)
}

// oidcSessions adapts eid's sessions to the OpenID Connect provider's.
type oidcSessions struct{ e *eid.Service }

func (s oidcSessions) Current(r *http.Request) (oidc.User, bool) {
	c, ok := s.e.Current(r)
	if !ok {
		return oidc.User{}, false
	}
	return oidc.User{AccountID: c.AccountID, PIN: c.PIN, Level: c.Level, SessionID: c.SessionID, AuthTime: c.AuthTime, AMR: c.AMR}, true
}

// SignOut ends the portal session at the citizen's RP-initiated logout.
func (s oidcSessions) SignOut(w http.ResponseWriter, r *http.Request, u oidc.User) error {
	if err := s.e.SignOut(r.Context(), eid.Citizen{AccountID: u.AccountID, SessionID: u.SessionID}); err != nil {
		return err
	}
	s.e.ClearCookie(w, r)
	return nil
}

// oidcOrganisations tells the OpenID Connect provider which organisations
// a citizen currently represents, from eid's organisation accounts.
type oidcOrganisations struct{ e *eid.Service }

func (o oidcOrganisations) Represented(ctx context.Context, accountID string) ([]oidc.Organisation, error) {
	accts, err := o.e.Organisations(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []oidc.Organisation
	for _, a := range accts {
		if a.Disabled || a.Organisation == nil || a.Representative != accountID {
			continue
		}
		out = append(out, oidc.Organisation{AccountID: a.ID, Name: a.Organisation.Name, TaxCode: a.Organisation.TaxCode})
	}
	return out, nil
}

// servicesSessions adapts eid's sessions to the public services'.
type servicesSessions struct{ e *eid.Service }

func (s servicesSessions) Current(r *http.Request) (services.Citizen, bool) {
	c, ok := s.e.Current(r)
	if !ok {
		return services.Citizen{}, false
	}
	return services.Citizen{AccountID: c.AccountID, PIN: c.PIN, Level: c.Level, SessionID: c.SessionID}, true
}

// servicesSMS is the SMS sender for the public services, nil when none is
// configured (an interface holding a nil pointer would not be nil).
func servicesSMS(s sms.Sender) services.SMS {
	if s == nil {
		return nil
	}
	return s
}

// connectedApps adapts the OpenID Connect provider's consents to the
// portal's connected apps. The provider is set once it is built, after
// the portal (which the provider's pages render in).
type connectedApps struct {
	mu sync.Mutex
	p  *oidc.Provider
}

func (c *connectedApps) provider() *oidc.Provider {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p
}

func (c *connectedApps) set(p *oidc.Provider) {
	c.mu.Lock()
	c.p = p
	c.mu.Unlock()
}

func (c *connectedApps) List(ctx context.Context, cz eid.Citizen) ([]portal.ConnectedApp, error) {
	p := c.provider()
	if p == nil {
		return nil, nil
	}
	apps, err := p.ConnectedApps(ctx, cz.AccountID)
	if err != nil {
		return nil, err
	}
	out := make([]portal.ConnectedApp, len(apps))
	for i, a := range apps {
		scopes := make([]string, len(a.Scopes))
		for j, s := range a.Scopes {
			scopes[j] = s.Name
		}
		out[i] = portal.ConnectedApp{ID: a.ClientID, Name: a.Name, Purpose: a.Purpose, Scopes: scopes, Since: a.GrantedAt}
	}
	return out, nil
}

func (c *connectedApps) Revoke(ctx context.Context, cz eid.Citizen, id string) error {
	p := c.provider()
	if p == nil {
		return nil
	}
	err := p.RevokeApp(ctx, cz.AccountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // already revoked: the page shows the list as it is
	}
	return err
}

// RevokeAccount implements eid.Grants: an organisation handed to a new
// representative keeps no consent or token at any relying party.
func (c *connectedApps) RevokeAccount(ctx context.Context, accountID string) error {
	p := c.provider()
	if p == nil {
		return errors.New("the OpenID Connect provider is not running: the organisation's grants cannot be revoked")
	}
	return p.RevokeAccount(ctx, accountID)
}

// linkedData reads the datasets linked to a person for the portal's "my
// data" at level 2: the citizen's own data, so nothing is recorded in the
// access log.
type linkedData struct{ st store.Store }

func (l linkedData) LinkedRecords(ctx context.Context, pin string) ([]portal.LinkedRecord, error) {
	cov, _, err := l.st.DatasetCoverage(ctx)
	if err != nil {
		return nil, err
	}
	var out []portal.LinkedRecord
	for _, c := range cov {
		recs, err := l.st.DatasetRecordsByPIN(ctx, c.Dataset, pin)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			var attrs map[string]any
			json.Unmarshal(r.Data, &attrs)
			lr := portal.LinkedRecord{Source: c.Dataset, Key: r.Key, Updated: r.UpdatedAt}
			for _, k := range sortedKeys(attrs) {
				lr.Fields = append(lr.Fields, [2]string{k, fmt.Sprint(attrs[k])})
			}
			out = append(out, lr)
		}
	}
	return out, nil
}

// demoCitizen provisions (or, on a later start, resets) a level-2 account
// for a living adult of the demo population, so that a person trying the
// demo can sign in to the portal.
type demoCitizen struct {
	PIN, Password, TOTPSecret string
}

func provisionDemoCitizen(ctx context.Context, e *eid.Service, st store.Store, reg *registry.Registry) (demoCitizen, error) {
	rows, err := st.SearchPersons(ctx, store.PersonQuery{State: string(registry.Alive), Limit: 500})
	if err != nil {
		return demoCitizen{}, err
	}
	now := time.Now().In(registry.Vietnam)
	for _, row := range rows {
		rec, err := reg.Person(ctx, row.PIN, registry.Date{})
		if err != nil {
			return demoCitizen{}, err
		}
		p := rec.Person
		if _, ok := sms.NormalizePhone(p.Phone); !ok || !p.BirthDate.IsFull() || p.BirthDate.AgeAt(now) < 18 {
			continue
		}
		pw := "demo-" + rand.Text()[:12]
		got, err := e.Provision(ctx, p.PIN, pw, eid.Level2, "demo")
		if errors.Is(err, eid.ErrExists) {
			got, err = e.ResetCredentials(ctx, p.PIN, pw, "demo")
		}
		if err != nil {
			return demoCitizen{}, err
		}
		return demoCitizen{PIN: p.PIN, Password: pw, TOTPSecret: got.TOTPSecret}, nil
	}
	return demoCitizen{}, errors.New("demo: no living adult with a phone number among the first people on record")
}

// printDemoCitizen prints the demo citizen's sign-in, to stdout only.
func printDemoCitizen(w io.Writer, base string, d demoCitizen, smsFile string) {
	fmt.Fprintf(w, "  portal:   %s/portal/\n", base)
	if d.PIN == "" {
		return
	}
	fmt.Fprintln(w, "Demo citizen (level 2; synthetic person), for the portal:")
	fmt.Fprintf(w, "  PIN %s, password %s\n", d.PIN, d.Password)
	fmt.Fprintf(w, "  second factor: an authenticator app with secret %s, or \"Send a code by SMS\"\n", d.TOTPSecret)
	if smsFile != "" {
		fmt.Fprintf(w, "  SMS messages (development sender) are written to %s\n", smsFile)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// healthSessions adapts eid's sessions to the health book's.
type healthSessions struct{ e *eid.Service }

func (s healthSessions) Current(r *http.Request) (health.Citizen, bool) {
	c, ok := s.e.Current(r)
	return health.Citizen{PIN: c.PIN, Level: c.Level}, ok
}

// mountCitizenPages mounts the citizens' pages other packages serve under
// /portal/ on their own (the health book), in the portal's layout, and adds
// them and the public services to the portal's navigation. Call it before
// the portal's Mount.
func mountCitizenPages(mux *http.ServeMux, p *portal.Handler, e *eid.Service, book *health.Service) {
	healthPage := book.PortalHandler(healthSessions{e}, func(w http.ResponseWriter, r *http.Request, title string, body template.HTML) {
		// The book's handler may have set a status (403 for a level-1
		// account) before asking for the layout.
		st := http.StatusOK
		if k, ok := w.(*statusKeeper); ok {
			if k.status != 0 {
				st = k.status
			}
			k.sent, w = true, k.ResponseWriter
		}
		p.RenderPortal(w, r, st, title, body)
	})
	mux.Handle("GET "+health.PortalPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := &statusKeeper{ResponseWriter: w}
		healthPage.ServeHTTP(k, r)
		if !k.sent && k.status != 0 {
			w.WriteHeader(k.status)
		}
	}))
	p.AddLink(portal.Link{Href: services.PortalPrefix, SignIn: true,
		Label: map[string]string{"vi": "Dịch vụ công", "en": "Public services"}})
	p.AddLink(portal.Link{Href: health.PortalPath, SignIn: true,
		Label: map[string]string{"vi": "Sổ sức khoẻ", "en": "Health book"}})
}

// statusKeeper holds back a status set before a page is rendered in the
// portal's layout, which writes the status itself; any other write sends
// it first.
type statusKeeper struct {
	http.ResponseWriter
	status int
	sent   bool
}

func (k *statusKeeper) WriteHeader(code int) {
	if k.status == 0 {
		k.status = code
	}
}

func (k *statusKeeper) Write(b []byte) (int, error) {
	if !k.sent {
		k.sent = true
		if k.status != 0 {
			k.ResponseWriter.WriteHeader(k.status)
		}
	}
	return k.ResponseWriter.Write(b)
}

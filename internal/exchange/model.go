package exchange

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/dancu/dancu/internal/registry"
)

// Directory kinds of the documents this package owns.
const (
	kindAgency = "agency"
	kindClient = "client"
	kindGrant  = "grant"
)

// Status is whether an agency or client may act.
type Status string

// The statuses. A disabled agency's clients are refused like disabled
// clients; nothing is ever deleted, so that the access log keeps its
// meaning.
const (
	Active   Status = "active"
	Disabled Status = "disabled"
)

// AgencyKinds are the kinds of connected agencies.
var AgencyKinds = []string{"ministry", "province", "police", "bank", "carrier", "hospital", "insurer", "court", "other"}

// Agency is a connected organisation: a ministry, a province, a bank.
type Agency struct {
	ID        string    `json:"id" doc:"Short stable identifier, such as vss or bank-vcb."`
	Name      string    `json:"name"`
	Kind      string    `json:"kind" enum:"ministry,province,police,bank,carrier,hospital,insurer,court,other"`
	Status    Status    `json:"status" enum:"active,disabled"`
	CreatedAt time.Time `json:"created_at"`
	Version   int64     `json:"version"`
}

// Client is one API client of an agency: one system that calls dancu. Its
// public keys form a JWKS; several keys at once, selected by kid, let the
// agency roll keys over without downtime.
type Client struct {
	ID        string        `json:"client_id"`
	Agency    string        `json:"agency"`
	Name      string        `json:"name"`
	Status    Status        `json:"status" enum:"active,disabled"`
	JWKS      JSONWebKeySet `json:"jwks" doc:"The client's public keys (RFC 7517 JWK Set). Every key needs a kid."`
	CreatedAt time.Time     `json:"created_at"`
	Version   int64         `json:"version"`
}

// Grant is what one agency may do for one purpose. Every request names its
// purpose; without a grant for it, nothing is released.
type Grant struct {
	Agency     string `json:"agency"`
	Purpose    string `json:"purpose" doc:"Purpose code, such as social-insurance.enrolment."`
	LegalBasis string `json:"legal_basis" doc:"The legal text that allows this use."`
	// Fields are the registry fields released (API names, such as
	// full_name); pin and status are always released with any of them.
	Fields []string `json:"fields"`
	// EventTypes are the life events the agency may receive for this
	// purpose (the change feed uses them).
	EventTypes []string `json:"event_types,omitempty"`
	// Datasets are the other agencies' linked datasets it may read, by name.
	Datasets []string `json:"datasets,omitempty"`
	// DemographicCheck allows yes/no checks of submitted attributes.
	DemographicCheck bool `json:"demographic_check"`
	// MatchStrategies are the strategies of demographic verification
	// (/v1/verify/demographic) the grant allows: "exact", "partial". Empty
	// means exact only, when DemographicCheck is set.
	MatchStrategies []string `json:"match_strategies,omitempty" doc:"Strategies of demographic verification allowed: exact, partial (default: exact when demographic_check is set)."`
	// PartialDailyLimit bounds the partial-match verifications of the
	// agency per day (UTC) under this grant; 0 means the server's default.
	PartialDailyLimit int `json:"partial_daily_limit,omitempty" minimum:"0" doc:"Partial-match verifications allowed per day (UTC); 0: the server's default."`
	// BulkVerification allows bulk verification jobs (subscriber lists).
	BulkVerification bool      `json:"bulk_verification,omitempty" doc:"Allows bulk verification jobs (/v1/verify/jobs)."`
	Status           Status    `json:"status" enum:"active,disabled"`
	UpdatedAt        time.Time `json:"updated_at"`
	Version          int64     `json:"version"`
}

func grantID(agency, purpose string) string { return agency + "/" + purpose }

// idPattern is the form of agency and client ids and purpose codes: they
// appear in URLs, JWT claims and log lines, so they stay plain ASCII.
var (
	idPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	purposePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)
)

// ErrInvalid wraps every validation failure of an agency, client or grant.
var ErrInvalid = errors.New("exchange: invalid")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func (a *Agency) validate() error {
	var errs []error
	if !idPattern.MatchString(a.ID) {
		errs = append(errs, invalidf("id must be 1-63 lower-case letters, digits, '.', '_' or '-'"))
	}
	if a.Name == "" || len(a.Name) > 300 {
		errs = append(errs, invalidf("name is required (at most 300 bytes)"))
	}
	if !slices.Contains(AgencyKinds, a.Kind) {
		errs = append(errs, invalidf("kind must be one of %v", AgencyKinds))
	}
	if a.Status != Active && a.Status != Disabled {
		errs = append(errs, invalidf("status must be active or disabled"))
	}
	return errors.Join(errs...)
}

func (c *Client) validate() error {
	var errs []error
	if !idPattern.MatchString(c.ID) {
		errs = append(errs, invalidf("client_id must be 1-63 lower-case letters, digits, '.', '_' or '-'"))
	}
	if c.Name == "" || len(c.Name) > 300 {
		errs = append(errs, invalidf("name is required (at most 300 bytes)"))
	}
	if c.Status != Active && c.Status != Disabled {
		errs = append(errs, invalidf("status must be active or disabled"))
	}
	if err := c.JWKS.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (g *Grant) validate() error {
	var errs []error
	if !purposePattern.MatchString(g.Purpose) {
		errs = append(errs, invalidf("purpose must be 1-100 lower-case letters, digits, '.', '_' or '-'"))
	}
	if g.LegalBasis == "" || len(g.LegalBasis) > 2000 {
		errs = append(errs, invalidf("legal_basis is required (at most 2000 bytes)"))
	}
	for _, f := range g.Fields {
		if !IsField(f) {
			errs = append(errs, invalidf("fields: %q is not a registry field", f))
		}
	}
	for _, t := range g.EventTypes {
		if !registry.KnownEventType(t) {
			errs = append(errs, invalidf("event_types: %q is not a life-event type", t))
		}
	}
	for _, m := range g.MatchStrategies {
		if m != "exact" && m != "partial" {
			errs = append(errs, invalidf("match_strategies: %q is not exact or partial", m))
		}
	}
	if g.PartialDailyLimit < 0 {
		errs = append(errs, invalidf("partial_daily_limit must not be negative"))
	}
	for _, d := range g.Datasets {
		if !idPattern.MatchString(d) {
			errs = append(errs, invalidf("datasets: %q is not a dataset name", d))
		}
	}
	if g.Status != Active && g.Status != Disabled {
		errs = append(errs, invalidf("status must be active or disabled"))
	}
	return errors.Join(errs...)
}

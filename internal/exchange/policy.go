package exchange

import (
	"slices"
)

// Reason says why Evaluate decided as it did. Reasons are stable codes:
// clients see them in error details and tests compare them.
type Reason string

// The reasons. Only ReasonAllowed allows anything.
const (
	ReasonAllowed         Reason = "allowed"
	ReasonPurposeMissing  Reason = "purpose_missing"   // 400
	ReasonNoGrant         Reason = "no_grant"          // 403: the agency has no active grant for the purpose
	ReasonUnknownField    Reason = "unknown_field"     // 400: a requested name is not a registry field
	ReasonFieldNotGranted Reason = "field_not_granted" // 403
	ReasonCheckNotGranted Reason = "check_not_granted" // 403: the grant does not allow attribute checks
	ReasonNoAgency        Reason = "no_agency"         // 403: the caller belongs to no agency
)

// Request is what a caller asks for, as Evaluate sees it.
type Request struct {
	Agency  string   // the caller's agency, from its access token
	Purpose string   // the purpose the request names
	Fields  []string // the fields explicitly asked for; empty means every granted field
	Check   bool     // a yes/no attribute check rather than a read
}

// Decision is the outcome of Evaluate.
type Decision struct {
	Allow bool
	// Fields are the fields to release besides pin and status, sorted; nil
	// when nothing is allowed or for a check.
	Fields []string
	// Grant is the grant that allowed the request; nil when denied.
	Grant  *Grant
	Reason Reason
	// Field names the first requested field at fault, for the error detail.
	Field string
}

// Evaluate decides a request against grants. It denies by default: only an
// active grant of the caller's own agency for exactly the named purpose
// allows anything, and then only the fields that grant lists. Grants of any
// other agency are ignored even if passed in, so that a caller's mistake in
// loading grants cannot leak another agency's rights.
func Evaluate(grants []Grant, req Request) Decision {
	if req.Agency == "" {
		return Decision{Reason: ReasonNoAgency}
	}
	if req.Purpose == "" {
		return Decision{Reason: ReasonPurposeMissing}
	}
	var g *Grant
	for i := range grants {
		if grants[i].Agency == req.Agency && grants[i].Purpose == req.Purpose && grants[i].Status == Active {
			g = &grants[i]
			break
		}
	}
	if g == nil {
		return Decision{Reason: ReasonNoGrant}
	}
	if req.Check {
		if !g.DemographicCheck {
			return Decision{Reason: ReasonCheckNotGranted}
		}
		return Decision{Allow: true, Grant: g, Reason: ReasonAllowed}
	}
	var fields []string
	if len(req.Fields) == 0 {
		for _, f := range g.Fields {
			if IsField(f) {
				fields = append(fields, f)
			}
		}
	} else {
		for _, f := range req.Fields {
			if f == FieldPIN || f == FieldStatus {
				continue // always released; asking for them is harmless
			}
			if !IsField(f) {
				return Decision{Reason: ReasonUnknownField, Field: f}
			}
			if !slices.Contains(g.Fields, f) {
				return Decision{Reason: ReasonFieldNotGranted, Field: f}
			}
			fields = append(fields, f)
		}
	}
	slices.Sort(fields)
	fields = slices.Compact(fields)
	return Decision{Allow: true, Fields: fields, Grant: g, Reason: ReasonAllowed}
}

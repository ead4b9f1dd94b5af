package api

import (
	"context"

	"github.com/dancu/dancu/internal/auth"
)

// ClientReader answers the reads of agencies' API clients: it applies the
// purpose-bound, field-level policy and records the access before it
// answers. Package exchange implements it; the registry handlers hand every
// client principal's read to it, so that no client ever sees the officers'
// unfiltered view.
type ClientReader interface {
	// ReadCitizen returns the body of GET /v1/citizens/{pin} for a client:
	// only the fields its grant releases, plus the PIN and life status. Its
	// errors are huma status errors (400, 403, 404, 503).
	ReadCitizen(ctx context.Context, p auth.Principal, req ClientRead) (any, error)
}

// ClientRead is a client's request for one person's record.
type ClientRead struct {
	PIN     string
	Purpose string // from the purpose query parameter or the X-Purpose header
	CaseRef string // X-Case-Reference, if any
	Fields  string // the fields query parameter: comma-separated, "" for all granted
}

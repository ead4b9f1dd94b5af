package api

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/jsonscan"
)

// PurposeAdministration is the purpose recorded for the registry API's
// officers and administrators: they keep the registry, and need no purpose
// per request as agencies do.
const PurposeAdministration = "registry.administration"

// recordAccess records that the caller read or wrote the listed people's
// fields, and returns once the entries are durable. It must run before any
// of the data is answered: when it fails the request answers 503 with no
// data, since an access that cannot be accounted for must not happen.
func (h *RegistryHandler) recordAccess(ctx context.Context, action string, fields []string, pins ...string) error {
	if len(pins) == 0 {
		return nil
	}
	p, ok := auth.FromContext(ctx)
	if !ok {
		return errNoPrincipal
	}
	as := make([]audit.Access, len(pins))
	for i, pin := range pins {
		as[i] = audit.Access{
			ActorKind: p.Kind, Actor: p.ID, Purpose: PurposeAdministration,
			PIN: pin, Fields: fields, Action: action, RequestID: RequestID(ctx),
		}
	}
	if err := h.rec.Record(ctx, as...); err != nil {
		recordError(ctx, err)
		return huma.Error503ServiceUnavailable("The access could not be recorded; no data was released.")
	}
	return nil
}

// topLevelFields returns the names of the top-level JSON fields v encodes
// with a value: what an answer carrying v releases. It runs on every read of
// a person, so it walks the encoding once instead of decoding it again.
func topLevelFields(v any) []string {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return releasedFields(b)
}

// releasedFields lists the keys of the JSON object b whose values are not
// null, "", [] or {}, sorted. b must be valid JSON, as json.Marshal makes it;
// anything but an object gives nil.
func releasedFields(b []byte) []string {
	var buf [48]jsonscan.Member
	ms, err := jsonscan.Members(b, buf[:0])
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range ms {
		switch string(m.Raw) {
		case "null", `""`, "[]", "{}":
		default:
			out = append(out, m.Name)
		}
	}
	slices.Sort(out)
	return out
}

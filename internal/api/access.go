package api

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dancu/dancu/internal/audit"
	"github.com/dancu/dancu/internal/auth"
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
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	var out []string
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			break // '}' or malformed
		}
		end := skipValue(b, i)
		if end > len(b) {
			return nil
		}
		key := string(b[i+1 : end-1])
		if bytes.IndexByte(b[i:end], '\\') >= 0 && json.Unmarshal(b[i:end], &key) != nil {
			return nil
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil
		}
		start := skipSpace(b, i+1)
		end = skipValue(b, start)
		if end > len(b) {
			return nil
		}
		switch string(b[start:end]) {
		case "null", `""`, "[]", "{}":
		default:
			out = append(out, key)
		}
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
	slices.Sort(out)
	return out
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value that starts at i:
// a string, an object or array (brackets counted outside strings), or a
// literal or number (up to the next delimiter).
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	depth := 0
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

package api

import (
	"encoding/base64"
	"encoding/json"

	"github.com/dancu/dancu/internal/registry"
)

// wireCursor is the JSON inside a search cursor. Short keys keep cursors
// short in URLs.
type wireCursor struct {
	Key string `json:"k,omitempty"`
	PIN string `json:"p"`
}

// encodeCursor makes a registry cursor opaque for clients: base64url of its
// JSON, so that clients pass it back rather than build one. The zero cursor
// (no next page) encodes as "".
func encodeCursor(c registry.Cursor) string {
	if c == (registry.Cursor{}) {
		return ""
	}
	b, _ := json.Marshal(wireCursor{Key: c.Key, PIN: c.PIN})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reverses encodeCursor; anything else is an Invalid cursor.
func decodeCursor(s string) (registry.Cursor, error) {
	if s == "" {
		return registry.Cursor{}, nil
	}
	bad := &registry.Error{Kind: registry.Invalid, Field: "cursor", Reason: "not a cursor returned by this API"}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return registry.Cursor{}, bad
	}
	var w wireCursor
	if err := json.Unmarshal(b, &w); err != nil || w.PIN == "" {
		return registry.Cursor{}, bad
	}
	if registry.CheckPIN("cursor", w.PIN) != nil {
		return registry.Cursor{}, bad
	}
	return registry.Cursor{Key: w.Key, PIN: w.PIN}, nil
}

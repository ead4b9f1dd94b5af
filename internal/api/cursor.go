package api

import (
	"encoding/json"

	"github.com/dancu/dancu/internal/auth"
	"github.com/dancu/dancu/internal/registry"
)

// cursorPurpose separates sealed cursors from any other sealed value.
const cursorPurpose = "search-cursor"

// wireCursor is the JSON inside a search cursor. Short keys keep cursors
// short in URLs.
type wireCursor struct {
	Key string `json:"k,omitempty"`
	PIN string `json:"p"`
}

// EncodeCursor makes a registry search cursor opaque for clients: sealed
// (encrypted and authenticated) with a, because it holds the last result's
// name key and PIN and travels in URLs. The zero cursor (no next page)
// encodes as "". The console's next-page links use it too.
func EncodeCursor(a *auth.Authenticator, c registry.Cursor) string {
	if c == (registry.Cursor{}) {
		return ""
	}
	b, _ := json.Marshal(wireCursor{Key: c.Key, PIN: c.PIN})
	return a.Seal(cursorPurpose, b)
}

// DecodeCursor reverses EncodeCursor; anything else is an Invalid cursor
// naming field.
func DecodeCursor(a *auth.Authenticator, field, s string) (registry.Cursor, error) {
	if s == "" {
		return registry.Cursor{}, nil
	}
	bad := &registry.Error{Kind: registry.Invalid, Field: field, Reason: "not a cursor returned by this server"}
	b, ok := a.Open(cursorPurpose, s)
	if !ok {
		return registry.Cursor{}, bad
	}
	var w wireCursor
	if err := json.Unmarshal(b, &w); err != nil || registry.CheckPIN(field, w.PIN) != nil {
		return registry.Cursor{}, bad
	}
	return registry.Cursor{Key: w.Key, PIN: w.PIN}, nil
}

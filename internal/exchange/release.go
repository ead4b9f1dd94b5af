package exchange

import (
	"encoding/json"

	"github.com/dancu/dancu/internal/registry"
)

// FilterPerson returns the fields of p that a decision releases, as a JSON
// object: pin and status always, then each of fields that has a value. It
// is the same filter the lookups apply, exported for the change feeds,
// which release people outside a lookup request.
func FilterPerson(p *registry.Person, fields []string) (map[string]json.RawMessage, error) {
	return filterPerson(p, fields)
}

// Released lists the fields a decision releases, for the access log: status
// always (the PIN is the entry's subject), then the decision's fields.
func Released(d Decision) []string { return released(d) }

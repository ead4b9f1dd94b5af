package exchange

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/dancu/dancu/internal/registry"
)

// Fields always released with a person: the PIN names the record, and the
// law requires every answer to say whether the person is alive, dead or
// missing.
const (
	FieldPIN    = "pin"
	FieldStatus = "status"
)

// personFields maps each top-level field of registry.Person, by its API
// name, to its index in the struct. It is built from the JSON tags so that
// a field added to the registry is grantable under the name clients see.
var personFields = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeFor[registry.Person]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}()

// IsField reports whether name is a registry field a grant can release.
func IsField(name string) bool {
	_, ok := personFields[name]
	return ok && name != FieldPIN && name != FieldStatus
}

// FieldNames returns the grantable registry fields in sorted order.
func FieldNames() []string {
	var out []string
	for n := range personFields {
		if IsField(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// ParseFields parses the fields parameter: comma-separated names, spaces
// around them ignored, duplicates dropped. It does not judge the names;
// Evaluate does, so that an unknown name and an ungranted one get one answer.
func ParseFields(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part != "" && !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	return out
}

// filterPerson returns p's released fields as a JSON object: pin and status
// always, then each field of fields that has a value. A field the person
// has no value for is left out, as in the full record.
func filterPerson(p *registry.Person, fields []string) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(fields)+2)
	v := reflect.ValueOf(p).Elem()
	for _, name := range append([]string{FieldPIN, FieldStatus}, fields...) {
		i, ok := personFields[name]
		if !ok {
			continue
		}
		f := v.Field(i)
		if f.IsZero() && name != FieldStatus {
			continue
		}
		b, err := json.Marshal(f.Interface())
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dancu/dancu/internal/registry"
)

// pathSeg is one step of a path into a JSON document: a member name, or an
// array index when Name is empty.
type pathSeg struct {
	Name  string
	Index int
}

// fieldChange is one leaf of a JSON document that differs between two
// versions. Before or After is nil when the leaf was added or removed.
type fieldChange struct {
	Path   []pathSeg
	Before any
	After  any
}

// leaf is a scalar of a flattened document.
type leaf struct {
	path []pathSeg
	val  any
}

// diffJSON compares two JSON documents leaf by leaf. Comparing leaves rather
// than whole fields shows an officer exactly what an event changed (the
// commune of a residence, the status of one card) and needs no knowledge of
// the record model, so it keeps working as the model grows. Results follow
// order, the member names of the top level in display order; names outside
// it come last.
func diffJSON(before, after []byte, order []string) ([]fieldChange, error) {
	a, err := flatten(before)
	if err != nil {
		return nil, err
	}
	b, err := flatten(after)
	if err != nil {
		return nil, err
	}
	type pair struct {
		path          []pathSeg
		before, after any
		hasB, hasA    bool
	}
	byKey := map[string]*pair{}
	var keys []string
	add := func(l leaf, isAfter bool) {
		k := pathKey(l.path)
		p, ok := byKey[k]
		if !ok {
			p = &pair{path: l.path}
			byKey[k] = p
			keys = append(keys, k)
		}
		if isAfter {
			p.after, p.hasA = l.val, true
		} else {
			p.before, p.hasB = l.val, true
		}
	}
	for _, l := range a {
		add(l, false)
	}
	for _, l := range b {
		add(l, true)
	}
	rank := func(k string) int {
		top := byKey[k].path[0].Name
		if i := slices.Index(order, top); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(keys, func(x, y string) int {
		if rx, ry := rank(x), rank(y); rx != ry {
			return rx - ry
		}
		return strings.Compare(x, y)
	})
	var out []fieldChange
	for _, k := range keys {
		p := byKey[k]
		if p.hasA && p.hasB && p.before == p.after {
			continue
		}
		out = append(out, fieldChange{Path: p.path, Before: p.before, After: p.after})
	}
	return out, nil
}

// pathKey is a sortable key of a path: indexes are zero-padded so that
// children[10] sorts after children[9].
func pathKey(path []pathSeg) string {
	var b strings.Builder
	for _, s := range path {
		if s.Name != "" {
			b.WriteString("." + s.Name)
		} else {
			fmt.Fprintf(&b, "[%06d]", s.Index)
		}
	}
	return b.String()
}

// flatten lists the scalar leaves of a JSON document. Numbers are kept as
// json.Number so that comparison is exact; empty objects and arrays have no
// leaves, which makes an omitted field and an empty one the same.
func flatten(doc []byte) ([]leaf, error) {
	if len(doc) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("web: diff: %w", err)
	}
	var out []leaf
	var walk func(path []pathSeg, v any)
	walk = func(path []pathSeg, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(append(slices.Clip(path), pathSeg{Name: k}), e)
			}
		case []any:
			for i, e := range x {
				walk(append(slices.Clip(path), pathSeg{Index: i}), e)
			}
		case nil:
			// null is absence, as omitempty would have it.
		case json.Number:
			out = append(out, leaf{path, string(x)})
		default:
			out = append(out, leaf{path, x})
		}
	}
	walk(nil, v)
	return out, nil
}

// jsonOrder returns the JSON member names of a struct type in declaration
// order: the order fields appear on the record page.
func jsonOrder(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

var personOrder = sync.OnceValue(func() []string { return jsonOrder(reflect.TypeFor[registry.Person]()) })

// change is a field change as displayed in the history.
type change struct {
	Field  string
	Before string
	After  string
}

// fieldLabel names a path with the record page's labels: "Nơi thường trú ›
// Xã/phường", "Giấy tờ tùy thân #2 › Tình trạng".
// A step labelled like its parent is left out: status.state is just
// "Tình trạng", not "Tình trạng › Tình trạng".
func (v viewer) fieldLabel(path []pathSeg) string {
	var b strings.Builder
	prev := ""
	for i, s := range path {
		if s.Name == "" {
			b.WriteString(" #" + strconv.Itoa(s.Index+1))
			prev = ""
			continue
		}
		l := v.c.label("field.", s.Name)
		if l == prev {
			continue
		}
		if i > 0 {
			b.WriteString(" › ")
		}
		b.WriteString(l)
		prev = l
	}
	return b.String()
}

// dateFields are the member names whose values are dates.
var dateFields = []string{"birth_date", "valid_from", "valid_to", "from", "to", "issue_date", "expiry", "date", "dissolved"}

// diffValue shows a leaf's value as the record page would: dates in the
// language's format, codes with their names, booleans as yes or no.
func (v viewer) diffValue(path []pathSeg, val any) string {
	switch x := val.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return v.c.T("value.yes")
		}
		return v.c.T("value.no")
	case string:
		name := lastName(path)
		switch {
		case slices.Contains(dateFields, name):
			if d, err := registry.ParseDate(x); err == nil {
				return v.c.Date(d)
			}
		case name == "sex":
			return v.c.label("sex.", x)
		case name == "state":
			return v.c.label("state.", x)
		case name == "marital_status":
			return v.c.label("marital.", x)
		case name == "relationship_to_head" || name == "relationship":
			return v.c.label("rel.", x)
		case name == "kind":
			return v.c.label("doc.", x)
		case name == "status":
			return v.c.label("docstatus.", x)
		case name == "ethnicity":
			return v.ethnicity(x) + " (" + x + ")"
		case name == "nationality" || name == "country":
			return v.country(x)
		case name == "province":
			return x + " · " + v.province(x, v.today)
		case name == "commune":
			return x + " · " + v.commune(x, v.today)
		}
		return x
	}
	return fmt.Sprint(val)
}

// lastName is the member name a leaf is stored under ("" inside an array of
// scalars such as linked_pins).
func lastName(path []pathSeg) string {
	if n := len(path); n > 0 {
		return path[n-1].Name
	}
	return ""
}

// changes displays a diff.
func (v viewer) changes(fcs []fieldChange) []change {
	out := make([]change, 0, len(fcs))
	for _, fc := range fcs {
		out = append(out, change{
			Field:  v.fieldLabel(fc.Path),
			Before: v.diffValue(fc.Path, fc.Before),
			After:  v.diffValue(fc.Path, fc.After),
		})
	}
	return out
}

package feed

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/jsonscan"
	"github.com/dancu/dancu/internal/registry"
	"github.com/dancu/dancu/internal/store"
)

var stringType = reflect.TypeFor[string]()

// personField is a top-level field of registry.Person by its JSON name.
type personField struct {
	index int
	typ   reflect.Type
}

// personFields maps each top-level JSON name of registry.Person to its
// field, built from the JSON tags as exchange does for the grants.
var personFields = func() map[string]personField {
	m := map[string]personField{}
	t := reflect.TypeFor[registry.Person]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = personField{index: i, typ: t.Field(i).Type}
		}
	}
	return m
}()

// releasedSorted returns the names of the person's released fields, pin
// and status included, in the order json.Marshal writes a map's keys
// (sorted), worked out once per policy.
func (p *policy) releasedSorted() []string {
	if s := p.sorted.Load(); s != nil {
		return *s
	}
	names := append([]string{exchange.FieldPIN, exchange.FieldStatus}, p.fields...)
	slices.Sort(names)
	names = slices.Compact(names)
	p.sorted.Store(&names)
	return names
}

// webhookMessage returns the body a receiver gets for an outbox row: the
// bytes webhookBody(row, p.event(row)) gives, made without decoding the
// whole person. The person's top-level members are found by a scan and
// only the released ones are decoded (each into its registry.Person field,
// then encoded again exactly as FilterPerson does), which is most of the
// cost of a message saved on a full record. A document the scan does not
// take as it is — a member name that is not exactly one of the expected
// ones, a repeated member, a missing or null person — goes the old way, so
// the scan never has to match the decoder on anything unusual. One
// difference is deliberate: a value the decoder would refuse in a field the
// agency does not receive no longer holds the message back.
func (p *policy) webhookMessage(row *store.OutboxRow) ([]byte, error) {
	if b, ok := p.webhookMessageFast(row); ok {
		return b, nil
	}
	ev, err := p.event(row)
	if err != nil {
		return nil, err
	}
	return webhookBody(row, ev)
}

// outboxFields are the top-level members of an outbox document.
var outboxFields = []string{"event_id", "event_type", "effective_date", "version", "person"}

func (p *policy) webhookMessageFast(row *store.OutboxRow) ([]byte, bool) {
	if !json.Valid(row.Data) {
		return nil, false
	}
	var top [5][]byte // by outboxFields' order
	var buf [8]jsonscan.Member
	members, err := jsonscan.Members(row.Data, buf[:0])
	if err != nil {
		return nil, false
	}
	for _, m := range members {
		i := slices.Index(outboxFields, m.Name)
		if i < 0 || top[i] != nil {
			return nil, false
		}
		top[i] = m.Raw
	}
	if top[4] == nil || top[4][0] != '{' {
		return nil, false // no person, or null: the decoder's error
	}
	var eventID, eventType string
	var version int64
	if top[0] != nil && !decodeString(top[0], &eventID) {
		return nil, false
	}
	if top[1] != nil && !decodeString(top[1], &eventType) {
		return nil, false
	}
	if top[3] != nil && !decodeInt(top[3], &version) {
		return nil, false
	}
	var pbuf [48]jsonscan.Member
	person, err := jsonscan.Members(top[4], pbuf[:0])
	if err != nil {
		return nil, false
	}
	for i, m := range person {
		if _, known := personFields[m.Name]; !known {
			return nil, false
		}
		for _, n := range person[:i] {
			if n.Name == m.Name {
				return nil, false
			}
		}
	}

	out := make([]byte, 0, 256+len(row.Data)/2)
	out = append(out, `{"type":`...)
	out = appendJSON(out, "person."+eventType)
	out = append(out, `,"timestamp":`...)
	ts, err := row.CreatedAt.UTC().MarshalJSON()
	if err != nil {
		return nil, false
	}
	out = append(out, ts...)
	out = append(out, `,"data":{"seq":`...)
	out = strconv.AppendInt(out, row.Seq, 10)
	out = append(out, `,"event_id":`...)
	out = appendJSON(out, eventID)
	out = append(out, `,"event_type":`...)
	out = appendJSON(out, eventType)
	out = append(out, `,"effective_date":`...)
	if top[2] == nil {
		out = append(out, "null"...)
	} else {
		// As json.Marshal writes a RawMessage: compacted, HTML-escaped.
		b, err := json.Marshal(json.RawMessage(top[2]))
		if err != nil {
			return nil, false
		}
		out = append(out, b...)
	}
	out = append(out, `,"version":`...)
	out = strconv.AppendInt(out, version, 10)
	out = append(out, `,"person":{`...)
	first := true
	for _, name := range p.releasedSorted() {
		f, known := personFields[name]
		if !known {
			continue // as FilterPerson: a grant's unknown name releases nothing
		}
		if f.typ == stringType {
			// A plain string field (most of a grant): no reflection, and
			// encoded as json.Marshal encodes a string.
			var str string
			for _, m := range person {
				if m.Name == name {
					if !decodeString(m.Raw, &str) {
						return nil, false
					}
					break
				}
			}
			if str == "" && name != exchange.FieldStatus {
				continue
			}
			if !first {
				out = append(out, ',')
			}
			first = false
			out = appendJSON(out, name)
			out = append(out, ':')
			out = appendJSON(out, str)
			continue
		}
		v := reflect.New(f.typ)
		for _, m := range person {
			if m.Name == name {
				if json.Unmarshal(m.Raw, v.Interface()) != nil {
					return nil, false
				}
				break
			}
		}
		if v.Elem().IsZero() && name != exchange.FieldStatus {
			continue
		}
		b, err := json.Marshal(v.Elem().Interface())
		if err != nil {
			return nil, false
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = appendJSON(out, name)
		out = append(out, ':')
		out = append(out, b...)
	}
	out = append(out, "}}}"...)
	return out, true
}

// decodeString decodes a valid JSON value into a string as json.Unmarshal
// does; a plain string (no escape, valid UTF-8) is taken as it is, without
// the decoder's fixed cost.
func decodeString(raw []byte, dst *string) bool {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		*dst = string(raw[1 : len(raw)-1])
		return true
	}
	return json.Unmarshal(raw, dst) == nil
}

// decodeInt decodes a valid JSON value into an int64 as json.Unmarshal does:
// digits with an optional minus sign parse directly; anything else (a
// fraction, an exponent, out of range) goes to the decoder, which refuses it.
func decodeInt(raw []byte, dst *int64) bool {
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		*dst = n
		return true
	}
	return json.Unmarshal(raw, dst) == nil
}

// appendJSON appends s as json.Marshal encodes a string (HTML-escaped).
func appendJSON(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...)
}

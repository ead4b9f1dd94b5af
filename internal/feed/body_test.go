package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/exchange"
	"github.com/dancu/dancu/internal/store"
	"github.com/dancu/dancu/internal/synth"
)

// oldWebhookBody is the body as the relay made it before webhookMessage:
// the whole document decoded, the person filtered, the body encoded.
func oldWebhookBody(p *policy, row *store.OutboxRow) ([]byte, error) {
	ev, err := p.event(row)
	if err != nil {
		return nil, err
	}
	return webhookBody(row, ev)
}

// testPolicies are grants releasing nothing beyond pin and status, a few
// fields, every field, and a name that is no field.
func testPolicies() []*policy {
	return []*policy{
		{fields: nil},
		{fields: []string{"full_name", "birth_date"}},
		{fields: []string{"permanent_residence", "father", "documents", "status", "pin", "phone"}},
		{fields: append(exchange.FieldNames(), "no_such_field")},
	}
}

// TestWebhookMessage_matchesDecoding: for synthetic people with every kind
// of record (residences, relatives, documents, the dead and the old), the
// scan's body is the decoder's, byte for byte, under several grants, and it
// took the scan's path.
func TestWebhookMessage_matchesDecoding(t *testing.T) {
	var docs [][]byte
	_, err := synth.Batches(context.Background(), synth.Options{Citizens: 300, Seed: 7, Workers: 1}, func(b store.Batch) error {
		for _, pv := range b.Persons {
			docs = append(docs, pv.Data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 300 {
		t.Fatalf("%d person documents", len(docs))
	}
	at := time.Date(2026, 11, 28, 1, 2, 3, 456789000, time.FixedZone("ICT", 7*3600))
	for i, person := range docs {
		data := fmt.Appendf(nil, `{"event_id":"ev<%d>&","event_type":"death","effective_date":"2026-0%d","version":%d,"person":%s}`,
			i, 1+i%9, i, person)
		row := &store.OutboxRow{Seq: int64(i + 1), EventType: "death", PIN: "x", Data: data, CreatedAt: at}
		for j, pol := range testPolicies() {
			want, err := oldWebhookBody(pol, row)
			if err != nil {
				t.Fatalf("person %d: old body: %v", i, err)
			}
			got, ok := pol.webhookMessageFast(row)
			if !ok {
				t.Fatalf("person %d, policy %d: the scan fell back on a registry document", i, j)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("person %d, policy %d:\n got %s\nwant %s", i, j, got, want)
			}
		}
	}
}

// TestWebhookMessage_escapedName: a member name with an escape is decoded,
// as encoding/json decodes it, and the scan's body is the decoder's.
func TestWebhookMessage_escapedName(t *testing.T) {
	pol := &policy{fields: []string{"full_name"}}
	doc := `{"event_id":"e","event_type":"death","version":1,"person":{"full_n\u0061me":"A"}}`
	row := &store.OutboxRow{Seq: 3, EventType: "death", Data: []byte(doc), CreatedAt: time.Unix(1, 0)}
	got, ok := pol.webhookMessageFast(row)
	want, err := oldWebhookBody(pol, row)
	if !ok || err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s: got %s (%v), want %s (%v)", doc, got, ok, want, err)
	}
}

// TestWebhookMessage_fallsBack: documents the scan does not take as they
// are go the decoder's way, with the decoder's answer.
func TestWebhookMessage_fallsBack(t *testing.T) {
	pol := &policy{fields: []string{"full_name"}}
	for _, doc := range []string{
		`{"event_id":"e","event_type":"death","version":1,"person":null}`,
		`{"event_id":"e","event_type":"death","version":1}`,
		`{"EVENT_ID":"e","event_type":"death","version":1,"person":{"pin":"1"}}`,
		`{"event_id":"e","event_type":"death","version":1,"person":{"PIN":"1","full_name":"A"}}`,
		`{"event_id":"e","event_type":"death","version":1,"person":{"full_name":"A","full_name":"B"}}`,
		`{"event_id":"e","event_type":"death","version":1,"extra":2,"person":{"pin":"1"}}`,
		`{"event_id":"e","event_type":"death","version":1.5,"person":{"pin":"1"}}`,
		`{"event_id":"e","event_type":"death","version":1,"person":{"full_name":7}}`,
		`not json`,
	} {
		row := &store.OutboxRow{Seq: 3, EventType: "death", Data: []byte(doc), CreatedAt: time.Unix(1, 0)}
		if _, ok := pol.webhookMessageFast(row); ok {
			t.Errorf("%s: the scan took it", doc)
		}
		want, wantErr := oldWebhookBody(pol, row)
		got, err := pol.webhookMessage(row)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("%s: got %s, %v; want %s, %v", doc, got, err, want, wantErr)
		}
	}
}

// FuzzWebhookMessage_matchesDecoder holds the scan to the decoder: whenever
// both make a body, the bodies are the same; the scan may make one where the
// decoder refuses the document only because of a field the grant does not
// release.
func FuzzWebhookMessage_matchesDecoder(f *testing.F) {
	f.Add([]byte(`{"event_id":"e1","event_type":"death","effective_date":"2026-01-02","version":2,"person":{"pin":"079190000001","full_name":"Nguyễn Văn An","status":{"state":"dead","date":"2026-01-02"},"birth_date":"1990-05"}}`))
	f.Add([]byte(`{"event_id":"e1","event_type":"death","effective_date":null,"version":2,"person":{"pin":"1","phone":"0900","documents":[{"kind":"cccd"}]}}`))
	f.Add([]byte(`{"event_id":"e\u00e9","event_type":"marriage","version":0,"person":{"spouse":{"pin":"2"},"sex":"female"}}`))
	f.Add([]byte("{\"event_id\":\"e\\\"<1>\",\"event_type\":\"death\",\"version\":-0,\"person\":{\"pin\":\"1\",\"full_name\":\"A\\u00e9 \xff<b>&\",\"phone\":null}}"))
	f.Add([]byte(`{"event_id":"e","event_type":"death","version":9223372036854775808,"person":{"full_name":""}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		row := &store.OutboxRow{Seq: 9, EventType: "death", Data: data, CreatedAt: time.Unix(1700000000, 5)}
		for _, pol := range testPolicies() {
			got, ok := pol.webhookMessageFast(row)
			want, err := oldWebhookBody(pol, row)
			if !ok {
				continue
			}
			if err != nil {
				// Allowed only when the whole-document decoder's complaint is
				// about a member the scan did not decode: decoding the
				// document without the members the grant does not release
				// must then succeed with the same body.
				var m map[string]json.RawMessage
				if json.Unmarshal(data, &m) != nil {
					t.Fatalf("the scan took a document that is not an object: %q", data)
				}
				var person map[string]json.RawMessage
				if json.Unmarshal(m["person"], &person) != nil {
					t.Fatalf("the scan took a document whose person is not an object: %q", data)
				}
				kept := map[string]json.RawMessage{}
				for _, name := range pol.releasedSorted() {
					if v, ok := person[name]; ok {
						kept[name] = v
					}
				}
				m["person"], _ = json.Marshal(kept)
				row2 := *row
				row2.Data, _ = json.Marshal(m)
				if want, err = oldWebhookBody(pol, &row2); err != nil {
					t.Fatalf("scan made a body for %q, the decoder refuses it for a released field: %v", data, err)
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%q:\n got %s\nwant %s", data, got, want)
			}
		}
	})
}

package audit_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/dancu/dancu/internal/audit"
)

var person = []byte("0123456789abcdef")

// trickyAccesses are accesses whose strings encoding/json escapes, or
// whose fields sort, repeat or collide once invalid UTF-8 is replaced.
func trickyAccesses() []audit.Access {
	t0 := time.Date(2026, 11, 28, 4, 5, 6, 120000000, time.FixedZone("ICT", 7*3600))
	return []audit.Access{
		{Time: t0, Actor: "a", Action: "read", Purpose: "p"},
		{Time: t0, ActorKind: "client", Actor: "c1", Agency: "bhxh", Purpose: "social.insurance", CaseRef: "hồ sơ 12",
			SealedUntil: "2027-01-01", Fields: []string{"sex", "full_name", "birth_date", "sex"}, Action: "read", RequestID: "r-1"},
		{Time: t0.Add(time.Nanosecond), Actor: `q"uote\back<slash>&amp`, Action: "a\tb\nc\rd\be\ff\x00\x1f\x7f", Purpose: "\u2028\u2029"},
		{Time: time.Unix(0, 0), Actor: "bad\xffutf8", Action: "x", Purpose: "\xc3", Fields: []string{"\xff", "\xfe", "\uFFFD", "ok"}},
		{Time: t0, Actor: "Nguyễn Văn A", Action: "đọc", Purpose: "ʼ", Fields: []string{}, RequestID: "😀"},
		{Time: t0, Actor: "a", Action: "read", Purpose: "p", Fields: []string{"b", "a", "b", "a"}},
		// One character each that encoding/json escapes, alone in its string.
		{Time: t0, ActorKind: "<", Actor: ">", Agency: "&", Purpose: "\u2028", CaseRef: "\x7f", SealedUntil: "\x1f",
			Action: "\\", RequestID: `"`, Fields: []string{"\n", "\xe9"}},
	}
}

func TestEncodeLeaf_matchesEncodingJSON(t *testing.T) {
	for i, a := range trickyAccesses() {
		got, want := audit.EncodeLeaf(a, person), audit.EncodeLeafJSON(a, person)
		if !bytes.Equal(got, want) {
			t.Errorf("access %d:\n got %q\nwant %q", i, got, want)
		}
		if _, p, err := audit.DecodeLeaf(got); err != nil || !bytes.Equal(p, person) {
			t.Errorf("access %d: DecodeLeaf = %x, %v", i, p, err)
		}
	}
}

func FuzzEncodeLeaf(f *testing.F) {
	for _, a := range trickyAccesses() {
		var f1, f2 string
		if len(a.Fields) > 1 {
			f1, f2 = a.Fields[0], a.Fields[1]
		}
		f.Add(a.Time.UnixNano(), a.Actor, a.Purpose, a.CaseRef, f1, f2)
	}
	f.Fuzz(func(t *testing.T, ns int64, actor, purpose, caseRef, f1, f2 string) {
		a := audit.Access{Time: time.Unix(0, ns), ActorKind: actor, Actor: actor, Agency: purpose, Purpose: purpose,
			CaseRef: caseRef, SealedUntil: caseRef, Fields: []string{f1, f2, f1}, Action: f2, RequestID: f1}
		got, want := audit.EncodeLeaf(a, person), audit.EncodeLeafJSON(a, person)
		if !bytes.Equal(got, want) {
			t.Fatalf("\n got %q\nwant %q", got, want)
		}
	})
}

// TestLog_recordSharesEncoding records one call of many accesses, in runs
// that share everything but the person and runs that differ, and checks
// every stored leaf and pseudonym against the reference encoding.
func TestLog_recordSharesEncoding(t *testing.T) {
	st, _ := openStore(t)
	now := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	l, err := audit.Open(context.Background(), st, audit.Options{CheckpointEvery: -1, IndexEvery: -1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fields := []string{"status", "full_name"}
	var as []audit.Access
	add := func(a audit.Access, pins ...string) {
		for _, p := range pins {
			a.PIN = p
			as = append(as, a)
		}
	}
	job := audit.Access{ActorKind: "client", Actor: "c", Agency: "viettel", Purpose: "telecom.subscribers", CaseRef: "vj_1", Fields: fields, Action: "verify"}
	add(job, "079190000001", "079190000002", "079190000003")
	other := job
	other.Fields = []string{"status"} // same length of leaf, other bytes
	add(other, "079190000004", "079190000005")
	add(job, "079190000006")
	long := job
	long.CaseRef = "vj_a-much-longer-case-reference-than-before"
	long.Time = now.Add(-time.Hour)
	add(long, "079190000007", "079190000008")
	add(job, "079190000009")
	for _, a := range trickyAccesses() {
		add(a, "001099000001")
	}
	if err := l.Record(context.Background(), as...); err != nil {
		t.Fatal(err)
	}
	es, err := st.AccessEntries(context.Background(), 0, int64(len(as)))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != len(as) {
		t.Fatalf("%d entries stored, want %d", len(es), len(as))
	}
	for i, a := range as {
		if a.Time.IsZero() {
			a.Time = now
		}
		p := audit.PseudonymHMAC(l.PseudonymKey(), a.PIN)
		if want := audit.EncodeLeafJSON(a, p); !bytes.Equal(es[i].Data, want) {
			t.Errorf("entry %d:\n got %q\nwant %q", i, es[i].Data, want)
		}
		if !bytes.Equal(es[i].Person, p) || !bytes.Equal(l.Pseudonym(a.PIN), p) {
			t.Errorf("entry %d: person %x, Pseudonym %x, want %x", i, es[i].Person, l.Pseudonym(a.PIN), p)
		}
	}
	if _, err := l.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}
